-- Active time: milliseconds of a session with a person at the page (mouse, touch, scroll,
-- input, drag or selection events less than 10 s apart, as the player's activity strip
-- counts them), summed batch by batch at ingest. Sessions recorded before this have 0.
ALTER TABLE sessions ADD COLUMN active_ms INTEGER NOT NULL DEFAULT 0;
