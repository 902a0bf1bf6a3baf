-- Signed, formatted webhooks (issue 16): each alert rule has a signing secret, with which every
-- post carries an HMAC-SHA256 of its timestamp and body (docs/api.md#verifying-a-webhook), and
-- a body format: "slack" (Slack's incoming-webhook message, the only format before) or "json"
-- (a plain event object). Rules made before get a secret of their own now.
ALTER TABLE alert_rules ADD COLUMN format TEXT NOT NULL DEFAULT 'slack';
ALTER TABLE alert_rules ADD COLUMN secret TEXT NOT NULL DEFAULT '';
UPDATE alert_rules SET secret = 'whsec_' || lower(hex(randomblob(32))) WHERE secret = '';
