-- Live analysis (issue 17): sessions are analysed as their batches arrive, not only at
-- compaction. analyzed_at now holds the ingest time of the last batch an analysis read, so the
-- sessions with batches no analysis has read yet are those with last_batch_at above it; the
-- partial index keeps finding them cheap however many sessions are at rest. report is the
-- analysis as the player reads it (analyze.Report as JSON), so opening a replay reads it
-- instead of analysing the session again.
ALTER TABLE sessions ADD COLUMN report bytea;
CREATE INDEX sessions_live ON sessions(last_batch_at) WHERE last_batch_at > compacted_at;
