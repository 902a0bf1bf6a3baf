-- Heatmaps (docs/heatmaps.md), written when a session is analysed at compaction and replaced
-- when it is analysed again. Rows go with their session (ON DELETE CASCADE), so retention and
-- erasure remove them.

-- Every click the SDK reported as reel.click: the element's selector and where in its box the
-- click landed (0–1), so the dashboard draws it on that element whatever the layout; the page
-- position is the fallback when the selector finds nothing. Device is the session's
-- (desktop, mobile, tablet), copied here so a filtered heatmap reads one table.
CREATE TABLE heat_clicks (
    session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    project_id TEXT NOT NULL,
    tab        TEXT NOT NULL,
    path       TEXT NOT NULL,
    device     TEXT NOT NULL,
    at         INTEGER NOT NULL,
    selector   TEXT NOT NULL,
    x          REAL NOT NULL,
    y          REAL NOT NULL,
    w          INTEGER NOT NULL,
    h          INTEGER NOT NULL,
    page_x     INTEGER NOT NULL,
    page_y     INTEGER NOT NULL
);
CREATE INDEX heat_clicks_page ON heat_clicks(project_id, path, at);
CREATE INDEX heat_clicks_session ON heat_clicks(session_id);

-- One row per page view that reported its scroll depth (reel.scroll): the deepest share of the
-- page seen, in percent. seen_at is the last heat event of the view, a moment at which the
-- replay shows that page (the dashboard's backdrop).
CREATE TABLE heat_views (
    session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    project_id TEXT NOT NULL,
    tab        TEXT NOT NULL,
    path       TEXT NOT NULL,
    device     TEXT NOT NULL,
    at         INTEGER NOT NULL,
    seen_at    INTEGER NOT NULL,
    depth      INTEGER NOT NULL
);
CREATE INDEX heat_views_page ON heat_views(project_id, path, at);
CREATE INDEX heat_views_session ON heat_views(session_id);
