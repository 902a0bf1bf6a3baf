-- Search (docs/search.md): what the filter language tests, kept up to date by every batch.
-- Sessions recorded before this migration have empty browser/os/device and zero counts.

-- Browser name lowercased without version ("firefox"), its major version, OS and device type,
-- from internal/useragent; country from the operator's trusted proxy header.
ALTER TABLE sessions ADD COLUMN browser TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN browser_version INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN os TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN device TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN country TEXT NOT NULL DEFAULT '';
-- Counts of reel.error events and of failed requests (status >= 400 or a network failure).
ALTER TABLE sessions ADD COLUMN errors INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN failed_requests INTEGER NOT NULL DEFAULT 0;
-- The list walks sessions newest first and tests each; with the row filters' columns in the
-- index, SQLite tests them from the index alone and reads a session's row only when it
-- matches. It replaces the narrower index of 0001, which it serves the same way.
DROP INDEX sessions_project_started;
CREATE INDEX sessions_project_started_search ON sessions(project_id, started_at DESC, id DESC,
    browser, os, device, country, errors, failed_requests, clicks, pages, ended_at, user_id);
-- A filter on browser, OS, device or country walks only that value's sessions, newest first,
-- so a query whose other filters match nothing still stops at the end of that range.
CREATE INDEX sessions_project_browser ON sessions(project_id, browser, started_at DESC, id DESC);
CREATE INDEX sessions_project_os ON sessions(project_id, os, started_at DESC, id DESC);
CREATE INDEX sessions_project_device ON sessions(project_id, device, started_at DESC, id DESC);
CREATE INDEX sessions_project_country ON sessions(project_id, country, started_at DESC, id DESC);
-- The sort orders other than newest first.
CREATE INDEX sessions_project_duration ON sessions(project_id, (ended_at - started_at) DESC, id DESC);
CREATE INDEX sessions_project_errors ON sessions(project_id, errors DESC, id DESC);

-- The path of each page (URL without scheme, host, query and fragment), so visited:/checkout*
-- is an index range.
ALTER TABLE session_pages ADD COLUMN path TEXT NOT NULL DEFAULT '';
CREATE INDEX session_pages_path ON session_pages(path, session_id);
CREATE INDEX session_pages_url ON session_pages(url, session_id);
ALTER TABLE sessions ADD COLUMN entry_path TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN exit_path TEXT NOT NULL DEFAULT '';

-- Names of reel.track events, once per session.
CREATE TABLE session_events (
    session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    PRIMARY KEY (session_id, name)
) WITHOUT ROWID;
CREATE INDEX session_events_name ON session_events(name, session_id);

-- reel.identify traits (the latest value of each key), as text.
CREATE TABLE session_traits (
    session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    key        TEXT NOT NULL,
    value      TEXT NOT NULL,
    PRIMARY KEY (session_id, key)
) WITHOUT ROWID;
CREATE INDEX session_traits_key_value ON session_traits(key, value, session_id);

-- Error messages are few and repeat across sessions: each distinct one is stored once, so a
-- substring search scans the short list of messages and then follows an index to sessions.
CREATE TABLE error_messages (
    id      INTEGER PRIMARY KEY,
    message TEXT NOT NULL UNIQUE
);
CREATE TABLE session_errors (
    session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    message_id INTEGER NOT NULL,
    PRIMARY KEY (session_id, message_id)
) WITHOUT ROWID;
CREATE INDEX session_errors_message ON session_errors(message_id, session_id);
