-- Latchkey's PostgreSQL schema: the SQLite schema of the same version
-- (internal/store/sqlite/migrations), translated. Times are unix
-- milliseconds UTC in BIGINT (0 = unset), booleans BOOLEAN, key material
-- BYTEA, lists JSON in TEXT (see package sqlstore). Text is COLLATE "C":
-- byte order, as SQLite compares, so lists page in the same order on both
-- engines whatever the database's locale.

-- +goose Up
CREATE TABLE auth_servers (
    id          TEXT COLLATE "C" PRIMARY KEY,
    name        TEXT COLLATE "C" NOT NULL,
    description TEXT COLLATE "C" NOT NULL,
    audience    TEXT COLLATE "C" NOT NULL,
    status      TEXT COLLATE "C" NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);

CREATE TABLE clients (
    id                         TEXT COLLATE "C" PRIMARY KEY,
    name                       TEXT COLLATE "C" NOT NULL,
    secret_hash                TEXT COLLATE "C" NOT NULL,
    token_endpoint_auth_method TEXT COLLATE "C" NOT NULL,
    grant_types                TEXT COLLATE "C" NOT NULL, -- JSON array of strings
    status                     TEXT COLLATE "C" NOT NULL,
    created_at                 BIGINT NOT NULL,
    updated_at                 BIGINT NOT NULL
);

CREATE TABLE users (
    id                  TEXT COLLATE "C" PRIMARY KEY,
    status              TEXT COLLATE "C" NOT NULL,
    login               TEXT COLLATE "C" NOT NULL,
    login_key           TEXT COLLATE "C" NOT NULL, -- lower(login): logins are unique case-insensitively
    email               TEXT COLLATE "C" NOT NULL,
    email_verified      BOOLEAN NOT NULL,
    first_name          TEXT COLLATE "C" NOT NULL,
    last_name           TEXT COLLATE "C" NOT NULL,
    locale              TEXT COLLATE "C" NOT NULL,
    zone_info           TEXT COLLATE "C" NOT NULL,
    password_hash       TEXT COLLATE "C" NOT NULL,
    password_changed_at BIGINT NOT NULL,
    created_at          BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL,
    last_login_at       BIGINT NOT NULL
);

CREATE UNIQUE INDEX users_login_key ON users (login_key);

CREATE TABLE signing_keys (
    id             TEXT COLLATE "C" PRIMARY KEY, -- the JWK kid
    auth_server_id TEXT COLLATE "C" NOT NULL,
    alg            TEXT COLLATE "C" NOT NULL,
    status         TEXT COLLATE "C" NOT NULL,
    public_jwk     BYTEA NOT NULL,
    private_sealed BYTEA NOT NULL,
    created_at     BIGINT NOT NULL,
    activated_at   BIGINT NOT NULL,
    expired_at     BIGINT NOT NULL
);

CREATE INDEX signing_keys_by_server ON signing_keys (auth_server_id, created_at DESC, id);

-- One row per authorization server whose keys UpdateKeys has changed: the
-- row UpdateKeys locks to serialize rotations.
CREATE TABLE signing_key_locks (
    auth_server_id TEXT COLLATE "C" PRIMARY KEY
);

-- +goose Down
DROP TABLE signing_key_locks;
DROP TABLE signing_keys;
DROP TABLE users;
DROP TABLE clients;
DROP TABLE auth_servers;
