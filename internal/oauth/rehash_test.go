package oauth_test

import (
	"context"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/internal/app"
	"github.com/latchkey/latchkey/internal/config"
	"github.com/latchkey/latchkey/internal/keys"
	"github.com/latchkey/latchkey/internal/password"
	"github.com/latchkey/latchkey/internal/provision"
)

// TestOldArgon2ParamsAreUpgraded: a user whose hash was made with an older
// argon2id parameter set (imported, or created before the configuration
// changed) logs in, and the stored hash is replaced by one of the
// configured parameters, which then verifies without asking for a rehash.
func TestOldArgon2ParamsAreUpgraded(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg := config.Default()
	cfg.DB = filepath.Join(dir, "latchkey.db")
	cfg.MasterKeyFile = filepath.Join(dir, "master.key")
	cfg.BaseURL = "http://latchkey.test"
	cfg.Password.MemoryKiB, cfg.Password.Iterations = 128, 2
	if _, err := keys.CreateMasterKeyFile(cfg.MasterKeyFile); err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	a, err := app.Open(ctx, cfg, app.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	if _, err := a.Bootstrap(ctx); err != nil {
		t.Fatal(err)
	}
	c, secret, err := a.Provision.CreateClient(ctx, provision.ClientInput{Name: "rehash"})
	if err != nil {
		t.Fatal(err)
	}
	old, err := password.New(password.Config{Params: password.Params{MemoryKiB: 64, Iterations: 1, Parallelism: 1, SaltLen: 16, KeyLen: 32}})
	if err != nil {
		t.Fatal(err)
	}
	oldHash, err := old.Hash(ctx, "an old passphrase")
	if err != nil {
		t.Fatal(err)
	}
	u, err := a.Provision.CreateUser(ctx, provision.UserInput{Login: "legacy@example.com", PasswordHash: oldHash})
	if err != nil {
		t.Fatal(err)
	}
	if res, err := a.Hasher.Verify(ctx, oldHash, "an old passphrase"); err != nil || !res.OK || !res.NeedsRehash {
		t.Fatalf("the old hash: %+v, %v; want OK and NeedsRehash", res, err)
	}

	form := url.Values{"grant_type": {"password"}, "username": {"legacy@example.com"}, "password": {"an old passphrase"}, "scope": {"openid"}}
	r := httptest.NewRequest(http.MethodPost, "/oauth2/default/v1/token", strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(c.ID)+":"+url.QueryEscape(secret))))
	w := httptest.NewRecorder()
	a.Handler.ServeHTTP(w, r)
	if w.Code != http.StatusOK {
		t.Fatalf("login: %d %s", w.Code, w.Body)
	}

	stored, err := a.Store.GetUser(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if stored.PasswordHash == oldHash || !strings.HasPrefix(stored.PasswordHash, "$argon2id$v=19$m=128,t=2,p=1$") {
		t.Fatalf("hash not upgraded: %.30s…", stored.PasswordHash)
	}
	res, err := a.Hasher.Verify(ctx, stored.PasswordHash, "an old passphrase")
	if err != nil || !res.OK || res.NeedsRehash {
		t.Fatalf("the upgraded hash: %+v, %v; want OK without NeedsRehash", res, err)
	}
	if hist, _ := a.Store.ListPasswordHistory(ctx, u.ID, 10); len(hist) != 0 {
		t.Fatalf("a rehash of the same password entered the history: %d hashes", len(hist))
	}
}
