-- Comments on a session at a moment, and the note a share link shows to whoever opens it
-- (issue 18). A comment keeps its author's email as written, so it still names its author after
-- the account is deleted; it goes with its session.
CREATE TABLE comments (
    id         TEXT PRIMARY KEY,
    session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    project_id TEXT NOT NULL,
    author_id  INTEGER NOT NULL DEFAULT 0,
    author     TEXT NOT NULL DEFAULT '',
    at_ms      INTEGER NOT NULL DEFAULT 0,
    body       TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    edited_at  INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE INDEX comments_session ON comments (session_id, at_ms);

ALTER TABLE share_links ADD COLUMN note TEXT NOT NULL DEFAULT '';
