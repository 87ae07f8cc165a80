-- Outbound side: handler endpoints, one delivery per (event, endpoint), every attempt,
-- bulk replays, and the audit log that manual actions and automatic disables write to.

CREATE TABLE endpoints (
    id              INTEGER PRIMARY KEY,
    name            TEXT    NOT NULL,
    url             TEXT    NOT NULL,
    description     TEXT    NOT NULL DEFAULT '',
    -- JSON array of patterns: "charge.succeeded", "charge.*", "*".
    patterns        TEXT    NOT NULL,
    source_id       INTEGER REFERENCES sources(id) ON DELETE SET NULL,
    -- 'enabled' | 'paused' | 'disabled'
    state           TEXT    NOT NULL DEFAULT 'enabled',
    state_reason    TEXT    NOT NULL DEFAULT '',
    secret          TEXT    NOT NULL,
    -- JSON array of [name, value] sent with every delivery.
    headers         TEXT    NOT NULL DEFAULT '[]',
    timeout_ms      INTEGER NOT NULL DEFAULT 15000,
    max_in_flight   INTEGER NOT NULL DEFAULT 10,
    -- JSON array of delays in seconds; NULL = the default schedule.
    retry_schedule  TEXT,
    -- Set at the first failure after a success; cleared by a success (auto-disable clock).
    failing_since   INTEGER,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);

CREATE TABLE deliveries (
    id                INTEGER PRIMARY KEY,
    event_id          INTEGER NOT NULL REFERENCES events(id) ON DELETE CASCADE,
    endpoint_id       INTEGER NOT NULL REFERENCES endpoints(id) ON DELETE CASCADE,
    -- 'pending' | 'in_flight' | 'succeeded' | 'retrying' | 'failed' | 'held' | 'cancelled'
    status            TEXT    NOT NULL,
    attempts          INTEGER NOT NULL DEFAULT 0,
    next_attempt_at   INTEGER NOT NULL,
    -- Trigger recorded on the next attempt: 'initial' | 'automatic' | 'manual' | 'bulk'.
    next_trigger      TEXT    NOT NULL DEFAULT 'initial',
    next_actor        TEXT,
    lease_owner       TEXT,
    lease_expires_at  INTEGER,
    last_status       INTEGER,
    last_error        TEXT,
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL
);
CREATE INDEX deliveries_due ON deliveries(endpoint_id, status, next_attempt_at);
CREATE INDEX deliveries_leases ON deliveries(status, lease_expires_at);
CREATE INDEX deliveries_by_event ON deliveries(event_id);

CREATE TABLE attempts (
    id                INTEGER PRIMARY KEY,
    delivery_id       INTEGER NOT NULL REFERENCES deliveries(id) ON DELETE CASCADE,
    number            INTEGER NOT NULL,
    trigger           TEXT    NOT NULL,
    actor             TEXT,
    started_at        INTEGER NOT NULL,
    duration_ms       INTEGER NOT NULL,
    request_headers   TEXT    NOT NULL,
    response_status   INTEGER,
    response_headers  TEXT,
    -- First 20 KB of the response body.
    response_body     BLOB,
    -- 'timeout' | 'connect' | 'dns' | 'tls' | 'http_status' | 'blocked'
    error_kind        TEXT,
    error_message     TEXT
);
CREATE INDEX attempts_by_delivery ON attempts(delivery_id, number);
CREATE INDEX attempts_by_start ON attempts(started_at);

CREATE TABLE bulk_replays (
    id          INTEGER PRIMARY KEY,
    -- JSON filter: endpoint_id, event_type, status, from, to.
    filter      TEXT    NOT NULL,
    total       INTEGER NOT NULL,
    done        INTEGER NOT NULL DEFAULT 0,
    -- Highest delivery id processed (the batches walk upwards).
    cursor      INTEGER NOT NULL DEFAULT 0,
    -- 'running' | 'finished' | 'cancelled'
    state       TEXT    NOT NULL,
    actor       TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);

CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY,
    at          INTEGER NOT NULL,
    actor       TEXT    NOT NULL,
    action      TEXT    NOT NULL,
    target      TEXT    NOT NULL DEFAULT '',
    detail      TEXT    NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_by_at ON audit_log(at);
