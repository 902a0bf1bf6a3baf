-- When each background job that must run once across every process sharing the index
-- (retention, the orphan sweep, planner statistics, alerts) last started, in milliseconds on
-- the database's clock: TryJob is one conditional upsert on this table (docs/decisions.md).
-- Scheduling state only: reel migrate does not copy it.
CREATE TABLE jobs (
    name   TEXT PRIMARY KEY,
    ran_at INTEGER NOT NULL
) WITHOUT ROWID;
