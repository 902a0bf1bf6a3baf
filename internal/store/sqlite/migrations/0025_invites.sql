-- Invitations and password resets (issue 14): one-time links to set a password. Only the
-- SHA-256 of a link's token is kept. An invitation carries the role and projects its user
-- will get; a reset names its user and goes with it.
CREATE TABLE invites (
    id         INTEGER PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    kind       TEXT NOT NULL,
    email      TEXT NOT NULL,
    role       TEXT NOT NULL DEFAULT '',
    projects   TEXT NOT NULL DEFAULT '[]',
    user_id    INTEGER REFERENCES users(id) ON DELETE CASCADE,
    invited_by INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX invites_user ON invites (user_id);
