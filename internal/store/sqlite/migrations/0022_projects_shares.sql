-- Issue 14: a project's key can be rotated with a grace period for the old one; share links
-- are rows (listed per session, revocable, gone with their session); erased sessions leave a
-- tombstone so a batch sent later under their id is refused instead of bringing them back.
ALTER TABLE projects ADD COLUMN previous_key TEXT NOT NULL DEFAULT '';
ALTER TABLE projects ADD COLUMN previous_key_until INTEGER NOT NULL DEFAULT 0;
CREATE INDEX projects_previous_key ON projects (previous_key) WHERE previous_key <> '';

CREATE TABLE share_links (
    id         TEXT PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    project_id TEXT NOT NULL,
    created_by INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    revoked_at INTEGER NOT NULL DEFAULT 0,
    at_ms      INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX share_links_session ON share_links (session_id, created_at);

CREATE TABLE erased_sessions (
    id         TEXT PRIMARY KEY,
    project_id TEXT NOT NULL,
    erased_at  INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX erased_sessions_at ON erased_sessions (erased_at);
