-- Token lifecycle and the authorization-server model: key rotation settings,
-- client credentials for JWT authentication and refresh token rotation,
-- refresh tokens, revocable access tokens, single-use ids, scopes, claims,
-- access policies and rules, groups and client assignments. Durations are
-- INTEGER milliseconds, lists JSON text (see package sqlstore).

-- +goose Up
ALTER TABLE auth_servers ADD COLUMN key_rotation_mode TEXT NOT NULL DEFAULT 'AUTO';
ALTER TABLE auth_servers ADD COLUMN key_rotation_interval INTEGER NOT NULL DEFAULT 0;

ALTER TABLE clients ADD COLUMN secret_sealed BLOB NOT NULL DEFAULT x'';
ALTER TABLE clients ADD COLUMN jwks BLOB NOT NULL DEFAULT x'';
ALTER TABLE clients ADD COLUMN jwks_uri TEXT NOT NULL DEFAULT '';
ALTER TABLE clients ADD COLUMN refresh_rotation TEXT NOT NULL DEFAULT 'ROTATE';
ALTER TABLE clients ADD COLUMN refresh_leeway INTEGER NOT NULL DEFAULT 30000;

CREATE TABLE refresh_tokens (
    id             TEXT PRIMARY KEY, -- base64url SHA-256 of the token
    family_id      TEXT NOT NULL,
    auth_server_id TEXT NOT NULL,
    client_id      TEXT NOT NULL,
    user_id        TEXT NOT NULL,
    scopes         TEXT NOT NULL, -- JSON array of strings
    auth_time      INTEGER NOT NULL,
    issued_at      INTEGER NOT NULL,
    expires_at     INTEGER NOT NULL, -- 0 = never
    idle_window    INTEGER NOT NULL, -- ms, 0 = none
    last_used_at   INTEGER NOT NULL,
    rotated_at     INTEGER NOT NULL,
    replaced_by    TEXT NOT NULL,
    revoked_at     INTEGER NOT NULL
) STRICT;

CREATE INDEX refresh_tokens_by_family ON refresh_tokens (family_id);

-- Access tokens that must be revocable before they expire, by jti.
CREATE TABLE token_records (
    jti        TEXT PRIMARY KEY,
    family_id  TEXT NOT NULL, -- '' for a token revoked on its own
    client_id  TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    revoked_at INTEGER NOT NULL
) STRICT;

CREATE INDEX token_records_by_family ON token_records (family_id);

-- Single-use ids (client assertion jtis), kept until they expire.
CREATE TABLE single_use (
    id         TEXT PRIMARY KEY,
    expires_at INTEGER NOT NULL
) STRICT;

CREATE TABLE scopes (
    auth_server_id   TEXT NOT NULL,
    name             TEXT NOT NULL,
    description      TEXT NOT NULL,
    is_default       INTEGER NOT NULL,
    metadata_publish TEXT NOT NULL,
    is_system        INTEGER NOT NULL,
    created_at       INTEGER NOT NULL,
    PRIMARY KEY (auth_server_id, name)
) STRICT;

CREATE TABLE claims (
    auth_server_id    TEXT NOT NULL,
    id                TEXT NOT NULL,
    name              TEXT NOT NULL,
    claim_type        TEXT NOT NULL,
    value_type        TEXT NOT NULL,
    claim_value       TEXT NOT NULL,
    group_filter_type TEXT NOT NULL,
    scopes            TEXT NOT NULL, -- JSON array of strings
    always_include    INTEGER NOT NULL,
    status            TEXT NOT NULL,
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL,
    PRIMARY KEY (auth_server_id, id)
) STRICT;

CREATE TABLE policies (
    auth_server_id TEXT NOT NULL,
    id             TEXT NOT NULL,
    name           TEXT NOT NULL,
    description    TEXT NOT NULL,
    priority       INTEGER NOT NULL,
    status         TEXT NOT NULL,
    client_ids     TEXT NOT NULL, -- JSON array of strings
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    PRIMARY KEY (auth_server_id, id)
) STRICT;

CREATE INDEX policies_in_order ON policies (auth_server_id, priority, id);

CREATE TABLE policy_rules (
    policy_id              TEXT NOT NULL,
    id                     TEXT NOT NULL,
    auth_server_id         TEXT NOT NULL,
    name                   TEXT NOT NULL,
    priority               INTEGER NOT NULL,
    status                 TEXT NOT NULL,
    grant_types            TEXT NOT NULL, -- JSON arrays of strings
    scopes                 TEXT NOT NULL,
    user_ids               TEXT NOT NULL,
    group_ids              TEXT NOT NULL,
    access_token_lifetime  INTEGER NOT NULL, -- ms
    refresh_token_lifetime INTEGER NOT NULL,
    refresh_token_window   INTEGER NOT NULL,
    created_at             INTEGER NOT NULL,
    updated_at             INTEGER NOT NULL,
    PRIMARY KEY (policy_id, id)
) STRICT;

CREATE INDEX policy_rules_in_order ON policy_rules (policy_id, priority, id);

CREATE TABLE user_groups (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    name_key    TEXT NOT NULL, -- lower(name): names are unique case-insensitively
    description TEXT NOT NULL,
    type        TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
) STRICT;

CREATE UNIQUE INDEX user_groups_name_key ON user_groups (name_key);

CREATE TABLE group_members (
    group_id TEXT NOT NULL,
    user_id  TEXT NOT NULL,
    PRIMARY KEY (group_id, user_id)
) STRICT;

CREATE INDEX group_members_by_user ON group_members (user_id, group_id);

-- Users and groups assigned to clients (Okta's app assignments).
CREATE TABLE client_assignments (
    client_id    TEXT NOT NULL,
    principal_id TEXT NOT NULL, -- a user or group id
    PRIMARY KEY (client_id, principal_id)
) STRICT;

CREATE INDEX client_assignments_by_principal ON client_assignments (principal_id);

-- +goose Down
DROP TABLE client_assignments;
DROP TABLE group_members;
DROP TABLE user_groups;
DROP TABLE policy_rules;
DROP TABLE policies;
DROP TABLE claims;
DROP TABLE scopes;
DROP TABLE single_use;
DROP TABLE token_records;
DROP TABLE refresh_tokens;
ALTER TABLE clients DROP COLUMN refresh_leeway;
ALTER TABLE clients DROP COLUMN refresh_rotation;
ALTER TABLE clients DROP COLUMN jwks_uri;
ALTER TABLE clients DROP COLUMN jwks;
ALTER TABLE clients DROP COLUMN secret_sealed;
ALTER TABLE auth_servers DROP COLUMN key_rotation_interval;
ALTER TABLE auth_servers DROP COLUMN key_rotation_mode;
