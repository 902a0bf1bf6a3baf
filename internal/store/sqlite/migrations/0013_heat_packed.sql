-- Heatmaps packed (docs/heatmaps.md, docs/storage.md): instead of a row per click and per page
-- view, each with its project, path, tab, device and selector as text and two indexes, a
-- session keeps one row per page it showed, holding that page's clicks and views in a small
-- binary record (heat.go: the tabs and selectors once, then varints). A project's paths are
-- stored once in heat_pages and named by id; rows are clustered by page, so a heatmap reads
-- the rows of the pages its pattern matches and aggregates them in Go. Rows go with their
-- session (ON DELETE CASCADE); a path goes with the last row naming it.
CREATE TABLE heat_pages (
    id         INTEGER PRIMARY KEY,
    project_id TEXT NOT NULL,
    path       TEXT NOT NULL,
    UNIQUE (project_id, path)
);
-- first_at and last_at bound the times of the row's clicks and views, so a time window skips
-- rows without decoding them; device is the session's, as before.
CREATE TABLE heat (
    page_id    INTEGER NOT NULL,
    session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    device     TEXT NOT NULL,
    first_at   INTEGER NOT NULL,
    last_at    INTEGER NOT NULL,
    data       BLOB NOT NULL,
    PRIMARY KEY (page_id, session_id)
) WITHOUT ROWID;
CREATE INDEX heat_session ON heat(session_id);

-- The rows of 0006 move over, clicks and views of a session's page packed in the order they
-- happened; the coordinates pass as 17 significant digits, which read back as the same double.
INSERT INTO heat_pages(project_id, path)
    SELECT project_id, path FROM heat_clicks UNION SELECT project_id, path FROM heat_views ORDER BY 1, 2;
CREATE TEMP TABLE old_heat AS
    SELECT session_id, project_id, path, device, at, 0 AS kind, rowid AS seq,
        json_array(0, tab, at, selector, printf('%.17g', x), printf('%.17g', y), w, h, page_x, page_y) AS item FROM heat_clicks
    UNION ALL
    SELECT session_id, project_id, path, device, at, 1, rowid, json_array(1, tab, at, seen_at, depth) FROM heat_views;
INSERT INTO heat(page_id, session_id, device, first_at, last_at, data)
    SELECT p.id, o.session_id, MAX(o.device), MIN(o.at), MAX(o.at), reel_heat_pack(json_group_array(json(o.item)))
    FROM (SELECT * FROM old_heat ORDER BY session_id, project_id, path, kind, at, seq) o
    JOIN heat_pages p ON p.project_id = o.project_id AND p.path = o.path
    GROUP BY p.id, o.session_id;
DROP TABLE old_heat;
DROP TABLE heat_clicks;
DROP TABLE heat_views;
