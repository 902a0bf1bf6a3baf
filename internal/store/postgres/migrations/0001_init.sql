-- Reel's index on PostgreSQL: the shape of SQLite's after its 17 migrations, written for
-- PostgreSQL. Times are milliseconds since the epoch (bigint), as in SQLite, so both backends
-- compare, page and count by the same numbers. Text columns collate as "C" (by bytes), as SQLite's
-- BINARY does, so orders and cursors agree whatever the server's locale. Rows SQLite packs into blobs (segments, heat,
-- session content, on-screen text references) are plain rows or arrays here.

CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE projects (
    id              text COLLATE "C" PRIMARY KEY,
    name            text COLLATE "C" NOT NULL,
    public_key      text COLLATE "C" NOT NULL UNIQUE,
    allowed_origins text COLLATE "C" NOT NULL DEFAULT '[]',
    created_at      bigint NOT NULL,
    retention_days  integer NOT NULL DEFAULT 30,
    sdk_config      text COLLATE "C" NOT NULL DEFAULT '{}',
    friction        text COLLATE "C" NOT NULL DEFAULT '{}'
);

CREATE TABLE users (
    id            bigserial PRIMARY KEY,
    email         text COLLATE "C" NOT NULL,
    password_hash text COLLATE "C" NOT NULL,
    role          text COLLATE "C" NOT NULL,
    created_at    bigint NOT NULL
);
-- SQLite's COLLATE NOCASE folds ASCII only; so does this expression.
CREATE UNIQUE INDEX users_email ON users (translate(email, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz'));

CREATE TABLE logins (
    token_hash text COLLATE "C" PRIMARY KEY,
    user_id    bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at bigint NOT NULL,
    expires_at bigint NOT NULL
);

CREATE TABLE settings (
    name  text COLLATE "C" PRIMARY KEY,
    value text COLLATE "C" NOT NULL
);

CREATE TABLE sessions (
    id              text COLLATE "C" PRIMARY KEY,
    project_id      text COLLATE "C" NOT NULL REFERENCES projects(id),
    started_at      bigint NOT NULL,
    ended_at        bigint NOT NULL,
    pages           integer NOT NULL DEFAULT 0,
    entry_url       text COLLATE "C" NOT NULL DEFAULT '',
    exit_url        text COLLATE "C" NOT NULL DEFAULT '',
    entry_path      text COLLATE "C" NOT NULL DEFAULT '',
    exit_path       text COLLATE "C" NOT NULL DEFAULT '',
    clicks          integer NOT NULL DEFAULT 0,
    events          integer NOT NULL DEFAULT 0,
    tabs            integer NOT NULL DEFAULT 0,
    active_ms       bigint NOT NULL DEFAULT 0,
    user_agent      text COLLATE "C" NOT NULL DEFAULT '',
    vp_width        integer NOT NULL DEFAULT 0,
    vp_height       integer NOT NULL DEFAULT 0,
    updated_at      bigint NOT NULL,
    user_id         text COLLATE "C" NOT NULL DEFAULT '',
    compacted_at    bigint NOT NULL DEFAULT 0,
    last_batch_at   bigint NOT NULL DEFAULT 0,
    lease_until     bigint NOT NULL DEFAULT 0,
    browser         text COLLATE "C" NOT NULL DEFAULT '',
    browser_version integer NOT NULL DEFAULT 0,
    os              text COLLATE "C" NOT NULL DEFAULT '',
    device          text COLLATE "C" NOT NULL DEFAULT '',
    country         text COLLATE "C" NOT NULL DEFAULT '',
    errors          integer NOT NULL DEFAULT 0,
    failed_requests integer NOT NULL DEFAULT 0,
    score           integer NOT NULL DEFAULT 0,
    summary         text COLLATE "C" NOT NULL DEFAULT '',
    friction        integer NOT NULL DEFAULT 0,
    rage_clicks     integer NOT NULL DEFAULT 0,
    dead_clicks     integer NOT NULL DEFAULT 0,
    analyzed_at     bigint NOT NULL DEFAULT 0,
    referrer        text COLLATE "C" NOT NULL DEFAULT '',
    referrer_host   text COLLATE "C" NOT NULL DEFAULT '',
    utm_source      text COLLATE "C" NOT NULL DEFAULT '',
    utm_medium      text COLLATE "C" NOT NULL DEFAULT '',
    utm_campaign    text COLLATE "C" NOT NULL DEFAULT '',
    text_bytes      integer NOT NULL DEFAULT 0
);
-- One index per sort order, each led by the project: the list walks it newest (longest, …)
-- first and stops after a page.
CREATE INDEX sessions_project_started ON sessions (project_id, started_at DESC, id DESC);
CREATE INDEX sessions_started ON sessions (started_at DESC, id DESC);
CREATE INDEX sessions_project_duration ON sessions (project_id, (ended_at - started_at) DESC, id DESC);
CREATE INDEX sessions_project_errors ON sessions (project_id, errors DESC, id DESC);
CREATE INDEX sessions_project_score ON sessions (project_id, score DESC, id DESC);
CREATE INDEX sessions_project_friction ON sessions (project_id, friction DESC, id DESC);
-- Equality filters on the row, for rare values.
CREATE INDEX sessions_project_browser ON sessions (project_id, browser, started_at DESC);
CREATE INDEX sessions_project_os ON sessions (project_id, os, started_at DESC);
CREATE INDEX sessions_project_device ON sessions (project_id, device, started_at DESC);
CREATE INDEX sessions_project_country ON sessions (project_id, country, started_at DESC);
-- Two or more of them at once (browser:firefox country:DE): the compiler adds a containment
-- test on this array, which the GIN index answers with the sessions having all the values, so
-- a conjunction that matches few sessions reads only the German Firefox ones rather than
-- walking every Firefox session (SQLite's 0009 puts the four columns in each of the indexes
-- above for the same reason). A single value is never asked of it: its btree above is walked
-- in order.
CREATE INDEX sessions_agent ON sessions USING gin ((ARRAY['b:' || browser, 'o:' || os, 'd:' || device, 'c:' || country]));
CREATE INDEX sessions_project_user ON sessions (project_id, user_id) WHERE user_id <> '';
CREATE INDEX sessions_project_referrer ON sessions (project_id, referrer_host) WHERE referrer_host <> '';
CREATE INDEX sessions_project_utm_source ON sessions (project_id, utm_source) WHERE utm_source <> '';
CREATE INDEX sessions_project_utm_medium ON sessions (project_id, utm_medium) WHERE utm_medium <> '';
CREATE INDEX sessions_project_utm_campaign ON sessions (project_id, utm_campaign) WHERE utm_campaign <> '';
-- Globs (entry:/blog/*) on entry and exit pages.
CREATE INDEX sessions_entry_path_trgm ON sessions USING gin (entry_path gin_trgm_ops);
CREATE INDEX sessions_exit_path_trgm ON sessions USING gin (exit_path gin_trgm_ops);
CREATE INDEX sessions_compaction ON sessions (last_batch_at) WHERE last_batch_at > compacted_at;

CREATE TABLE session_pages (
    id         bigserial PRIMARY KEY, -- visit order among pages of the same time
    session_id text COLLATE "C" NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    tab        text COLLATE "C" NOT NULL,
    at         bigint NOT NULL,
    url        text COLLATE "C" NOT NULL,
    path       text COLLATE "C" NOT NULL
);
CREATE INDEX session_pages_session_at ON session_pages (session_id, at, id);
-- visited: by the value's first 512 characters (2,048 bytes at most, within what a btree entry
-- may hold; a URL may be longer), which answer equality and a glob's literal prefix ("C"
-- collation), the full value deciding. A glob with no literal prefix past "/" reads the table,
-- as SQLite's GLOB does. The path's index holds the session, in session order per value, so a
-- count can read each session once as it goes.
CREATE INDEX session_pages_path ON session_pages (left(path, 512), session_id);
CREATE INDEX session_pages_url ON session_pages (left(url, 512));

CREATE TABLE chunks (
    session_id   text COLLATE "C" NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    tab          text COLLATE "C" NOT NULL,
    seq          bigint NOT NULL,
    first_at     bigint NOT NULL,
    last_at      bigint NOT NULL,
    events       integer NOT NULL,
    raw_bytes    integer NOT NULL,
    stored_bytes integer NOT NULL,
    blob_key     text COLLATE "C" NOT NULL,
    sent_at      bigint NOT NULL,
    created_at   bigint NOT NULL,
    snapshot_at  bigint NOT NULL DEFAULT 0,
    compacted    boolean NOT NULL DEFAULT false,
    blob_offset  bigint NOT NULL DEFAULT 0,
    blob_length  bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (session_id, tab, seq)
);
CREATE INDEX chunks_blob ON chunks (blob_key) WHERE blob_key <> '';

CREATE TABLE segments (
    session_id text COLLATE "C" NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    tab        text COLLATE "C" NOT NULL,
    idx        integer NOT NULL,
    first_at   bigint NOT NULL,
    last_at    bigint NOT NULL,
    blob_key   text COLLATE "C" NOT NULL,
    "offset"   bigint NOT NULL,
    length     bigint NOT NULL,
    events     integer NOT NULL,
    raw_bytes  integer NOT NULL,
    PRIMARY KEY (session_id, tab, idx)
);
CREATE INDEX segments_blob ON segments (blob_key);

CREATE TABLE content (
    id         bigserial PRIMARY KEY,
    project_id text COLLATE "C" NOT NULL,
    hash       bytea NOT NULL,
    size       integer NOT NULL,
    stored     integer NOT NULL,
    touched_at bigint NOT NULL,
    UNIQUE (project_id, hash)
);
CREATE TABLE content_children (
    parent bigint NOT NULL,
    child  bigint NOT NULL,
    PRIMARY KEY (parent, child)
);
CREATE INDEX content_children_child ON content_children (child);
CREATE TABLE session_content (
    session_id text COLLATE "C" NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    content_id bigint NOT NULL,
    PRIMARY KEY (session_id, content_id)
);

CREATE TABLE session_events (
    session_id text COLLATE "C" NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    name       text COLLATE "C" NOT NULL
);
CREATE UNIQUE INDEX session_events_session_name ON session_events (session_id, md5(name));
-- Names, trait and property values are found as pages are (above): equality and a glob's
-- literal prefix by a btree on the value's start. A trigram index here would also answer
-- equality, and the planner takes it for that at a cost of 70 ms for a common name at a million
-- sessions against 5 ms for the btree.
CREATE INDEX session_events_name ON session_events (left(name, 512), session_id);

CREATE TABLE session_traits (
    session_id text COLLATE "C" NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    key        text COLLATE "C" NOT NULL,
    value      text COLLATE "C" NOT NULL
);
CREATE UNIQUE INDEX session_traits_session_key ON session_traits (session_id, md5(key));
CREATE INDEX session_traits_key_value ON session_traits (left(key, 256), left(value, 256));
-- A value belongs to its key (plan=pro): without these the planner multiplies the two
-- selectivities and expects far fewer sessions than match.
CREATE STATISTICS session_traits_key_value (dependencies, mcv) ON key, value FROM session_traits;

-- An error message is stored once (by its SHA-256: a message may be longer than a btree entry
-- may be), sessions reference it by id.
CREATE TABLE error_messages (
    id      bigserial PRIMARY KEY,
    hash    bytea NOT NULL UNIQUE,
    message text COLLATE "C" NOT NULL
);
CREATE INDEX error_messages_trgm ON error_messages USING gin (message gin_trgm_ops);
CREATE TABLE session_errors (
    session_id text COLLATE "C" NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    message_id bigint NOT NULL,
    PRIMARY KEY (session_id, message_id)
);
CREATE INDEX session_errors_message ON session_errors (message_id, session_id);

CREATE TABLE session_event_props (
    session_id text COLLATE "C" NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    key        text COLLATE "C" NOT NULL,
    value      text COLLATE "C" NOT NULL,
    hash       bytea NOT NULL, -- SHA-256 of key NUL value: the row's identity within its session
    PRIMARY KEY (session_id, hash)
);
CREATE INDEX session_event_props_key_value ON session_event_props (left(key, 256), left(value, 256), session_id);
CREATE STATISTICS session_event_props_key_value (dependencies, mcv) ON key, value FROM session_event_props;

CREATE TABLE session_signals (
    id          bigserial PRIMARY KEY,
    session_id  text COLLATE "C" NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    project_id  text COLLATE "C" NOT NULL,
    kind        text COLLATE "C" NOT NULL,
    at          bigint NOT NULL,
    path        text COLLATE "C" NOT NULL,
    target      text COLLATE "C" NOT NULL,
    fingerprint text COLLATE "C" NOT NULL,
    detail      text COLLATE "C" NOT NULL DEFAULT ''
);
CREATE INDEX session_signals_group ON session_signals (project_id, fingerprint, at);
CREATE INDEX session_signals_session ON session_signals (session_id, kind);
CREATE INDEX session_signals_fingerprint ON session_signals (fingerprint, session_id);
CREATE INDEX session_signals_kind ON session_signals (kind, session_id);
CREATE INDEX session_signals_project_at ON session_signals (project_id, at);

CREATE TABLE saved_searches (
    id         bigserial PRIMARY KEY,
    project_id text COLLATE "C" NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    name       text COLLATE "C" NOT NULL,
    query      text COLLATE "C" NOT NULL,
    owner_id   bigint NOT NULL,
    shared     boolean NOT NULL DEFAULT false,
    created_at bigint NOT NULL,
    updated_at bigint NOT NULL
);
CREATE INDEX saved_searches_project ON saved_searches (project_id, owner_id);

CREATE TABLE saved_search_visits (
    search_id  bigint NOT NULL REFERENCES saved_searches(id) ON DELETE CASCADE,
    user_id    bigint NOT NULL,
    visited_at bigint NOT NULL,
    PRIMARY KEY (search_id, user_id)
);

CREATE TABLE alert_rules (
    id              bigserial PRIMARY KEY,
    project_id      text COLLATE "C" NOT NULL REFERENCES projects(id),
    name            text COLLATE "C" NOT NULL,
    kind            text COLLATE "C" NOT NULL DEFAULT '',
    fingerprint     text COLLATE "C" NOT NULL DEFAULT '',
    threshold       integer NOT NULL,
    window_ms       bigint NOT NULL,
    webhook         text COLLATE "C" NOT NULL,
    created_at      bigint NOT NULL,
    fired_at        bigint NOT NULL DEFAULT 0,
    saved_search_id bigint REFERENCES saved_searches(id) ON DELETE CASCADE
);

CREATE TABLE playlists (
    id         bigserial PRIMARY KEY,
    project_id text COLLATE "C" NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    name       text COLLATE "C" NOT NULL,
    owner_id   bigint NOT NULL,
    shared     boolean NOT NULL DEFAULT false,
    created_at bigint NOT NULL,
    updated_at bigint NOT NULL
);
CREATE INDEX playlists_project ON playlists (project_id, owner_id);

CREATE TABLE playlist_sessions (
    playlist_id bigint NOT NULL REFERENCES playlists(id) ON DELETE CASCADE,
    session_id  text COLLATE "C" NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    position    integer NOT NULL,
    note        text COLLATE "C" NOT NULL DEFAULT '',
    added_at    bigint NOT NULL,
    added_by    bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (playlist_id, session_id)
);
CREATE INDEX playlist_sessions_order ON playlist_sessions (playlist_id, position);
CREATE INDEX playlist_sessions_session ON playlist_sessions (session_id);

-- On-screen text: every distinct piece once (found by its SHA-256), its words as a tsvector
-- built by the driver (positions kept, for phrases), under a GIN index. A session references
-- the pieces it showed as arrays of ids, one row per batch with new pieces, under a GIN index
-- that answers "which rows hold any of these pieces".
CREATE TABLE text_pieces (
    id    bigserial PRIMARY KEY,
    hash  bytea NOT NULL UNIQUE,
    text  text COLLATE "C" NOT NULL,
    words tsvector NOT NULL
);
CREATE INDEX text_pieces_words ON text_pieces USING gin (words);
CREATE TABLE session_text_refs (
    id         bigserial PRIMARY KEY,
    session_id text COLLATE "C" NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    pieces     bigint[] NOT NULL
);
CREATE INDEX session_text_refs_session ON session_text_refs (session_id);
CREATE INDEX session_text_refs_pieces ON session_text_refs USING gin (pieces);

CREATE TABLE session_archive (
    session_id text COLLATE "C" NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    project_id text COLLATE "C" NOT NULL,
    url        text COLLATE "C" NOT NULL,
    hash       bytea,
    type       text COLLATE "C" NOT NULL,
    size       integer NOT NULL,
    error      text COLLATE "C" NOT NULL,
    fetched_at bigint NOT NULL
);
CREATE UNIQUE INDEX session_archive_session_url ON session_archive (session_id, md5(url));
CREATE INDEX session_archive_url ON session_archive (project_id, md5(url), fetched_at);

-- Heatmaps: a page path once per project; a session's clicks and page views on it as rows.
CREATE TABLE heat_pages (
    id         bigserial PRIMARY KEY,
    project_id text COLLATE "C" NOT NULL,
    path       text COLLATE "C" NOT NULL
);
CREATE UNIQUE INDEX heat_pages_path ON heat_pages (project_id, md5(path));
CREATE INDEX heat_pages_path_trgm ON heat_pages USING gin (path gin_trgm_ops);
CREATE TABLE heat (
    page_id    bigint NOT NULL REFERENCES heat_pages(id),
    session_id text COLLATE "C" NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    device     text COLLATE "C" NOT NULL,
    first_at   bigint NOT NULL,
    last_at    bigint NOT NULL,
    PRIMARY KEY (page_id, session_id)
);
CREATE INDEX heat_session ON heat (session_id);
CREATE TABLE heat_clicks (
    page_id    bigint NOT NULL,
    session_id text COLLATE "C" NOT NULL,
    seq        integer NOT NULL, -- recorded order among clicks of the same time
    tab        text COLLATE "C" NOT NULL,
    at         bigint NOT NULL,
    selector   text COLLATE "C" NOT NULL,
    x          double precision NOT NULL,
    y          double precision NOT NULL,
    w          integer NOT NULL,
    h          integer NOT NULL,
    page_x     integer NOT NULL,
    page_y     integer NOT NULL,
    FOREIGN KEY (page_id, session_id) REFERENCES heat(page_id, session_id) ON DELETE CASCADE
);
CREATE INDEX heat_clicks_row ON heat_clicks (page_id, session_id);
CREATE TABLE heat_views (
    page_id    bigint NOT NULL,
    session_id text COLLATE "C" NOT NULL,
    seq        integer NOT NULL,
    tab        text COLLATE "C" NOT NULL,
    at         bigint NOT NULL,
    seen_at    bigint NOT NULL,
    depth      integer NOT NULL, -- percent
    FOREIGN KEY (page_id, session_id) REFERENCES heat(page_id, session_id) ON DELETE CASCADE
);
CREATE INDEX heat_views_row ON heat_views (page_id, session_id);
