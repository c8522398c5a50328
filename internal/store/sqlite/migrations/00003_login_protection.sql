-- Login protection: the login guard's failure counters and locks, per
-- normalised login, shared ('' source) or per known source address.

-- +goose Up
CREATE TABLE login_counters (
    login_key       TEXT NOT NULL,
    source          TEXT NOT NULL, -- '' = every source without a success
    failures        INTEGER NOT NULL,
    locked_until    INTEGER NOT NULL, -- ms, 0 = not locked
    last_success_at INTEGER NOT NULL, -- ms, 0 = never
    updated_at      INTEGER NOT NULL,
    PRIMARY KEY (login_key, source)
) STRICT;

CREATE INDEX login_counters_by_update ON login_counters (updated_at);

-- +goose Down
DROP TABLE login_counters;
