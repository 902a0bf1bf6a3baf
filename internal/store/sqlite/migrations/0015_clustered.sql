-- Segments and chunks clustered by their primary key (WITHOUT ROWID, docs/storage.md): every
-- query reads them by session, and their primary key was a second copy of each row's key in
-- an index of its own (41 KB of 156 for segments in bench/storage). Same columns, same rows.
CREATE TABLE segments_clustered (
    session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    tab        TEXT NOT NULL,
    idx        INTEGER NOT NULL,
    first_at   INTEGER NOT NULL,
    last_at    INTEGER NOT NULL,
    blob_key   TEXT NOT NULL,
    offset     INTEGER NOT NULL,
    length     INTEGER NOT NULL,
    events     INTEGER NOT NULL,
    raw_bytes  INTEGER NOT NULL,
    PRIMARY KEY (session_id, tab, idx)
) WITHOUT ROWID;
INSERT INTO segments_clustered SELECT session_id, tab, idx, first_at, last_at, blob_key, offset, length, events, raw_bytes FROM segments;
DROP TABLE segments;
ALTER TABLE segments_clustered RENAME TO segments;

CREATE TABLE chunks_clustered (
    session_id   TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    tab          TEXT NOT NULL,
    seq          INTEGER NOT NULL,
    first_at     INTEGER NOT NULL,
    last_at      INTEGER NOT NULL,
    events       INTEGER NOT NULL,
    raw_bytes    INTEGER NOT NULL,
    stored_bytes INTEGER NOT NULL,
    blob_key     TEXT NOT NULL,
    sent_at      INTEGER NOT NULL,
    created_at   INTEGER NOT NULL,
    snapshot_at  INTEGER NOT NULL DEFAULT 0,
    compacted    INTEGER NOT NULL DEFAULT 0,
    blob_offset  INTEGER NOT NULL DEFAULT 0,
    blob_length  INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (session_id, tab, seq)
) WITHOUT ROWID;
INSERT INTO chunks_clustered SELECT session_id, tab, seq, first_at, last_at, events, raw_bytes, stored_bytes, blob_key, sent_at, created_at,
    snapshot_at, compacted, blob_offset, blob_length FROM chunks;
DROP TABLE chunks;
ALTER TABLE chunks_clustered RENAME TO chunks;
CREATE INDEX chunks_blob ON chunks(blob_key) WHERE blob_key <> '';
