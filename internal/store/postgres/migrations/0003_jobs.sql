-- When each background job that must run once across the cluster (retention, the orphan
-- sweep, planner statistics, alerts) last started, in milliseconds on the database server's
-- clock: TryJob is one conditional upsert on this table (docs/decisions.md). Scheduling state
-- only: reel migrate does not copy it.
CREATE TABLE jobs (
    name   text COLLATE "C" PRIMARY KEY,
    ran_at bigint NOT NULL
);
