-- External resources a session's recording referenced but did not carry (a cross-origin
-- stylesheet rrweb could not read, the fonts and images its rules name, <img> sources), fetched
-- by the server after compaction so the replay keeps its look when the site changes or cannot
-- be reached (docs/archive.md). A row is what one session's replay uses for one URL: the copy
-- (a content item, also one of the session's roots in session_content, so the sweep keeps it
-- while the session lives) or, with no hash, why there is none. The newest row of a project's
-- URL is the fetch cache: while fresh it is reused instead of fetching again. Rows go with
-- their session, so erasing a user also forgets the URLs only their sessions showed.
CREATE TABLE session_archive (
    session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    project_id TEXT NOT NULL,
    url        TEXT NOT NULL,
    hash       BLOB,
    type       TEXT NOT NULL,
    size       INTEGER NOT NULL,
    error      TEXT NOT NULL,
    fetched_at INTEGER NOT NULL,
    PRIMARY KEY (session_id, url)
) WITHOUT ROWID;
CREATE INDEX session_archive_url ON session_archive(project_id, url, fetched_at);
