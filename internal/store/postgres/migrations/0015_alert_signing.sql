-- Signed, formatted webhooks (issue 16): each alert rule has a signing secret, with which every
-- post carries an HMAC-SHA256 of its timestamp and body (docs/api.md#verifying-a-webhook), and
-- a body format: "slack" (Slack's incoming-webhook message, the only format before) or "json"
-- (a plain event object). Rules made before get a secret of their own now: two random UUIDs
-- (gen_random_uuid draws from the operating system's strong random source), 244 random bits.
ALTER TABLE alert_rules ADD COLUMN format text NOT NULL DEFAULT 'slack';
ALTER TABLE alert_rules ADD COLUMN secret text NOT NULL DEFAULT '';
UPDATE alert_rules SET secret = 'whsec_' || replace(gen_random_uuid()::text, '-', '') || replace(gen_random_uuid()::text, '-', '') WHERE secret = '';
