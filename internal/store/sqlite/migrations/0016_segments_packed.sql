-- Segments packed (docs/storage.md): a session's segments, a row each since 0002 with the
-- session's id and blob key repeated in every one, are one row per session and blob (the
-- session's compacted blob: compaction writes all its segments into one), holding the list
-- (segments.go: the tabs once, then varints). Every read wants a session's whole list.
CREATE TABLE segments_packed (
    session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    blob_key   TEXT NOT NULL,
    data       BLOB NOT NULL,
    PRIMARY KEY (session_id, blob_key)
) WITHOUT ROWID;
INSERT INTO segments_packed(session_id, blob_key, data)
    SELECT session_id, blob_key, reel_segments_pack(json_group_array(json_array(tab, idx, first_at, last_at, offset, length, events, raw_bytes)))
    FROM segments GROUP BY session_id, blob_key;
DROP TABLE segments;
ALTER TABLE segments_packed RENAME TO segments;
