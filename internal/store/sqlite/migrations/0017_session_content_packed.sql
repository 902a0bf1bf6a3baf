-- A session's content references packed (docs/storage.md): one row per session holding the
-- ids of the content items its events name, as a sorted set (text.go's packIDs: a byte or two
-- an id), instead of a row per item repeating the session id. The sweep reads every row anyway
-- (it marks what any session reaches), and a session's references are only ever read whole.
CREATE TABLE session_content_packed (
    session_id TEXT PRIMARY KEY REFERENCES sessions(id) ON DELETE CASCADE,
    ids        BLOB NOT NULL
) WITHOUT ROWID;
INSERT INTO session_content_packed(session_id, ids)
    SELECT session_id, reel_text_pack(json_group_array(content_id)) FROM session_content GROUP BY session_id;
DROP TABLE session_content;
ALTER TABLE session_content_packed RENAME TO session_content;
