-- Analysis (docs/friction.md), written when a session is compacted and again if it grows.
ALTER TABLE sessions ADD COLUMN score INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN summary TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN friction INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN rage_clicks INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN dead_clicks INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN analyzed_at INTEGER NOT NULL DEFAULT 0;
CREATE INDEX sessions_project_score ON sessions(project_id, score DESC, id DESC);

-- Every finding of every session, with the fingerprint that groups the same problem across
-- sessions: the same error message, the same element rage- or dead-clicked on the same page.
CREATE TABLE session_signals (
    session_id  TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    project_id  TEXT NOT NULL,
    kind        TEXT NOT NULL,
    at          INTEGER NOT NULL,
    path        TEXT NOT NULL,
    target      TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    detail      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX session_signals_group ON session_signals(project_id, fingerprint, at);
CREATE INDEX session_signals_session ON session_signals(session_id);

-- Alert rules: when a problem (one fingerprint, or any of a kind) reaches a number of sessions
-- within a window, post to a webhook (Slack-compatible JSON), at most once per window.
CREATE TABLE alert_rules (
    id          INTEGER PRIMARY KEY,
    project_id  TEXT NOT NULL REFERENCES projects(id),
    name        TEXT NOT NULL,
    kind        TEXT NOT NULL DEFAULT '',
    fingerprint TEXT NOT NULL DEFAULT '',
    threshold   INTEGER NOT NULL,
    window_ms   INTEGER NOT NULL,
    webhook     TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    fired_at    INTEGER NOT NULL DEFAULT 0
);
