-- The server-side scrubber (issue 15): each project's settings (a JSON object,
-- scrub.Config; '{}' is the default, everything on), and per session how many values of each
-- kind ingest scrubbed, summed over its batches, with their total for `scrubbed:` searches.
ALTER TABLE projects ADD COLUMN scrub text COLLATE "C" NOT NULL DEFAULT '{}';
ALTER TABLE sessions ADD COLUMN scrubbed integer NOT NULL DEFAULT 0,
    ADD COLUMN scrubbed_card integer NOT NULL DEFAULT 0,
    ADD COLUMN scrubbed_email integer NOT NULL DEFAULT 0,
    ADD COLUMN scrubbed_phone integer NOT NULL DEFAULT 0,
    ADD COLUMN scrubbed_iban integer NOT NULL DEFAULT 0,
    ADD COLUMN scrubbed_token integer NOT NULL DEFAULT 0,
    ADD COLUMN scrubbed_custom integer NOT NULL DEFAULT 0;
