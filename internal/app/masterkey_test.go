package app_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/internal/app"
	"github.com/latchkey/latchkey/internal/config"
	"github.com/latchkey/latchkey/internal/keys"
)

// testConfig is a config on a fresh database with its own master key file.
func testConfig(t *testing.T) config.Config {
	t.Helper()
	dir := t.TempDir()
	cfg := config.Default()
	cfg.DB = filepath.Join(dir, "latchkey.db")
	cfg.MasterKeyFile = filepath.Join(dir, "master.key")
	if _, err := keys.CreateMasterKeyFile(cfg.MasterKeyFile); err != nil {
		t.Fatal(err)
	}
	cfg.Password.MemoryKiB, cfg.Password.Iterations = 64, 1
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// withOtherKey returns cfg with a new master key file.
func withOtherKey(t *testing.T, cfg config.Config) config.Config {
	t.Helper()
	cfg.MasterKeyFile = filepath.Join(t.TempDir(), "other.key")
	if _, err := keys.CreateMasterKeyFile(cfg.MasterKeyFile); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// open opens cfg, bootstraps it when asked, and closes it.
func open(t *testing.T, cfg config.Config, bootstrap bool) error {
	t.Helper()
	a, err := app.Open(context.Background(), cfg, app.Options{})
	if err != nil {
		return err
	}
	defer a.Close()
	if bootstrap {
		if _, err := a.Bootstrap(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	return nil
}

func TestOpenRefusesAnotherMasterKey(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		bootstrap bool // signing keys exist
		want      string
	}{
		{"signing keys sealed with another key", true, "cannot unseal the ACTIVE signing key"},
		{"check value of another key", false, "check value differs"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := testConfig(t)
			if err := open(t, cfg, tc.bootstrap); err != nil {
				t.Fatalf("first start: %v", err)
			}
			if err := open(t, cfg, false); err != nil {
				t.Fatalf("restart with the same key: %v", err)
			}
			other := withOtherKey(t, cfg)
			err := open(t, other, false)
			if !errors.Is(err, app.ErrWrongMasterKey) || !strings.Contains(err.Error(), tc.want) ||
				!strings.Contains(err.Error(), other.MasterKeyFile) {
				t.Fatalf("start with another key: %v; want ErrWrongMasterKey saying %q and naming the key file", err, tc.want)
			}
			// The refused start recorded nothing: the right key still starts.
			if err := open(t, cfg, false); err != nil {
				t.Fatalf("restart with the right key after a refused one: %v", err)
			}
		})
	}
}

// TestOpenWithKeyFromEnvNeverPrintsIt: the error names the source of the
// key, never the key.
func TestOpenWithKeyFromEnvNeverPrintsIt(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	if err := open(t, cfg, true); err != nil {
		t.Fatal(err)
	}
	cfg.MasterKeyFile, cfg.MasterKey = "", keys.NewMasterKey()
	err := open(t, cfg, false)
	if !errors.Is(err, app.ErrWrongMasterKey) || !strings.Contains(err.Error(), "LATCHKEY_MASTER_KEY") || strings.Contains(err.Error(), cfg.MasterKey) {
		t.Fatalf("start with another key from the environment: %v", err)
	}
}
