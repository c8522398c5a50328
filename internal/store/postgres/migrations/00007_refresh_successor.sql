-- One live refresh token per family: an access token remembers the refresh
-- token it went out with (or the one used, when none went out), so that a
-- successor replaced by a retry within the leeway is revoked together with
-- the access tokens minted with it. '' outside families and for records
-- written before this migration.

-- +goose Up
ALTER TABLE token_records ADD COLUMN refresh_id TEXT COLLATE "C" NOT NULL DEFAULT '';

CREATE INDEX token_records_by_refresh ON token_records (refresh_id);

-- +goose Down
DROP INDEX token_records_by_refresh;
ALTER TABLE token_records DROP COLUMN refresh_id;
