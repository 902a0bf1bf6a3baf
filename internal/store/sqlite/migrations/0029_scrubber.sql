-- The server-side scrubber (issue 15): each project's settings (a JSON object,
-- scrub.Config; '{}' is the default, everything on), and per session how many values of each
-- kind ingest scrubbed, summed over its batches, with their total for `scrubbed:` searches.
ALTER TABLE projects ADD COLUMN scrub TEXT NOT NULL DEFAULT '{}';
ALTER TABLE sessions ADD COLUMN scrubbed INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN scrubbed_card INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN scrubbed_email INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN scrubbed_phone INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN scrubbed_iban INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN scrubbed_token INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN scrubbed_custom INTEGER NOT NULL DEFAULT 0;
