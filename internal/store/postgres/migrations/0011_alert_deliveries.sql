-- The last attempts to post each alert rule's webhook (issue 18): when, whether it was a
-- "Send test", the receiver's status and why it failed, so the Alerts page can show whether a
-- rule's destination works. Only the last few per rule are kept (store.DeliveriesKept); they
-- go with their rule.
CREATE TABLE alert_deliveries (
    id      bigserial PRIMARY KEY,
    rule_id bigint NOT NULL REFERENCES alert_rules(id) ON DELETE CASCADE,
    at      bigint NOT NULL,
    test    boolean NOT NULL DEFAULT false,
    status  integer NOT NULL DEFAULT 0,
    error   text COLLATE "C" NOT NULL DEFAULT ''
);
CREATE INDEX alert_deliveries_rule ON alert_deliveries (rule_id, id);
