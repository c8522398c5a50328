package oauth_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/app"
	"github.com/latchkey/latchkey/internal/config"
	"github.com/latchkey/latchkey/internal/keys"
	"github.com/latchkey/latchkey/internal/provision"
	"github.com/latchkey/latchkey/internal/store"
	"github.com/latchkey/latchkey/internal/token"
)

const fuzzBase = "http://latchkey.test"

// fuzzApp is a whole server on a fresh store with one client, one user and
// the tokens of one password grant.
type fuzzApp struct {
	handler          http.Handler
	basic            string // the client's Authorization header
	access, id, rt   string
	issuer, clientID string
}

func newFuzzApp(f *testing.F) *fuzzApp {
	f.Helper()
	dir := f.TempDir()
	cfg := config.Default()
	cfg.DB = filepath.Join(dir, "latchkey.db")
	cfg.MasterKeyFile = filepath.Join(dir, "master.key")
	cfg.BaseURL = fuzzBase
	cfg.Password.MemoryKiB, cfg.Password.Iterations = 64, 1
	if _, err := keys.CreateMasterKeyFile(cfg.MasterKeyFile); err != nil {
		f.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		f.Fatal(err)
	}
	ctx := context.Background()
	a, err := app.Open(ctx, cfg, app.Options{})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { a.Close() })
	if _, err := a.Bootstrap(ctx); err != nil {
		f.Fatal(err)
	}
	c, secret, err := a.Provision.CreateClient(ctx, provision.ClientInput{Name: "fuzz"})
	if err != nil {
		f.Fatal(err)
	}
	u, err := a.Provision.CreateUser(ctx, provision.UserInput{Login: "ada@example.com", Password: "correct horse battery"})
	if err != nil {
		f.Fatal(err)
	}
	fa := &fuzzApp{handler: a.Handler, issuer: fuzzBase + "/oauth2/default", clientID: c.ID,
		basic: "Basic " + base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(c.ID)+":"+url.QueryEscape(secret)))}
	form := url.Values{"grant_type": {"password"}, "username": {"ada@example.com"}, "password": {"correct horse battery"}, "scope": {"openid"}}
	w := fa.call("/oauth2/default/v1/token", form.Encode())
	var tok struct {
		AccessToken string `json:"access_token"`
		IDToken     string `json:"id_token"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &tok); err != nil || w.Code != 200 || tok.IDToken == "" {
		f.Fatalf("password grant: %d %s", w.Code, w.Body)
	}
	fa.access, fa.id = tok.AccessToken, tok.IDToken
	value, rid := token.NewRefreshValue()
	now := time.Now()
	if err := a.Store.CreateRefreshToken(ctx, store.RefreshToken{ID: rid, FamilyID: rid, AuthServerID: "default", ClientID: c.ID,
		UserID: u.ID, Scopes: []string{"openid", "offline_access"}, AuthTime: now, IssuedAt: now}); err != nil {
		f.Fatal(err)
	}
	fa.rt = value
	return fa
}

func (fa *fuzzApp) call(path, body string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Header.Set("Authorization", fa.basic)
	w := httptest.NewRecorder()
	fa.handler.ServeHTTP(w, r)
	return w
}

// FuzzIntrospect sends arbitrary token strings and hints through the real
// introspection handler: the answer is always 200 with {"active":false} or
// a well-formed active answer of this server (400 invalid_request only when
// no token was sent), never a 500 or a panic.
//
// The token is raw itself, or, when base picks one of the valid tokens, that
// token with raw spliced in at a position in place of cut bytes. Inputs stay
// short, so the fuzzer can minimize what it finds (a raw 800-byte JWT takes
// the minimizer minutes in a binary this size) while still reaching the
// signature and claim checks with near-valid tokens.
func FuzzIntrospect(f *testing.F) {
	fa := newFuzzApp(f)
	valid := []string{fa.access, fa.id, fa.rt}
	for base := range len(valid) + 1 {
		for _, hint := range []string{"", "access_token", "refresh_token", "id_token", "x"} {
			f.Add("", uint8(base), uint16(0), uint8(0), hint)
		}
	}
	for _, raw := range []string{"garbage", "a.b.c", "..", ".", "eyJhbGciOiJub25lIn0.e30.", "e30", strings.Repeat("a.", 100)} {
		f.Add(raw, uint8(0), uint16(0), uint8(0), "")
		f.Add(raw, uint8(1), uint16(len(fa.access)-10), uint8(10), "")
	}
	f.Add("e30", uint8(1), uint16(strings.IndexByte(fa.access, '.')+1), uint8(200), "access_token")
	f.Add("", uint8(3), uint16(len(fa.rt)-1), uint8(1), "refresh_token")
	types := []string{"Bearer", "id_token", "refresh_token"}
	f.Fuzz(func(t *testing.T, raw string, base uint8, at uint16, cut uint8, hint string) {
		tok := raw
		if b := int(base) % (len(valid) + 1); b > 0 {
			v := valid[b-1]
			i := int(at) % (len(v) + 1)
			tok = v[:i] + raw + v[min(i+int(cut), len(v)):]
		}
		w := fa.call("/oauth2/default/v1/introspect", url.Values{"token": {tok}, "token_type_hint": {hint}}.Encode())
		var b map[string]any
		if err := json.Unmarshal(w.Body.Bytes(), &b); err != nil {
			t.Fatalf("status %d, body is not JSON: %q", w.Code, w.Body)
		}
		if w.Header().Get("Cache-Control") != "no-store" {
			t.Fatal("no Cache-Control: no-store")
		}
		switch {
		case w.Code == http.StatusBadRequest && tok == "" && b["error"] == "invalid_request":
		case w.Code != http.StatusOK:
			t.Fatalf("status %d: %s", w.Code, w.Body)
		case b["active"] == false:
			if len(b) != 1 {
				t.Fatalf("inactive answer with more members: %s", w.Body)
			}
		case b["active"] == true:
			if tt, _ := b["token_type"].(string); !slices.Contains(types, tt) || b["iss"] != fa.issuer || b["client_id"] != fa.clientID {
				t.Fatalf("active answer %s", w.Body)
			}
		default:
			t.Fatalf("answer without a boolean active: %s", w.Body)
		}
	})
}
