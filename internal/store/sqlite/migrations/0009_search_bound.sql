-- Search over conjunctions (docs/search.md, "How SQLite runs a query"): a filter on browser, OS,
-- device or country walks that value's index; each of those indexes now also holds the other
-- three columns, which a session sets once with its first batch, so a conjunction of them
-- (browser:firefox country:DE) is tested in the index and only sessions matching all of them
-- are read. Before, every session of the walked value was read to test the others.
DROP INDEX sessions_project_browser;
DROP INDEX sessions_project_os;
DROP INDEX sessions_project_device;
DROP INDEX sessions_project_country;
CREATE INDEX sessions_project_browser ON sessions(project_id, browser, started_at DESC, id DESC, os, device, country);
CREATE INDEX sessions_project_os ON sessions(project_id, os, started_at DESC, id DESC, browser, device, country);
CREATE INDEX sessions_project_device ON sessions(project_id, device, started_at DESC, id DESC, browser, os, country);
CREATE INDEX sessions_project_country ON sessions(project_id, country, started_at DESC, id DESC, browser, os, device);
