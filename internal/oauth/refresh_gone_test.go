package oauth_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/internal/app"
	"github.com/latchkey/latchkey/internal/config"
	"github.com/latchkey/latchkey/internal/keys"
	"github.com/latchkey/latchkey/internal/provision"
	"github.com/latchkey/latchkey/internal/store"
)

// vanishingStore answers UseRefreshToken as the SQL stores do when the
// token's row was deleted after the grant read it and before the use
// locked it.
type vanishingStore struct{ store.Store }

func (vanishingStore) UseRefreshToken(context.Context, string, func(store.RefreshToken, *store.RefreshToken) (store.RefreshUse, error)) (store.RefreshToken, error) {
	return store.RefreshToken{}, fmt.Errorf("use refresh token: %w", store.ErrNotFound)
}

// TestRefreshTokenDeletedDuringUse: a refresh token deleted between the
// grant's read and its use is refused as invalid_grant (400), as a token
// never issued is, not answered with a server error.
func TestRefreshTokenDeletedDuringUse(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg := config.Default()
	cfg.DB = filepath.Join(dir, "latchkey.db")
	cfg.MasterKeyFile = filepath.Join(dir, "master.key")
	cfg.BaseURL = "http://latchkey.test"
	cfg.Password.MemoryKiB, cfg.Password.Iterations = 64, 1
	if _, err := keys.CreateMasterKeyFile(cfg.MasterKeyFile); err != nil {
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
	c, secret, err := a.Provision.CreateClient(ctx, provision.ClientInput{Name: "gone", GrantTypes: []string{"password", "refresh_token"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Provision.CreateUser(ctx, provision.UserInput{Login: "gone@example.com", Password: "Twelve-Mangoes-7"}); err != nil {
		t.Fatal(err)
	}
	post := func(form url.Values) *httptest.ResponseRecorder {
		r := httptest.NewRequest(http.MethodPost, "/oauth2/default/v1/token", strings.NewReader(form.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(c.ID)+":"+url.QueryEscape(secret))))
		w := httptest.NewRecorder()
		a.Handler.ServeHTTP(w, r)
		return w
	}
	w := post(url.Values{"grant_type": {"password"}, "username": {"gone@example.com"}, "password": {"Twelve-Mangoes-7"}, "scope": {"openid offline_access"}})
	var tok struct {
		RefreshToken string `json:"refresh_token"`
	}
	if w.Code != http.StatusOK || json.Unmarshal(w.Body.Bytes(), &tok) != nil || tok.RefreshToken == "" {
		t.Fatalf("login: %d %s", w.Code, w.Body)
	}

	a.OAuth.Store = vanishingStore{a.OAuth.Store}
	w = post(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}})
	var e struct {
		Error string `json:"error"`
	}
	if w.Code != http.StatusBadRequest || json.Unmarshal(w.Body.Bytes(), &e) != nil || e.Error != "invalid_grant" {
		t.Fatalf("refresh of a token deleted during its use: %d %s; want 400 invalid_grant", w.Code, w.Body)
	}
}
