-- The signing algorithm of each authorization server (RS256, ES256 or
-- EdDSA): the algorithm of the keys generated for it from now on. Each
-- signing key already records its own algorithm (signing_keys.alg), which
-- never changes. Existing servers keep RS256.

-- +goose Up
ALTER TABLE auth_servers ADD COLUMN signing_alg TEXT NOT NULL DEFAULT 'RS256';

-- +goose Down
ALTER TABLE auth_servers DROP COLUMN signing_alg;
