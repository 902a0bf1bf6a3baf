-- More of a session in the search index (docs/search.md): where the visit came from, the
-- properties of its track events, and its findings by fingerprint and kind. Sessions recorded
-- before this migration have no referrer, UTM parameters or event properties.

-- The entry page's referrer (its URL without query or fragment, which may name the person) and
-- its host, lowercased; the entry page URL's utm_source, utm_medium and utm_campaign, lowercased.
ALTER TABLE sessions ADD COLUMN referrer TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN referrer_host TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN utm_source TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN utm_medium TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN utm_campaign TEXT NOT NULL DEFAULT '';
-- Most sessions have none of these, so the indexes hold only those that do; a filter on one
-- walks just its value's sessions, newest first.
CREATE INDEX sessions_project_referrer ON sessions(project_id, referrer_host, started_at DESC, id DESC) WHERE referrer_host <> '';
CREATE INDEX sessions_project_utm_source ON sessions(project_id, utm_source, started_at DESC, id DESC) WHERE utm_source <> '';
CREATE INDEX sessions_project_utm_medium ON sessions(project_id, utm_medium, started_at DESC, id DESC) WHERE utm_medium <> '';
CREATE INDEX sessions_project_utm_campaign ON sessions(project_id, utm_campaign, started_at DESC, id DESC) WHERE utm_campaign <> '';

-- Scalar properties of reel.track events, every distinct (key, value) once per session, at most
-- 200 per session (ingest bounds keys to 64 bytes and values to 256).
CREATE TABLE session_event_props (
    session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    key        TEXT NOT NULL,
    value      TEXT NOT NULL,
    PRIMARY KEY (session_id, key, value)
) WITHOUT ROWID;
CREATE INDEX session_event_props_key_value ON session_event_props(key, value, session_id);

-- issue: and friction.<kind>: find sessions by a finding's fingerprint or kind.
CREATE INDEX session_signals_fingerprint ON session_signals(fingerprint, session_id);
CREATE INDEX session_signals_kind ON session_signals(kind, session_id);

-- sort:friction, most findings first.
CREATE INDEX sessions_project_friction ON sessions(project_id, friction DESC, id DESC);

-- On-screen text (text:), extracted at ingest from snapshots and mutations (rrweb.Text): each
-- batch adds one row of the pieces the session had not shown before, one piece a line, at
-- most 64 KiB a session. The full-text index reads the rows as its external content; the
-- triggers keep it in step, so deleting a session (ON DELETE CASCADE) removes its words, and
-- secure-delete removes them from the index's pages too, not only from its answers.
ALTER TABLE sessions ADD COLUMN text_bytes INTEGER NOT NULL DEFAULT 0;
CREATE TABLE session_text (
    id         INTEGER PRIMARY KEY,
    session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    text       TEXT NOT NULL
);
CREATE INDEX session_text_session ON session_text(session_id);
CREATE VIRTUAL TABLE session_text_fts USING fts5(text, content='session_text', content_rowid='id', tokenize='unicode61 remove_diacritics 2');
INSERT INTO session_text_fts(session_text_fts, rank) VALUES ('secure-delete', 1);
CREATE TRIGGER session_text_insert AFTER INSERT ON session_text BEGIN
    INSERT INTO session_text_fts(rowid, text) VALUES (new.id, new.text);
END;
CREATE TRIGGER session_text_delete AFTER DELETE ON session_text BEGIN
    INSERT INTO session_text_fts(session_text_fts, rowid, text) VALUES ('delete', old.id, old.text);
END;
