-- Facts about the deployment itself, by name: the check value that proves
-- the master key at start (package app).

-- +goose Up
CREATE TABLE meta (
    name  TEXT COLLATE "C" PRIMARY KEY,
    value BYTEA NOT NULL
);

-- +goose Down
DROP TABLE meta;
