-- Issue 14: a project's key can be rotated with a grace period for the old one; share links
-- are rows (listed per session, revocable, gone with their session); erased sessions leave a
-- tombstone so a batch sent later under their id is refused instead of bringing them back.
ALTER TABLE projects ADD COLUMN previous_key text COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE projects ADD COLUMN previous_key_until bigint NOT NULL DEFAULT 0;
CREATE INDEX projects_previous_key ON projects (previous_key) WHERE previous_key <> '';

CREATE TABLE share_links (
    id         text COLLATE "C" PRIMARY KEY,
    token_hash text COLLATE "C" NOT NULL UNIQUE,
    session_id text COLLATE "C" NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    project_id text COLLATE "C" NOT NULL,
    created_by bigint NOT NULL,
    created_at bigint NOT NULL,
    expires_at bigint NOT NULL,
    revoked_at bigint NOT NULL DEFAULT 0,
    at_ms      bigint NOT NULL DEFAULT 0
);
CREATE INDEX share_links_session ON share_links (session_id, created_at);

CREATE TABLE erased_sessions (
    id         text COLLATE "C" PRIMARY KEY,
    project_id text COLLATE "C" NOT NULL,
    erased_at  bigint NOT NULL
);
CREATE INDEX erased_sessions_at ON erased_sessions (erased_at);
