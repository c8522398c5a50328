-- The user lifecycle: each user's token watermark (tokens issued before it
-- are dead, see store.User.TokensValidAfter), an index to revoke a user's
-- refresh tokens, and the version of the login normalisation that computed
-- users.login_key and login_counters.login_key (package postgres recomputes
-- the keys in Go when it changes; see store.LoginNormalization).

-- +goose Up
ALTER TABLE users ADD COLUMN tokens_valid_after BIGINT NOT NULL DEFAULT 0; -- ms, 0 = none

CREATE INDEX refresh_tokens_by_user ON refresh_tokens (user_id);

-- At most one row. Until the first rekeying, the keys are lower(login).
CREATE TABLE login_key_version (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    version TEXT COLLATE "C" NOT NULL
);

INSERT INTO login_key_version (id, version) VALUES (1, 'lower');

-- +goose Down
DROP TABLE login_key_version;
DROP INDEX refresh_tokens_by_user;
ALTER TABLE users DROP COLUMN tokens_valid_after;
