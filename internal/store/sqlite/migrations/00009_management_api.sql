-- The management API's credentials: API tokens (only a keyed hash of each
-- value) and the okta.* scopes granted to service clients for the org
-- authorization server.

-- +goose Up
CREATE TABLE api_tokens (
    id           TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    token_hash   TEXT NOT NULL UNIQUE,
    client_name  TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    last_used_at INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL
) STRICT;

CREATE TABLE client_grants (
    id         TEXT PRIMARY KEY,
    client_id  TEXT NOT NULL,
    scope_id   TEXT NOT NULL,
    issuer     TEXT NOT NULL,
    source     TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    UNIQUE (client_id, scope_id)
) STRICT;

-- +goose Down
DROP TABLE client_grants;
DROP TABLE api_tokens;
