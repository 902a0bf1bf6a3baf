-- API tokens and the audit log (issue 14). A token keeps only the SHA-256 of its secret; its
-- projects are an array rather than rows referencing projects, so a deleted project narrows a
-- token to nothing instead of widening it to every project. A token goes with its creator.
-- Audit entries reference nothing: they outlive the users, tokens and projects they name,
-- until retention prunes them.
CREATE TABLE api_tokens (
    id           text COLLATE "C" PRIMARY KEY,
    secret_hash  text NOT NULL,
    name         text NOT NULL,
    scope        text NOT NULL,
    projects     text[] NOT NULL DEFAULT '{}',
    created_by   bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at   bigint NOT NULL,
    expires_at   bigint NOT NULL,
    revoked_at   bigint NOT NULL DEFAULT 0,
    last_used_at bigint NOT NULL DEFAULT 0
);
CREATE INDEX api_tokens_created_by ON api_tokens (created_by);

CREATE TABLE audit_log (
    id       bigserial PRIMARY KEY,
    at       bigint NOT NULL,
    actor_id bigint NOT NULL DEFAULT 0,
    actor    text NOT NULL DEFAULT '',
    token_id text NOT NULL DEFAULT '',
    action   text NOT NULL,
    project  text NOT NULL DEFAULT '',
    target   text NOT NULL DEFAULT '',
    client   text NOT NULL DEFAULT '',
    detail   text NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_action ON audit_log (action, id);
CREATE INDEX audit_log_project ON audit_log (project, id);
