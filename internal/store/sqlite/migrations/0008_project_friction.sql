-- A project's friction thresholds: a JSON object of overrides over analyze.Defaults
-- (docs/friction.md); '{}' keeps every default.
ALTER TABLE projects ADD COLUMN friction TEXT NOT NULL DEFAULT '{}';
