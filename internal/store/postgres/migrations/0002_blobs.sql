-- How many index rows point into each blob-store object, as SQLite's migration 0018 counts
-- them: one per chunk row holding the key, and one per session whose segments are in the
-- object. A transaction that removes references decrements the count under the row's lock, so
-- of two transactions removing the last two references exactly the second sees zero and hands
-- the key back for deletion; without the count, each could see the other's row still there and
-- neither would free the object.
CREATE TABLE blobs (
    key  text COLLATE "C" PRIMARY KEY,
    refs integer NOT NULL CHECK (refs >= 0)
);
INSERT INTO blobs(key, refs)
SELECT key, SUM(n) FROM (
    SELECT blob_key AS key, COUNT(*) AS n FROM chunks WHERE blob_key <> '' GROUP BY blob_key
    UNION ALL
    SELECT blob_key, COUNT(DISTINCT session_id) FROM segments GROUP BY blob_key
) r GROUP BY key;
