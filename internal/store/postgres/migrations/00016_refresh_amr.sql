-- A refresh token family remembers how its user authenticated (the ID
-- token's amr, a JSON array of strings), so that tokens refreshed from a
-- login with a second factor keep ["pwd","otp","mfa"]. '[]' (read as
-- ["pwd"]) for families started before this migration.

-- +goose Up
ALTER TABLE refresh_tokens ADD COLUMN amr TEXT COLLATE "C" NOT NULL DEFAULT '[]';

-- +goose Down
ALTER TABLE refresh_tokens DROP COLUMN amr;
