-- Every user id a session was ever identified as (issue 15): an account switch, or an identify
-- sent by anyone who holds the public key and the session id, adds a row instead of
-- overwriting the last one, so erasure and user: search find the session by any of them.
-- first_at is when the id was first seen (the identify event's time); sessions.user_id stays
-- the current (latest) id.
CREATE TABLE session_users (
    session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    user_id    TEXT NOT NULL,
    first_at   INTEGER NOT NULL,
    PRIMARY KEY (session_id, user_id)
) WITHOUT ROWID;
CREATE INDEX session_users_user ON session_users(user_id, session_id);
INSERT INTO session_users(session_id, user_id, first_at)
    SELECT id, user_id, started_at FROM sessions WHERE user_id <> '';
