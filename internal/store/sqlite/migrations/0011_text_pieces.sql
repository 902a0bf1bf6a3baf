-- On-screen text stored once (docs/search.md, docs/storage.md): 0007 kept every session's own
-- copy of the pieces it showed and indexed each copy's words, so a site's menus, buttons and
-- product names were stored and indexed again for every session (two thirds of the index in
-- bench/storage). Now each distinct piece is stored once, with one full-text index over the
-- distinct pieces, and a session keeps only the ids of the pieces it showed.

-- Every distinct piece, found by its text and a 32-bit hash of it (reel_text_hash: half the
-- bytes of a 64-bit one, and a lookup compares the text anyway). The full-text index reads the
-- pieces as its external content; the triggers keep it in step, and secure-delete takes a
-- deleted piece's words out of the index's pages too. Nothing ranks matches, so the index
-- keeps no token counts (columnsize=0), and it merges its segments as soon as two are the
-- same size (automerge 2, not 4): the index is written a little at a time, and each segment
-- repeats the words it shares with the others.
CREATE TABLE text_pieces (
    id   INTEGER PRIMARY KEY,
    hash INTEGER NOT NULL,
    text TEXT NOT NULL
);
CREATE INDEX text_pieces_hash ON text_pieces(hash);
CREATE VIRTUAL TABLE text_pieces_fts USING fts5(text, content='text_pieces', content_rowid='id', columnsize=0, tokenize='unicode61 remove_diacritics 2');
INSERT INTO text_pieces_fts(text_pieces_fts, rank) VALUES ('secure-delete', 1);
INSERT INTO text_pieces_fts(text_pieces_fts, rank) VALUES ('automerge', 2);
CREATE TRIGGER text_pieces_insert AFTER INSERT ON text_pieces BEGIN
    INSERT INTO text_pieces_fts(rowid, text) VALUES (new.id, new.text);
END;
CREATE TRIGGER text_pieces_delete AFTER DELETE ON text_pieces BEGIN
    INSERT INTO text_pieces_fts(text_pieces_fts, rowid, text) VALUES ('delete', old.id, old.text);
END;

-- Each batch that showed pieces its session had not shown before adds one row: their ids,
-- ascending, each as the varint of its difference from the one before. The same ids are the
-- words of the row in session_text_refs_fts, which is contentless and keeps no positions: it
-- holds just, for each piece, the list of rows referencing it, a byte or two a row, and merges
-- like the pieces' index. Ingest writes both; deleting a row (with its session, ON DELETE
-- CASCADE) deletes its index entry.
CREATE TABLE session_text_refs (
    id         INTEGER PRIMARY KEY,
    session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    pieces     BLOB NOT NULL
);
CREATE INDEX session_text_refs_session ON session_text_refs(session_id);
CREATE VIRTUAL TABLE session_text_refs_fts USING fts5(pieces, content='', contentless_delete=1, detail=none, tokenize='ascii');
INSERT INTO session_text_refs_fts(session_text_refs_fts, rank) VALUES ('secure-delete', 1);
INSERT INTO session_text_refs_fts(session_text_refs_fts, rank) VALUES ('automerge', 2);
CREATE TRIGGER session_text_refs_delete AFTER DELETE ON session_text_refs BEGIN
    DELETE FROM session_text_refs_fts WHERE rowid = old.id;
END;

-- The text of 0007 moves over: each row's pieces (one a line) become shared pieces, numbered
-- in the order they were first shown, and the row keeps its id and session.
CREATE TEMP TABLE old_text_pieces AS
    SELECT t.id AS row_id, t.session_id, j.value AS text FROM session_text t, json_each(reel_text_lines(t.text)) j ORDER BY t.id, j.key;
INSERT INTO text_pieces(hash, text)
    SELECT reel_text_hash(text), text FROM (SELECT text, MIN(rowid) AS first FROM old_text_pieces GROUP BY text) ORDER BY first;
INSERT INTO session_text_refs(id, session_id, pieces)
    SELECT o.row_id, o.session_id, reel_text_pack(json_group_array(p.id))
    FROM old_text_pieces o JOIN text_pieces p ON p.hash = reel_text_hash(o.text) AND p.text = o.text
    GROUP BY o.row_id, o.session_id;
INSERT INTO session_text_refs_fts(rowid, pieces) SELECT id, reel_text_words(pieces) FROM session_text_refs;
DROP TABLE old_text_pieces;
DROP TABLE session_text_fts;
DROP TABLE session_text;
