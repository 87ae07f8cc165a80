-- Inbound side: sources, accepted events, refused requests.
-- Times are milliseconds since the Unix epoch (UTC) in both databases, so that keyset
-- pagination and bucketing are the same arithmetic everywhere.

CREATE TABLE sources (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    slug            TEXT    NOT NULL UNIQUE,
    name            TEXT    NOT NULL,
    scheme          TEXT    NOT NULL,
    config          TEXT    NOT NULL DEFAULT '{}',
    tolerance_secs  BIGINT  NOT NULL DEFAULT 300,
    max_body_bytes  BIGINT  NOT NULL DEFAULT 2097152,
    created_at      BIGINT  NOT NULL,
    updated_at      BIGINT  NOT NULL
);

CREATE TABLE source_secrets (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    source_id   BIGINT  NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
    secret      TEXT    NOT NULL,
    created_at  BIGINT  NOT NULL,
    -- NULL: the current secret. Otherwise a rotated-out secret still accepted until then.
    expires_at  BIGINT
);
CREATE INDEX source_secrets_by_source ON source_secrets(source_id);

CREATE TABLE events (
    id                  BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    source_id           BIGINT  NOT NULL REFERENCES sources(id),
    provider_event_id   TEXT    NOT NULL,
    event_type          TEXT    NOT NULL,
    received_at         BIGINT  NOT NULL,
    -- NULL once retention has purged the payload; the row (and so dedup) stays.
    body                BYTEA,
    body_size           BIGINT  NOT NULL,
    headers             TEXT    NOT NULL,
    verified_secret_id  BIGINT,
    livemode            BOOLEAN,
    object_id           TEXT,
    object_type         TEXT,
    api_version         TEXT,
    amount              BIGINT,
    currency            TEXT,
    customer            TEXT,
    status              TEXT,
    provider_created_at BIGINT,
    duplicate_count     BIGINT  NOT NULL DEFAULT 0,
    last_duplicate_at   BIGINT
);
CREATE UNIQUE INDEX events_dedup ON events(source_id, provider_event_id);
CREATE INDEX events_by_received ON events(received_at, id);
CREATE INDEX events_by_type ON events(event_type, received_at, id);
CREATE INDEX events_by_object ON events(object_id);

CREATE TABLE rejections (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    source_id       BIGINT  REFERENCES sources(id) ON DELETE SET NULL,
    source_slug     TEXT    NOT NULL,
    reason          TEXT    NOT NULL,
    detail          TEXT    NOT NULL DEFAULT '{}',
    headers         TEXT    NOT NULL,
    body_prefix     BYTEA    NOT NULL,
    body_size       BIGINT  NOT NULL,
    received_at     BIGINT  NOT NULL
);
CREATE INDEX rejections_by_received ON rejections(received_at);
CREATE INDEX rejections_by_source ON rejections(source_id, received_at);
