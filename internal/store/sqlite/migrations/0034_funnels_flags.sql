-- Funnels and experiments (issue 17).
-- What a session did that a funnel step can name besides a page: each click (the element's
-- selector from the SDK's reel.click and the element as analysis describes it) and each
-- reel.track event (its name, lowercased, and scalar properties as a JSON object). Analysis
-- writes them, replacing the session's rows; seq keeps the recorded order within a moment.
CREATE TABLE session_steps (
    session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    seq        INTEGER NOT NULL,
    at         INTEGER NOT NULL,
    kind       TEXT NOT NULL, -- 'click' or 'event'
    path       TEXT NOT NULL,
    name       TEXT NOT NULL,
    text       TEXT NOT NULL,
    props      TEXT NOT NULL DEFAULT '{}',
    PRIMARY KEY (session_id, seq)
) WITHOUT ROWID;

-- Feature flags a session had (Reel.setFlags, reel.flags events): every (flag, variant) once,
-- with when the session first had it, written as batches arrive.
CREATE TABLE session_flags (
    session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    variant    TEXT NOT NULL,
    first_at   INTEGER NOT NULL,
    PRIMARY KEY (session_id, name, variant)
) WITHOUT ROWID;
CREATE INDEX session_flags_name_variant ON session_flags(name, variant, session_id);

-- Saved funnels, private or shared like saved searches; definition is the funnel's JSON
-- (steps and order) as the API took it.
CREATE TABLE funnels (
    id         INTEGER PRIMARY KEY,
    project_id TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    definition TEXT NOT NULL,
    owner_id   INTEGER NOT NULL,
    shared     INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX funnels_project ON funnels(project_id, owner_id);
