-- Content items numbered (docs/storage.md): the sessions' references and the edges between
-- items named each item by its 32-byte SHA-256, and a session's references by its text id as
-- well: 60 bytes a reference. Now an item has an integer id, unique across projects (so an id
-- names its project too); the hash stays in content, for lookups and for the blob's key, and
-- references and edges keep ids, a few bytes each.
CREATE TABLE content_ids (
    id         INTEGER PRIMARY KEY,
    project_id TEXT NOT NULL,
    hash       BLOB NOT NULL,
    size       INTEGER NOT NULL,
    stored     INTEGER NOT NULL,
    touched_at INTEGER NOT NULL,
    UNIQUE (project_id, hash)
);
INSERT INTO content_ids(project_id, hash, size, stored, touched_at)
    SELECT project_id, hash, size, stored, touched_at FROM content ORDER BY project_id, hash;

-- An edge is kept only while both its items are: the sweep deletes the edges of the items it
-- deletes, whichever end they are.
CREATE TABLE content_edges (
    parent INTEGER NOT NULL,
    child  INTEGER NOT NULL,
    PRIMARY KEY (parent, child)
) WITHOUT ROWID;
INSERT INTO content_edges(parent, child)
    SELECT p.id, c.id FROM content_children e
    JOIN content_ids p ON p.project_id = e.project_id AND p.hash = e.parent
    JOIN content_ids c ON c.project_id = e.project_id AND c.hash = e.child;

CREATE TABLE session_content_ids (
    session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    content_id INTEGER NOT NULL,
    PRIMARY KEY (session_id, content_id)
) WITHOUT ROWID;
INSERT INTO session_content_ids(session_id, content_id)
    SELECT r.session_id, c.id FROM session_content r JOIN sessions s ON s.id = r.session_id
    JOIN content_ids c ON c.project_id = s.project_id AND c.hash = r.hash;

DROP TABLE session_content;
DROP TABLE content_children;
DROP TABLE content;
ALTER TABLE content_ids RENAME TO content;
ALTER TABLE session_content_ids RENAME TO session_content;
ALTER TABLE content_edges RENAME TO content_children;
