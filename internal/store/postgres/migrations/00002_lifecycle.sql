-- Token lifecycle and the authorization-server model: key rotation settings,
-- client credentials for JWT authentication and refresh token rotation,
-- refresh tokens, revocable access tokens, single-use ids, scopes, claims,
-- access policies and rules, groups and client assignments. Durations are
-- BIGINT milliseconds, lists JSON text (see package sqlstore).

-- +goose Up
ALTER TABLE auth_servers ADD COLUMN key_rotation_mode TEXT COLLATE "C" NOT NULL DEFAULT 'AUTO';
ALTER TABLE auth_servers ADD COLUMN key_rotation_interval BIGINT NOT NULL DEFAULT 0;

ALTER TABLE clients ADD COLUMN secret_sealed BYTEA NOT NULL DEFAULT ''::bytea;
ALTER TABLE clients ADD COLUMN jwks BYTEA NOT NULL DEFAULT ''::bytea;
ALTER TABLE clients ADD COLUMN jwks_uri TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE clients ADD COLUMN refresh_rotation TEXT COLLATE "C" NOT NULL DEFAULT 'ROTATE';
ALTER TABLE clients ADD COLUMN refresh_leeway BIGINT NOT NULL DEFAULT 30000;

CREATE TABLE refresh_tokens (
    id             TEXT COLLATE "C" PRIMARY KEY, -- base64url SHA-256 of the token
    family_id      TEXT COLLATE "C" NOT NULL,
    auth_server_id TEXT COLLATE "C" NOT NULL,
    client_id      TEXT COLLATE "C" NOT NULL,
    user_id        TEXT COLLATE "C" NOT NULL,
    scopes         TEXT COLLATE "C" NOT NULL, -- JSON array of strings
    auth_time      BIGINT NOT NULL,
    issued_at      BIGINT NOT NULL,
    expires_at     BIGINT NOT NULL, -- 0 = never
    idle_window    BIGINT NOT NULL, -- ms, 0 = none
    last_used_at   BIGINT NOT NULL,
    rotated_at     BIGINT NOT NULL,
    replaced_by    TEXT COLLATE "C" NOT NULL,
    revoked_at     BIGINT NOT NULL
);

CREATE INDEX refresh_tokens_by_family ON refresh_tokens (family_id);

-- Access tokens that must be revocable before they expire, by jti.
CREATE TABLE token_records (
    jti        TEXT COLLATE "C" PRIMARY KEY,
    family_id  TEXT COLLATE "C" NOT NULL, -- '' for a token revoked on its own
    client_id  TEXT COLLATE "C" NOT NULL,
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT NOT NULL
);

CREATE INDEX token_records_by_family ON token_records (family_id);

-- Single-use ids (client assertion jtis), kept until they expire.
CREATE TABLE single_use (
    id         TEXT COLLATE "C" PRIMARY KEY,
    expires_at BIGINT NOT NULL
);

CREATE TABLE scopes (
    auth_server_id   TEXT COLLATE "C" NOT NULL,
    name             TEXT COLLATE "C" NOT NULL,
    description      TEXT COLLATE "C" NOT NULL,
    is_default       BOOLEAN NOT NULL,
    metadata_publish TEXT COLLATE "C" NOT NULL,
    is_system        BOOLEAN NOT NULL,
    created_at       BIGINT NOT NULL,
    PRIMARY KEY (auth_server_id, name)
);

CREATE TABLE claims (
    auth_server_id    TEXT COLLATE "C" NOT NULL,
    id                TEXT COLLATE "C" NOT NULL,
    name              TEXT COLLATE "C" NOT NULL,
    claim_type        TEXT COLLATE "C" NOT NULL,
    value_type        TEXT COLLATE "C" NOT NULL,
    claim_value       TEXT COLLATE "C" NOT NULL,
    group_filter_type TEXT COLLATE "C" NOT NULL,
    scopes            TEXT COLLATE "C" NOT NULL, -- JSON array of strings
    always_include    BOOLEAN NOT NULL,
    status            TEXT COLLATE "C" NOT NULL,
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL,
    PRIMARY KEY (auth_server_id, id)
);

CREATE TABLE policies (
    auth_server_id TEXT COLLATE "C" NOT NULL,
    id             TEXT COLLATE "C" NOT NULL,
    name           TEXT COLLATE "C" NOT NULL,
    description    TEXT COLLATE "C" NOT NULL,
    priority       BIGINT NOT NULL,
    status         TEXT COLLATE "C" NOT NULL,
    client_ids     TEXT COLLATE "C" NOT NULL, -- JSON array of strings
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL,
    PRIMARY KEY (auth_server_id, id)
);

CREATE INDEX policies_in_order ON policies (auth_server_id, priority, id);

CREATE TABLE policy_rules (
    policy_id              TEXT COLLATE "C" NOT NULL,
    id                     TEXT COLLATE "C" NOT NULL,
    auth_server_id         TEXT COLLATE "C" NOT NULL,
    name                   TEXT COLLATE "C" NOT NULL,
    priority               BIGINT NOT NULL,
    status                 TEXT COLLATE "C" NOT NULL,
    grant_types            TEXT COLLATE "C" NOT NULL, -- JSON arrays of strings
    scopes                 TEXT COLLATE "C" NOT NULL,
    user_ids               TEXT COLLATE "C" NOT NULL,
    group_ids              TEXT COLLATE "C" NOT NULL,
    access_token_lifetime  BIGINT NOT NULL, -- ms
    refresh_token_lifetime BIGINT NOT NULL,
    refresh_token_window   BIGINT NOT NULL,
    created_at             BIGINT NOT NULL,
    updated_at             BIGINT NOT NULL,
    PRIMARY KEY (policy_id, id)
);

CREATE INDEX policy_rules_in_order ON policy_rules (policy_id, priority, id);

CREATE TABLE user_groups (
    id          TEXT COLLATE "C" PRIMARY KEY,
    name        TEXT COLLATE "C" NOT NULL,
    name_key    TEXT COLLATE "C" NOT NULL, -- lower(name): names are unique case-insensitively
    description TEXT COLLATE "C" NOT NULL,
    type        TEXT COLLATE "C" NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);

CREATE UNIQUE INDEX user_groups_name_key ON user_groups (name_key);

CREATE TABLE group_members (
    group_id TEXT COLLATE "C" NOT NULL,
    user_id  TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (group_id, user_id)
);

CREATE INDEX group_members_by_user ON group_members (user_id, group_id);

-- Users and groups assigned to clients (Okta's app assignments).
CREATE TABLE client_assignments (
    client_id    TEXT COLLATE "C" NOT NULL,
    principal_id TEXT COLLATE "C" NOT NULL, -- a user or group id
    PRIMARY KEY (client_id, principal_id)
);

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
