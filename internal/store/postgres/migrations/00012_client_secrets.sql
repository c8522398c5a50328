-- Client secrets as records of their own (Okta's client secrets: up to two
-- per client, each ACTIVE or INACTIVE), so that a leaked secret can be
-- rotated without downtime: every ACTIVE secret authenticates. Each
-- client's existing secret becomes its first ACTIVE secret.

-- +goose Up
CREATE TABLE client_secrets (
    id         TEXT COLLATE "C" PRIMARY KEY,
    client_id  TEXT COLLATE "C" NOT NULL,
    status     TEXT NOT NULL,
    hash       TEXT COLLATE "C" NOT NULL,
    sealed     BYTEA NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE INDEX client_secrets_client ON client_secrets (client_id, created_at);

INSERT INTO client_secrets (id, client_id, status, hash, sealed, created_at, updated_at)
SELECT 'ocs' || substr(md5(random()::text || id), 1, 17), id, 'ACTIVE', secret_hash, secret_sealed, created_at, updated_at
FROM clients WHERE secret_hash <> '';

ALTER TABLE clients DROP COLUMN secret_hash;
ALTER TABLE clients DROP COLUMN secret_sealed;

-- +goose Down
ALTER TABLE clients ADD COLUMN secret_hash TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE clients ADD COLUMN secret_sealed BYTEA NOT NULL DEFAULT ''::bytea;
UPDATE clients SET
    secret_hash = COALESCE((SELECT hash FROM client_secrets s WHERE s.client_id = clients.id AND s.status = 'ACTIVE'
        ORDER BY s.created_at, s.id LIMIT 1), ''),
    secret_sealed = COALESCE((SELECT sealed FROM client_secrets s WHERE s.client_id = clients.id AND s.status = 'ACTIVE'
        ORDER BY s.created_at, s.id LIMIT 1), ''::bytea);
DROP TABLE client_secrets;
