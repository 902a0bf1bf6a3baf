CREATE TABLE projects (
    id              TEXT PRIMARY KEY,
    name            TEXT NOT NULL,
    public_key      TEXT NOT NULL UNIQUE,
    allowed_origins TEXT NOT NULL DEFAULT '[]',
    created_at      INTEGER NOT NULL
);

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE COLLATE NOCASE,
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL,
    created_at    INTEGER NOT NULL
);

CREATE TABLE logins (
    token_hash TEXT PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);

CREATE TABLE sessions (
    id           TEXT PRIMARY KEY,
    project_id   TEXT NOT NULL REFERENCES projects(id),
    started_at   INTEGER NOT NULL,
    ended_at     INTEGER NOT NULL,
    pages        INTEGER NOT NULL DEFAULT 0,
    entry_url    TEXT NOT NULL DEFAULT '',
    exit_url     TEXT NOT NULL DEFAULT '',
    clicks       INTEGER NOT NULL DEFAULT 0,
    events       INTEGER NOT NULL DEFAULT 0,
    tabs         INTEGER NOT NULL DEFAULT 0,
    user_agent   TEXT NOT NULL DEFAULT '',
    vp_width     INTEGER NOT NULL DEFAULT 0,
    vp_height    INTEGER NOT NULL DEFAULT 0,
    updated_at   INTEGER NOT NULL
);
CREATE INDEX sessions_project_started ON sessions(project_id, started_at DESC, id DESC);
CREATE INDEX sessions_started ON sessions(started_at DESC, id DESC);

CREATE TABLE session_pages (
    session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    tab        TEXT NOT NULL,
    at         INTEGER NOT NULL,
    url        TEXT NOT NULL
);
CREATE INDEX session_pages_session_at ON session_pages(session_id, at);

CREATE TABLE chunks (
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
    PRIMARY KEY (session_id, tab, seq)
);
