-- Inbound side: sources, accepted events, refused requests.
-- Times are milliseconds since the Unix epoch (UTC) in both databases, so that keyset
-- pagination and bucketing are the same arithmetic everywhere.

CREATE TABLE sources (
    id              INTEGER PRIMARY KEY,
    slug            TEXT    NOT NULL UNIQUE,
    name            TEXT    NOT NULL,
    scheme          TEXT    NOT NULL,
    config          TEXT    NOT NULL DEFAULT '{}',
    tolerance_secs  INTEGER NOT NULL DEFAULT 300,
    max_body_bytes  INTEGER NOT NULL DEFAULT 2097152,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);

CREATE TABLE source_secrets (
    id          INTEGER PRIMARY KEY,
    source_id   INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
    secret      TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    -- NULL: the current secret. Otherwise a rotated-out secret still accepted until then.
    expires_at  INTEGER
);
CREATE INDEX source_secrets_by_source ON source_secrets(source_id);

CREATE TABLE events (
    id                  INTEGER PRIMARY KEY,
    source_id           INTEGER NOT NULL REFERENCES sources(id),
    provider_event_id   TEXT    NOT NULL,
    event_type          TEXT    NOT NULL,
    received_at         INTEGER NOT NULL,
    -- NULL once retention has purged the payload; the row (and so dedup) stays.
    body                BLOB,
    body_size           INTEGER NOT NULL,
    headers             TEXT    NOT NULL,
    verified_secret_id  INTEGER,
    livemode            INTEGER,
    object_id           TEXT,
    object_type         TEXT,
    api_version         TEXT,
    amount              INTEGER,
    currency            TEXT,
    customer            TEXT,
    status              TEXT,
    provider_created_at INTEGER,
    duplicate_count     INTEGER NOT NULL DEFAULT 0,
    last_duplicate_at   INTEGER
);
CREATE UNIQUE INDEX events_dedup ON events(source_id, provider_event_id);
CREATE INDEX events_by_received ON events(received_at, id);
CREATE INDEX events_by_type ON events(event_type, received_at, id);
CREATE INDEX events_by_object ON events(object_id);

CREATE TABLE rejections (
    id              INTEGER PRIMARY KEY,
    source_id       INTEGER REFERENCES sources(id) ON DELETE SET NULL,
    source_slug     TEXT    NOT NULL,
    reason          TEXT    NOT NULL,
    detail          TEXT    NOT NULL DEFAULT '{}',
    headers         TEXT    NOT NULL,
    body_prefix     BLOB    NOT NULL,
    body_size       INTEGER NOT NULL,
    received_at     INTEGER NOT NULL
);
CREATE INDEX rejections_by_received ON rejections(received_at);
CREATE INDEX rejections_by_source ON rejections(source_id, received_at);
