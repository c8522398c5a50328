-- Users' second factors (Okta's user factors): a TOTP secret sealed with
-- the master key, the last time step accepted (each code is accepted
-- once) and the keyed hashes of the unused recovery codes; and the
-- policy rule flag that requires a second factor for password logins.

-- +goose Up
CREATE TABLE user_factors (
    id             TEXT PRIMARY KEY,
    user_id        TEXT NOT NULL,
    factor_type    TEXT NOT NULL,
    provider       TEXT NOT NULL,
    status         TEXT NOT NULL,
    sealed         BLOB NOT NULL,
    last_step      INTEGER NOT NULL,
    recovery_codes TEXT NOT NULL,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL
) STRICT;

CREATE INDEX user_factors_user ON user_factors (user_id, created_at);

-- A policy rule may require a second factor for the password grant.
ALTER TABLE policy_rules ADD COLUMN require_mfa INTEGER NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE policy_rules DROP COLUMN require_mfa;
DROP TABLE user_factors;
