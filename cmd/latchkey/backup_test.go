package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/latchkey/latchkey/internal/app"
	"github.com/latchkey/latchkey/internal/config"
	"github.com/latchkey/latchkey/internal/provision"
)

// TestBackupWhileWriting: backup copies a database another app keeps
// writing to; the copy opens with the same master key, holds every record
// written before the backup began, and a user logs in with it.
func TestBackupWhileWriting(t *testing.T) {
	t.Parallel()
	db := keysDB(t)
	mustCLI(t, "a long passphrase\n", "users", "create", "--db", db, "--login", "ada@example.com", "--email", "ada@example.com", "--password-stdin")
	live := openTestApp(t, db)

	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := 0; ctx.Err() == nil; i++ {
			if _, err := live.Provision.CreateGroup(context.Background(), "group "+strconv.Itoa(i), ""); err != nil {
				t.Errorf("write during the backup: %v", err)
				return
			}
		}
	})
	backup := filepath.Join(t.TempDir(), "copy.db")
	out, err := runCLI(t, "", "backup", "--db", db, "--to", backup)
	stop()
	wg.Wait()
	if err != nil || !strings.Contains(out, "backed up") {
		t.Fatalf("backup: %v\n%s", err, out)
	}
	if fi, err := os.Stat(backup); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("the copy: %v, mode %v; want 0600", err, fi.Mode())
	}
	if _, err := runCLI(t, "", "backup", "--db", db, "--to", backup); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Fatalf("a backup over an existing file: %v, want a refusal", err)
	}

	key, err := os.ReadFile(db + ".key")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(backup+".key", key, 0o600); err != nil {
		t.Fatal(err)
	}
	restored := openTestApp(t, backup)
	c, secret, err := restored.Provision.CreateClient(context.Background(),
		provision.ClientInput{Name: "after restore", GrantTypes: []string{"password"}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(restored.Handler)
	defer srv.Close()
	form := url.Values{"grant_type": {"password"}, "username": {"ada@example.com"}, "password": {"a long passphrase"}, "scope": {"openid"}}
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/oauth2/default/v1/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(c.ID, secret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("login on the restored copy: %s", resp.Status)
	}
}

func openTestApp(t *testing.T, db string) *app.App {
	t.Helper()
	cfg := config.Default()
	cfg.DB = db
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	a, err := app.Open(context.Background(), cfg, app.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return a
}
