-- Access: users, API tokens, sign-in sessions and failed sign-ins (for rate limiting).

CREATE TABLE users (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- Lower-cased; one account per address.
    email           TEXT    NOT NULL UNIQUE,
    -- 'viewer' | 'developer' | 'operator' | 'admin'
    role            TEXT    NOT NULL,
    -- argon2id PHC string.
    password_hash   TEXT    NOT NULL,
    disabled_at     BIGINT,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    last_login_at   BIGINT
);

CREATE TABLE api_tokens (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name            TEXT    NOT NULL,
    role            TEXT    NOT NULL,
    -- SHA-256 of the token (hex); the token itself is shown once and never stored.
    token_hash      TEXT    NOT NULL UNIQUE,
    -- The token's first characters, to tell tokens apart.
    hint            TEXT    NOT NULL,
    created_by      TEXT    NOT NULL,
    created_at      BIGINT NOT NULL,
    last_used_at    BIGINT,
    revoked_at      BIGINT
);

-- tower-sessions records (JSON), one per signed-in browser.
CREATE TABLE sessions (
    id              TEXT    PRIMARY KEY,
    user_id         BIGINT REFERENCES users(id) ON DELETE CASCADE,
    data            TEXT    NOT NULL,
    expires_at      BIGINT NOT NULL
);
CREATE INDEX sessions_by_user ON sessions(user_id);
CREATE INDEX sessions_by_expiry ON sessions(expires_at);

CREATE TABLE login_failures (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at              BIGINT NOT NULL,
    -- As typed (lower-cased), whether or not such a user exists.
    email           TEXT    NOT NULL,
    ip              TEXT    NOT NULL
);
CREATE INDEX login_failures_by_email ON login_failures(email, at);
CREATE INDEX login_failures_by_ip ON login_failures(ip, at);

-- The audit page filters by actor and by action, newest first.
CREATE INDEX audit_log_by_actor ON audit_log(actor, id);
CREATE INDEX audit_log_by_action ON audit_log(action, id);
