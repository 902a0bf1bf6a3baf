-- Web vitals per page view (issue 17): one row per (session, tab, page view) that measured any,
-- each metric NULL until reported. project_id is the session's, kept here so the Performance
-- page reads a project's page views in a time range from one index.
CREATE TABLE page_vitals (
    session_id text COLLATE "C" NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    project_id text COLLATE "C" NOT NULL,
    tab        text COLLATE "C" NOT NULL,
    page_at    bigint NOT NULL,
    url        text NOT NULL,
    path       text NOT NULL,
    lcp        double precision,
    inp        double precision,
    cls        double precision,
    fcp        double precision,
    ttfb       double precision,
    PRIMARY KEY (session_id, tab, page_at)
);
CREATE INDEX page_vitals_project_at ON page_vitals (project_id, page_at);
