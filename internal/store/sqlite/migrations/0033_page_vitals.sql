-- Web vitals per page view (issue 17): one row per (session, tab, page view) that measured any,
-- each metric NULL until reported. project_id is the session's, kept here so the Performance
-- page reads a project's page views in a time range from one index.
CREATE TABLE page_vitals (
    session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    project_id TEXT NOT NULL,
    tab        TEXT NOT NULL,
    page_at    INTEGER NOT NULL,
    url        TEXT NOT NULL,
    path       TEXT NOT NULL,
    lcp        REAL,
    inp        REAL,
    cls        REAL,
    fcp        REAL,
    ttfb       REAL,
    PRIMARY KEY (session_id, tab, page_at)
) WITHOUT ROWID;
CREATE INDEX page_vitals_project_at ON page_vitals(project_id, page_at);
