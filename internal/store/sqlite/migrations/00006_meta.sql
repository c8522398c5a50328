-- Facts about the deployment itself, by name: the check value that proves
-- the master key at start (package app).

-- +goose Up
CREATE TABLE meta (
    name  TEXT PRIMARY KEY,
    value BLOB NOT NULL
) STRICT;

-- +goose Down
DROP TABLE meta;
