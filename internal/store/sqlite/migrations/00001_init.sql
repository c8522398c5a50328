-- Latchkey's SQLite schema. Tables are STRICT so a value of the wrong type
-- is an error rather than silently stored; times are unix milliseconds UTC
-- (0 = unset), booleans 0/1, key material BLOB (see package sqlstore).

-- +goose Up
CREATE TABLE auth_servers (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    description TEXT NOT NULL,
    audience    TEXT NOT NULL,
    status      TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
) STRICT;

CREATE TABLE clients (
    id                         TEXT PRIMARY KEY,
    name                       TEXT NOT NULL,
    secret_hash                TEXT NOT NULL,
    token_endpoint_auth_method TEXT NOT NULL,
    grant_types                TEXT NOT NULL, -- JSON array of strings
    status                     TEXT NOT NULL,
    created_at                 INTEGER NOT NULL,
    updated_at                 INTEGER NOT NULL
) STRICT;

CREATE TABLE users (
    id                  TEXT PRIMARY KEY,
    status              TEXT NOT NULL,
    login               TEXT NOT NULL,
    login_key           TEXT NOT NULL, -- lower(login): logins are unique case-insensitively
    email               TEXT NOT NULL,
    email_verified      INTEGER NOT NULL,
    first_name          TEXT NOT NULL,
    last_name           TEXT NOT NULL,
    locale              TEXT NOT NULL,
    zone_info           TEXT NOT NULL,
    password_hash       TEXT NOT NULL,
    password_changed_at INTEGER NOT NULL,
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL,
    last_login_at       INTEGER NOT NULL
) STRICT;

CREATE UNIQUE INDEX users_login_key ON users (login_key);

CREATE TABLE signing_keys (
    id             TEXT PRIMARY KEY, -- the JWK kid
    auth_server_id TEXT NOT NULL,
    alg            TEXT NOT NULL,
    status         TEXT NOT NULL,
    public_jwk     BLOB NOT NULL,
    private_sealed BLOB NOT NULL,
    created_at     INTEGER NOT NULL,
    activated_at   INTEGER NOT NULL,
    expired_at     INTEGER NOT NULL
) STRICT;

CREATE INDEX signing_keys_by_server ON signing_keys (auth_server_id, created_at DESC, id);

-- One row per authorization server whose keys UpdateKeys has changed: the
-- row UpdateKeys locks to serialize rotations.
CREATE TABLE signing_key_locks (
    auth_server_id TEXT PRIMARY KEY
) STRICT;

-- +goose Down
DROP TABLE signing_key_locks;
DROP TABLE signing_keys;
DROP TABLE users;
DROP TABLE clients;
DROP TABLE auth_servers;
