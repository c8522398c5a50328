-- Users' second factors (Okta's user factors): a TOTP secret sealed with
-- the master key, the last time step accepted (each code is accepted
-- once) and the keyed hashes of the unused recovery codes.

-- +goose Up
CREATE TABLE user_factors (
    id             TEXT COLLATE "C" PRIMARY KEY,
    user_id        TEXT COLLATE "C" NOT NULL,
    factor_type    TEXT NOT NULL,
    provider       TEXT NOT NULL,
    status         TEXT NOT NULL,
    sealed         BYTEA NOT NULL,
    last_step      BIGINT NOT NULL,
    recovery_codes TEXT NOT NULL,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL
);

CREATE INDEX user_factors_user ON user_factors (user_id, created_at);

-- +goose Down
DROP TABLE user_factors;
