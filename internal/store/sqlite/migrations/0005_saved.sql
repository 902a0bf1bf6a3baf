-- Saved searches and playlists (docs/search.md). Owners are users.id, or 0 for the admin token,
-- which has no row in users, so owner columns carry no foreign key.
CREATE TABLE saved_searches (
    id         INTEGER PRIMARY KEY,
    project_id TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    query      TEXT NOT NULL,
    owner_id   INTEGER NOT NULL,
    shared     INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX saved_searches_project ON saved_searches(project_id, owner_id);

-- When each user last ran a saved search, for "N new since your last visit".
CREATE TABLE saved_search_visits (
    search_id  INTEGER NOT NULL REFERENCES saved_searches(id) ON DELETE CASCADE,
    user_id    INTEGER NOT NULL,
    visited_at INTEGER NOT NULL,
    PRIMARY KEY (search_id, user_id)
) WITHOUT ROWID;

CREATE TABLE playlists (
    id         INTEGER PRIMARY KEY,
    project_id TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    owner_id   INTEGER NOT NULL,
    shared     INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX playlists_project ON playlists(project_id, owner_id);

-- A pin goes with its session (retention, erasure, DeleteSessions) and with its playlist.
CREATE TABLE playlist_sessions (
    playlist_id INTEGER NOT NULL REFERENCES playlists(id) ON DELETE CASCADE,
    session_id  TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    position    INTEGER NOT NULL,
    note        TEXT NOT NULL DEFAULT '',
    added_at    INTEGER NOT NULL,
    added_by    INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (playlist_id, session_id)
) WITHOUT ROWID;
CREATE INDEX playlist_sessions_order ON playlist_sessions(playlist_id, position);
CREATE INDEX playlist_sessions_session ON playlist_sessions(session_id);

-- An alert rule may watch a saved search instead of an issue: it fires when that many sessions
-- matching the search started within the window. It goes with its search.
ALTER TABLE alert_rules ADD COLUMN saved_search_id INTEGER REFERENCES saved_searches(id) ON DELETE CASCADE;
