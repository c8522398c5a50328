-- The hashes of the passwords users had before their current one, for
-- password_policy.history_count (see store.PasswordHistory). Rows of a user
-- are numbered 1, 2, … in the order their passwords were replaced.

-- +goose Up
CREATE TABLE password_history (
    user_id     TEXT COLLATE "C" NOT NULL,
    seq         BIGINT NOT NULL,
    hash        TEXT COLLATE "C" NOT NULL, -- encoded hash (package password); never a password
    replaced_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, seq)
);

-- +goose Down
DROP TABLE password_history;
