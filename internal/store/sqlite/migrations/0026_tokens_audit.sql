-- API tokens and the audit log (issue 14). A token keeps only the SHA-256 of its secret; its
-- projects are a JSON array rather than rows referencing projects, so a deleted project
-- narrows a token to nothing instead of widening it to every project. A token goes with its
-- creator. Audit entries reference nothing: they outlive the users, tokens and projects they
-- name, until retention prunes them.
CREATE TABLE api_tokens (
    id           TEXT PRIMARY KEY,
    secret_hash  TEXT NOT NULL,
    name         TEXT NOT NULL,
    scope        TEXT NOT NULL,
    projects     TEXT NOT NULL DEFAULT '[]',
    created_by   INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    revoked_at   INTEGER NOT NULL DEFAULT 0,
    last_used_at INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE INDEX api_tokens_created_by ON api_tokens (created_by);

CREATE TABLE audit_log (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    at       INTEGER NOT NULL,
    actor_id INTEGER NOT NULL DEFAULT 0,
    actor    TEXT NOT NULL DEFAULT '',
    token_id TEXT NOT NULL DEFAULT '',
    action   TEXT NOT NULL,
    project  TEXT NOT NULL DEFAULT '',
    target   TEXT NOT NULL DEFAULT '',
    client   TEXT NOT NULL DEFAULT '',
    detail   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_action ON audit_log (action, id);
CREATE INDEX audit_log_project ON audit_log (project, id);
