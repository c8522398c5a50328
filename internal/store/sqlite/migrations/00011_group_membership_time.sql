-- When a group's membership last changed (Okta's lastMembershipUpdated),
-- apart from when its profile did (updated_at). Existing groups start from
-- their last update.

-- +goose Up
ALTER TABLE user_groups ADD COLUMN membership_updated_at INTEGER NOT NULL DEFAULT 0;
UPDATE user_groups SET membership_updated_at = updated_at;

-- +goose Down
ALTER TABLE user_groups DROP COLUMN membership_updated_at;
