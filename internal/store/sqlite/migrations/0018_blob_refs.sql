-- Blob references counted (docs/storage.md, "Correctness with many writers"): a row per object
-- the index points into (a pack of chunks, a session's compacted blob) with the number of rows
-- that point into it: chunks whose events are still read from it, and segment rows. Whether a
-- pack may be deleted was decided by asking "does any chunk or segment still name it?" after a
-- deletion or compaction; with several writers under READ COMMITTED (PostgreSQL), an erasure
-- and a compaction removing the last two references at once each still see the other's, and
-- neither deletes the pack. Every transaction that adds or removes references now changes this
-- row (taking its lock, in key order), and the one that brings the count to zero deletes the
-- row and alone returns the key for deletion.
CREATE TABLE blobs (
    key  TEXT PRIMARY KEY,
    refs INTEGER NOT NULL CHECK (refs >= 0)
) WITHOUT ROWID;
INSERT INTO blobs(key, refs)
    SELECT blob_key, COUNT(*) FROM (SELECT blob_key FROM chunks WHERE blob_key <> '' UNION ALL SELECT blob_key FROM segments)
    GROUP BY blob_key;
