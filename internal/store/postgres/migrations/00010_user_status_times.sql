-- When a user's status last changed and when the user was activated
-- (Okta's statusChanged and activated), in ms; 0 = never. Users stored
-- before keep 0: their history is unknown.

-- +goose Up
ALTER TABLE users ADD COLUMN status_changed_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN activated_at BIGINT NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE users DROP COLUMN activated_at;
ALTER TABLE users DROP COLUMN status_changed_at;
