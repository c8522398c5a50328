package postgres_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/app"
	"github.com/latchkey/latchkey/internal/config"
	"github.com/latchkey/latchkey/internal/keys"
	"github.com/latchkey/latchkey/internal/provision"
	"github.com/latchkey/latchkey/internal/store"
)

// TestAppsSeeEachOthersChanges: two apps over one PostgreSQL database
// with the default invalidator (NOTIFY) and a cache TTL of 10 minutes, so
// that only a notification can make one see the other's change: a client
// deactivated through one is seen by the other's cached GetClient within
// deliveryBound, and so is its reactivation.
func TestAppsSeeEachOthersChanges(t *testing.T) {
	t.Parallel()
	cfg := config.Default()
	cfg.DB = pg.NewDatabase(t)
	cfg.MasterKeyFile = filepath.Join(t.TempDir(), "master.key")
	if _, err := keys.CreateMasterKeyFile(cfg.MasterKeyFile); err != nil {
		t.Fatal(err)
	}
	cfg.Password.MemoryKiB, cfg.Password.Iterations = 64, 1
	cfg.Cache.TTL.Duration = 10 * time.Minute // the most allowed
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	openApp := func() *app.App {
		t.Helper()
		a, err := app.Open(ctx, cfg, app.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if err := a.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
		})
		return a
	}
	a := openApp()
	if _, err := a.Bootstrap(ctx); err != nil {
		t.Fatal(err)
	}
	b := openApp()

	c, _, err := a.Provision.CreateClient(ctx, provision.ClientInput{Name: "web"})
	if err != nil {
		t.Fatal(err)
	}
	// waitStatus reads the client through b's cache until it has status.
	waitStatus := func(status string) {
		t.Helper()
		deadline := time.Now().Add(deliveryBound)
		for {
			got, err := b.Store.GetClient(ctx, c.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.Status == status {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("b sees the client %s %v after a's change; want %s", got.Status, deliveryBound, status)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	setStatus := func(status string) {
		t.Helper()
		_, err := a.Store.UpdateClient(ctx, c.ID, func(c store.Client) (store.Client, error) {
			c.Status = status
			return c, nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}

	waitStatus(store.StatusActive) // now cached in b, for 10 minutes
	setStatus(store.StatusInactive)
	waitStatus(store.StatusInactive)
	setStatus(store.StatusActive)
	waitStatus(store.StatusActive)
}
