-- Invitations and password resets (issue 14): one-time links to set a password. Only the
-- SHA-256 of a link's token is kept. An invitation carries the role and projects its user
-- will get; a reset names its user and goes with it.
CREATE TABLE invites (
    id         bigserial PRIMARY KEY,
    token_hash text COLLATE "C" NOT NULL UNIQUE,
    kind       text NOT NULL,
    email      text COLLATE "C" NOT NULL,
    role       text NOT NULL DEFAULT '',
    projects   text[] NOT NULL DEFAULT '{}',
    user_id    bigint REFERENCES users(id) ON DELETE CASCADE,
    invited_by bigint NOT NULL DEFAULT 0,
    created_at bigint NOT NULL,
    expires_at bigint NOT NULL,
    used_at    bigint NOT NULL DEFAULT 0
);
CREATE INDEX invites_user ON invites (user_id);
