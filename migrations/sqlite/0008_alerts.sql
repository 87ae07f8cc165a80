-- Alerts: operational notifications (an endpoint starts failing, is disabled or recovers; an
-- expected event type goes quiet or resumes). Each row is shown in the dashboard and is also
-- the outbox for the signed webhook sent to the configured alert URL.
CREATE TABLE alerts (
    id               INTEGER PRIMARY KEY,
    -- 'endpoint.failing' | 'endpoint.disabled' | 'endpoint.recovered'
    -- | 'event_type.quiet' | 'event_type.resumed'
    kind             TEXT    NOT NULL,
    -- 'endpoint:3' | 'event_type:invoice.paid'
    subject          TEXT    NOT NULL,
    message          TEXT    NOT NULL,
    detail           TEXT    NOT NULL DEFAULT '{}',
    created_at       INTEGER NOT NULL,
    -- Raised once across every instance: a second insert with the same key is ignored.
    dedup_key        TEXT    UNIQUE,
    -- 'pending' | 'sent' | 'failed' (gave up) | 'unsent' (no alert URL was configured)
    send_state       TEXT    NOT NULL DEFAULT 'pending',
    send_attempts    INTEGER NOT NULL DEFAULT 0,
    next_send_at     INTEGER NOT NULL,
    sent_at          INTEGER,
    last_send_error  TEXT,
    lease_owner      TEXT,
    lease_expires_at INTEGER
);
CREATE INDEX alerts_due ON alerts(send_state, next_send_at);
CREATE INDEX alerts_by_created ON alerts(created_at, id);

-- Failed attempts in a row (reset by a success), and since when a "failing" alert stands.
ALTER TABLE endpoints ADD COLUMN failure_streak INTEGER NOT NULL DEFAULT 0;
ALTER TABLE endpoints ADD COLUMN alerting_since INTEGER;

-- Watched event types: since when each is watched, and the last-seen time a "quiet" alert was
-- raised for (NULL: not quiet).
CREATE TABLE quiet_watch (
    event_type     TEXT    PRIMARY KEY,
    watched_since  INTEGER NOT NULL,
    quiet_since    INTEGER
);
