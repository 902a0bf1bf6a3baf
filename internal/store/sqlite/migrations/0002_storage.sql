-- Server-wide settings (signing keys and the like), created on first use.
CREATE TABLE settings (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- Who the visitor is (Reel.identify), for search and for erasure requests.
ALTER TABLE sessions ADD COLUMN user_id TEXT NOT NULL DEFAULT '';
CREATE INDEX sessions_project_user ON sessions(project_id, user_id) WHERE user_id <> '';
-- When the session was last compacted (0: never), and when its last batch arrived.
ALTER TABLE sessions ADD COLUMN compacted_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN last_batch_at INTEGER NOT NULL DEFAULT 0;
-- A worker compacting the session holds it until this time, so two nodes never both do.
ALTER TABLE sessions ADD COLUMN lease_until INTEGER NOT NULL DEFAULT 0;
CREATE INDEX sessions_compaction ON sessions(compacted_at, last_batch_at);

-- Timestamp of the first full snapshot (rrweb type 2) in a chunk, 0 when it has none: the
-- seek index before compaction.
ALTER TABLE chunks ADD COLUMN snapshot_at INTEGER NOT NULL DEFAULT 0;
-- Set once the chunk's events live in the session's compacted blob; the row stays so retries
-- of the batch are still recognised.
ALTER TABLE chunks ADD COLUMN compacted INTEGER NOT NULL DEFAULT 0;
-- Ingest commits concurrent batches as a group: one pack object holds several chunks, each a
-- byte range of it (length 0: the whole object). A pack is deleted once no chunk points at it.
ALTER TABLE chunks ADD COLUMN blob_offset INTEGER NOT NULL DEFAULT 0;
ALTER TABLE chunks ADD COLUMN blob_length INTEGER NOT NULL DEFAULT 0;
CREATE INDEX chunks_blob ON chunks(blob_key) WHERE blob_key <> '';

-- Retention per project, in days (0: keep forever).
ALTER TABLE projects ADD COLUMN retention_days INTEGER NOT NULL DEFAULT 30;
-- Remote configuration the SDK fetches on start (sampling, masking, network rules), as JSON.
ALTER TABLE projects ADD COLUMN sdk_config TEXT NOT NULL DEFAULT '{}';

-- A compacted session: one blob per session, a list of independently compressed segments,
-- each starting at a full snapshot, so any moment is one ranged read away.
CREATE TABLE segments (
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
);

-- Content-addressed store of large strings and subtrees (stylesheets, data URIs, repeated DOM),
-- per project, keyed by SHA-256 (32 bytes). A stored item may hold markers of other items: the
-- children table records those edges once per item, and a session records only the items its
-- own events name, so shared structure costs its references once. What no session reaches
-- through these edges is garbage.
CREATE TABLE content (
    project_id TEXT NOT NULL,
    hash       BLOB NOT NULL,
    size       INTEGER NOT NULL,
    stored     INTEGER NOT NULL,
    touched_at INTEGER NOT NULL,
    PRIMARY KEY (project_id, hash)
) WITHOUT ROWID;
CREATE TABLE content_children (
    project_id TEXT NOT NULL,
    parent     BLOB NOT NULL,
    child      BLOB NOT NULL,
    PRIMARY KEY (project_id, parent, child)
) WITHOUT ROWID;
CREATE TABLE session_content (
    session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    hash       BLOB NOT NULL,
    PRIMARY KEY (session_id, hash)
) WITHOUT ROWID;
