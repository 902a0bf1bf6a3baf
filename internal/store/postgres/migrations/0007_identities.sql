-- Single sign-on: which account at which OpenID provider (issuer, subject) is which user. A
-- user has at most one account per provider; subjects compare exactly, as the provider issued
-- them.
CREATE TABLE identities (
    issuer     text COLLATE "C" NOT NULL,
    subject    text COLLATE "C" NOT NULL,
    user_id    bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at bigint NOT NULL,
    PRIMARY KEY (issuer, subject),
    UNIQUE (user_id, issuer)
);
