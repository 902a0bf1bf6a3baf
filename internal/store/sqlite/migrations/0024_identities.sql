-- Single sign-on: which account at which OpenID provider (issuer, subject) is which user. A
-- user has at most one account per provider; subjects compare exactly (BINARY), as the
-- provider issued them.
CREATE TABLE identities (
    issuer     TEXT NOT NULL,
    subject    TEXT NOT NULL,
    user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (issuer, subject),
    UNIQUE (user_id, issuer)
) WITHOUT ROWID;
