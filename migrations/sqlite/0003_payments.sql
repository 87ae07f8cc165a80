-- Payments: the projection of payment events (see server/core/src/payments). One row per
-- payment, keyed by (source, provider object id); every field but `ledger` is derived from
-- `ledger`, the fold's memory, which the projector reads back when the next event arrives.

CREATE TABLE payments (
    id               INTEGER PRIMARY KEY,
    source_id        INTEGER NOT NULL REFERENCES sources(id),
    payment_key      TEXT    NOT NULL,
    kind             TEXT    NOT NULL,
    livemode         INTEGER,
    amount           INTEGER,
    currency         TEXT,
    customer         TEXT,
    description      TEXT,
    status           TEXT    NOT NULL,
    provider_status  TEXT,
    amount_refunded  INTEGER NOT NULL DEFAULT 0,
    amount_disputed  INTEGER NOT NULL DEFAULT 0,
    dispute_status   TEXT,
    failure_message  TEXT,
    event_count      INTEGER NOT NULL DEFAULT 0,
    -- Provider times of the earliest and the newest event, ms since the epoch.
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    ledger           TEXT    NOT NULL
);
CREATE UNIQUE INDEX payments_by_key ON payments(source_id, payment_key);
CREATE INDEX payments_by_created ON payments(created_at, id);
CREATE INDEX payments_by_status ON payments(status, created_at, id);
CREATE INDEX payments_by_currency ON payments(currency, created_at, id);
CREATE INDEX payments_by_customer ON payments(customer, created_at, id);

-- A payment's timeline: each event filed under it and how it was taken.
CREATE TABLE payment_events (
    payment_id         INTEGER NOT NULL REFERENCES payments(id) ON DELETE CASCADE,
    event_id           INTEGER NOT NULL REFERENCES events(id),
    provider_event_id  TEXT    NOT NULL,
    event_type         TEXT    NOT NULL,
    -- applied, stale or duplicate
    verdict            TEXT    NOT NULL,
    reported_status    TEXT,
    amount             INTEGER,
    currency           TEXT,
    at_ms              INTEGER NOT NULL,
    PRIMARY KEY (payment_id, event_id)
);
CREATE INDEX payment_events_by_event ON payment_events(event_id);

-- Stored payment events not yet folded in. Filled in the ingest transaction, drained by the
-- projector (and refilled by `hookyard payments rebuild`).
CREATE TABLE payment_queue (
    event_id  INTEGER PRIMARY KEY
);
