-- Login protection: the login guard's failure counters and locks, per
-- normalised login, shared ('' source) or per known source address.

-- +goose Up
CREATE TABLE login_counters (
    login_key       TEXT COLLATE "C" NOT NULL,
    source          TEXT COLLATE "C" NOT NULL, -- '' = every source without a success
    failures        BIGINT NOT NULL,
    locked_until    BIGINT NOT NULL, -- ms, 0 = not locked
    last_success_at BIGINT NOT NULL, -- ms, 0 = never
    updated_at      BIGINT NOT NULL,
    PRIMARY KEY (login_key, source)
);

CREATE INDEX login_counters_by_update ON login_counters (updated_at);

-- +goose Down
DROP TABLE login_counters;
