-- A piece of on-screen text keeps its id for good (docs/storage.md, "Correctness with many
-- writers"): ingest remembers pieces' ids across transactions (textCache), and checks that
-- the ids it remembers still exist before it references them, because a deletion elsewhere
-- (another process, another node) may have dropped them. That check only proves the piece is
-- the same if a deleted piece's id is never given to another: INTEGER PRIMARY KEY alone reuses
-- the highest id once its row is deleted, AUTOINCREMENT never does (PostgreSQL's identity
-- columns never do). Same rows, same ids; the full-text index reads the pieces by id, so it
-- stays as it is, and the triggers that keep it in step are recreated with the table.
CREATE TABLE text_pieces_new (
    id   INTEGER PRIMARY KEY AUTOINCREMENT,
    hash INTEGER NOT NULL,
    text TEXT NOT NULL
);
INSERT INTO text_pieces_new(id, hash, text) SELECT id, hash, text FROM text_pieces;
DROP TABLE text_pieces;
ALTER TABLE text_pieces_new RENAME TO text_pieces;
CREATE INDEX text_pieces_hash ON text_pieces(hash);
CREATE TRIGGER text_pieces_insert AFTER INSERT ON text_pieces BEGIN
    INSERT INTO text_pieces_fts(rowid, text) VALUES (new.id, new.text);
END;
CREATE TRIGGER text_pieces_delete AFTER DELETE ON text_pieces BEGIN
    INSERT INTO text_pieces_fts(text_pieces_fts, rowid, text) VALUES ('delete', old.id, old.text);
END;

-- One row counting the transactions that deleted pieces: ingest reads it before using the ids
-- it remembers and forgets them when it moved (sqlite/text.go, textCache). PRAGMA data_version
-- did this for other connections of one machine; a row does it for every writer, as it will on
-- PostgreSQL, where ingest reads it FOR SHARE.
CREATE TABLE text_epoch (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    n  INTEGER NOT NULL
);
INSERT INTO text_epoch(id, n) VALUES (1, 0);
