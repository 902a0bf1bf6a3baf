-- Comments on a session at a moment, and the note a share link shows to whoever opens it
-- (issue 18). A comment keeps its author's email as written, so it still names its author after
-- the account is deleted; it goes with its session.
CREATE TABLE comments (
    id         text COLLATE "C" PRIMARY KEY,
    session_id text COLLATE "C" NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    project_id text COLLATE "C" NOT NULL,
    author_id  bigint NOT NULL DEFAULT 0,
    author     text NOT NULL DEFAULT '',
    at_ms      bigint NOT NULL DEFAULT 0,
    body       text NOT NULL,
    created_at bigint NOT NULL,
    edited_at  bigint NOT NULL DEFAULT 0
);
CREATE INDEX comments_session ON comments (session_id, at_ms);

ALTER TABLE share_links ADD COLUMN note text NOT NULL DEFAULT '';
