package app

import (
	"context"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"

	"github.com/latchkey/latchkey/internal/config"
	"github.com/latchkey/latchkey/internal/keys"
	"github.com/latchkey/latchkey/internal/store"
)

// A server started with another master key than the one its data was
// sealed and keyed with cannot sign a token nor recognise a client secret;
// it must not report ready. Open proves the key twice: it unseals the
// ACTIVE signing key of every authorization server, and it compares a
// check value derived from the key with the one stored on the first start.

// ErrWrongMasterKey is wrapped by Open's error when the master key is not
// the one the database was set up with.
var ErrWrongMasterKey = errors.New("the master key is not the one this database was set up with")

// keyCheckName is the store.Meta record of the master key's check value.
const keyCheckName = "master_key_check"

// keyCheckValue is HMAC-SHA256 of a fixed label under a key derived from
// the master key: it reveals nothing of the key and matches only it.
func keyCheckValue(masterKey []byte) ([]byte, error) {
	k, err := hkdf.Key(sha256.New, masterKey, nil, "latchkey master key check v1", 32)
	if err != nil {
		return nil, err
	}
	mac := hmac.New(sha256.New, k)
	mac.Write([]byte("latchkey: this database is sealed with this master key"))
	return mac.Sum(nil), nil
}

// Check names, as /readyz reports them.
const (
	CheckStore       = "store"
	CheckMasterKey   = "master_key"
	CheckSigningKeys = "signing_keys"
)

// proveMasterKey runs the start-up proof. The signing keys go first: on a
// database written before the check value existed, a wrong key must fail
// there rather than be recorded as the right one.
func proveMasterKey(ctx context.Context, st store.Store, km *keys.Manager, masterKey []byte, source string) error {
	if err := checkSigningKeys(ctx, st, km); err != nil {
		return fmt.Errorf("app: %w (master key %s): %w", ErrWrongMasterKey, source, err)
	}
	want, err := keyCheckValue(masterKey)
	if err != nil {
		return fmt.Errorf("app: master key check: %w", err)
	}
	got, err := st.InitMeta(ctx, keyCheckName, want)
	if err != nil {
		return fmt.Errorf("app: store the master key check: %w", err)
	}
	if subtle.ConstantTimeCompare(got, want) != 1 {
		return fmt.Errorf("app: %w (master key %s): its check value differs from the one stored on the first start", ErrWrongMasterKey, source)
	}
	return nil
}

// checkMasterKey compares the stored check value with the key's, for
// /readyz: the database under a running server is still the one it
// proved its key against.
func checkMasterKey(ctx context.Context, st store.Store, want []byte) error {
	got, err := st.GetMeta(ctx, keyCheckName)
	if err != nil {
		return err
	}
	if subtle.ConstantTimeCompare(got, want) != 1 {
		return ErrWrongMasterKey
	}
	return nil
}

// checkSigningKeys unseals the ACTIVE signing key of every authorization
// server (a server without one has nothing to prove yet).
func checkSigningKeys(ctx context.Context, st store.Store, km *keys.Manager) error {
	servers, err := st.ListAuthServers(ctx)
	if err != nil {
		return fmt.Errorf("list authorization servers: %w", err)
	}
	for _, srv := range servers {
		if _, err := km.ActiveSigner(ctx, srv.ID); err != nil && !errors.Is(err, keys.ErrNoActiveKey) {
			return fmt.Errorf("cannot unseal the ACTIVE signing key of authorization server %s: %w", srv.ID, err)
		}
	}
	return nil
}

// masterKeySource names where the master key came from, never the key.
func masterKeySource(cfg config.Config) string {
	switch {
	case cfg.MasterKey != "":
		return "from LATCHKEY_MASTER_KEY"
	case cfg.MasterKeyFile != "":
		return "from file " + cfg.MasterKeyFile
	default:
		return "from file " + MasterKeyFileFor(cfg.DB)
	}
}
