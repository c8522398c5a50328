package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/provision"
	"github.com/latchkey/latchkey/internal/store/cache"
	"github.com/latchkey/latchkey/internal/token"
)

// BenchmarkMintTokens mints an access token and an ID token (two RS256
// signatures) for the password grant.
func BenchmarkMintTokens(b *testing.B) {
	e := benchEnv(b, cache.DefaultTTL)
	ctx := context.Background()
	u, err := e.app.Store.GetUser(ctx, e.userID)
	if err != nil {
		b.Fatal(err)
	}
	m := e.app.OAuth.Minter
	req := token.Request{AuthServerID: "default", Issuer: e.issuer, Audience: "api://default", ClientID: e.clientID,
		User: &u, Scopes: []string{"openid", "profile", "email"}, AccessTTL: time.Hour, IDTTL: time.Hour,
		AuthTime: time.Now(), IDToken: true}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := m.Mint(ctx, req); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPasswordGrant is the whole seed's call through the real handler
// (form, client auth, user lookup, a cheap argon2id check, policy, minting,
// JSON), without the network. Hashing is configured cheap (64 KiB, 1 pass)
// so that the figure shows Latchkey's own cost; add the hash's own cost
// (BenchmarkVerifyOWASP in internal/password) for the production figure.
func BenchmarkPasswordGrant(b *testing.B) {
	e := benchEnv(b, cache.DefaultTTL)
	body := e.passwordForm("openid profile email").Encode()
	auth := basic(e.clientID, e.clientSecret)
	b.ReportAllocs()
	for b.Loop() {
		r := httptest.NewRequest(http.MethodPost, "/oauth2/default/v1/token", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.Header.Set("Authorization", auth)
		w := httptest.NewRecorder()
		e.app.Handler.ServeHTTP(w, r)
		if w.Code != http.StatusOK {
			b.Fatalf("%d %s", w.Code, w.Body.String())
		}
	}
}

// BenchmarkPasswordGrantParallel is BenchmarkPasswordGrant from GOMAXPROCS
// goroutines at once.
func BenchmarkPasswordGrantParallel(b *testing.B) {
	e := benchEnv(b, cache.DefaultTTL)
	body := e.passwordForm("openid profile email").Encode()
	auth := basic(e.clientID, e.clientSecret)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			r := httptest.NewRequest(http.MethodPost, "/oauth2/default/v1/token", strings.NewReader(body))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			r.Header.Set("Authorization", auth)
			w := httptest.NewRecorder()
			e.app.Handler.ServeHTTP(w, r)
			if w.Code != http.StatusOK {
				b.Errorf("%d %s", w.Code, w.Body.String())
				return
			}
		}
	})
}

// serveBench runs one request through the real handler and fails unless it
// answers 200.
func serveBench(b *testing.B, h http.Handler, path, body, auth string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Header.Set("Authorization", auth)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != http.StatusOK {
		b.Fatalf("%s: %d %s", path, w.Code, w.Body.String())
	}
	return w
}

// BenchmarkRefreshGrant is one ROTATE refresh: lookup by hash, policy,
// the atomic rotation (a write transaction), minting an access and an ID
// token, and recording the access token.
func BenchmarkRefreshGrant(b *testing.B) {
	e := benchEnv(b, cache.DefaultTTL)
	ctx := context.Background()
	c, secret, err := e.app.Provision.CreateClient(ctx, provision.ClientInput{Name: "bench", GrantTypes: []string{"password", "refresh_token"}})
	if err != nil {
		b.Fatal(err)
	}
	auth := basic(c.ID, secret)
	w := serveBench(b, e.app.Handler, "/oauth2/default/v1/token", e.passwordForm("openid offline_access").Encode(), auth)
	var tok map[string]any
	_ = json.Unmarshal(w.Body.Bytes(), &tok)
	rt := tok["refresh_token"].(string)
	b.ReportAllocs()
	for b.Loop() {
		w := serveBench(b, e.app.Handler, "/oauth2/default/v1/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}}.Encode(), auth)
		_ = json.Unmarshal(w.Body.Bytes(), &tok)
		rt = tok["refresh_token"].(string)
	}
}

// BenchmarkClientCredentials is one client credentials grant on the
// default server (one RS256 signature, no hashing).
func BenchmarkClientCredentials(b *testing.B) {
	e := benchEnv(b, cache.DefaultTTL)
	ctx := context.Background()
	if _, err := e.app.Provision.PutScope(ctx, provision.ScopeInput{AuthServerID: "default", Name: "jobs"}); err != nil {
		b.Fatal(err)
	}
	c, secret, err := e.app.Provision.CreateClient(ctx, provision.ClientInput{Name: "m2m", GrantTypes: []string{"client_credentials"}})
	if err != nil {
		b.Fatal(err)
	}
	auth := basic(c.ID, secret)
	b.ReportAllocs()
	for b.Loop() {
		serveBench(b, e.app.Handler, "/oauth2/default/v1/token", "grant_type=client_credentials&scope=jobs", auth)
	}
}

// BenchmarkIntrospectAccessToken is one introspection of a live access
// token: client authentication, RS256 verification, the revocation check.
func BenchmarkIntrospectAccessToken(b *testing.B) {
	e := benchEnv(b, cache.DefaultTTL)
	auth := basic(e.clientID, e.clientSecret)
	w := serveBench(b, e.app.Handler, "/oauth2/default/v1/token", e.passwordForm("openid").Encode(), auth)
	var tok map[string]any
	_ = json.Unmarshal(w.Body.Bytes(), &tok)
	body := url.Values{"token": {tok["access_token"].(string)}, "token_type_hint": {"access_token"}}.Encode()
	b.ReportAllocs()
	for b.Loop() {
		serveBench(b, e.app.Handler, "/oauth2/default/v1/introspect", body, auth)
	}
}

// BenchmarkTokenManyScopes is a cheap rejection: a 64 KiB password-grant
// body whose scope holds 17,000 distinct scopes, refused with invalid_scope
// before any password is hashed. Its cost must not grow with the square of
// the scope count.
func BenchmarkTokenManyScopes(b *testing.B) {
	e := benchEnv(b, cache.DefaultTTL)
	names := make([]string, 17000)
	for i := range names {
		names[i] = shortScopeName(i)
	}
	body := e.passwordForm(strings.Join(names, " ")).Encode()
	auth := basic(e.clientID, e.clientSecret)
	b.ReportAllocs()
	for b.Loop() {
		r := httptest.NewRequest(http.MethodPost, "/oauth2/default/v1/token", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.Header.Set("Authorization", auth)
		w := httptest.NewRecorder()
		e.app.Handler.ServeHTTP(w, r)
		if w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), "invalid_scope") {
			b.Fatalf("%d %s", w.Code, w.Body.String())
		}
	}
}

// shortScopeName is the i-th shortest alphanumeric name: 17,000 of them,
// space-separated, fill just under 64 KiB.
func shortScopeName(i int) string {
	const alnum = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	var b []byte
	for {
		b = append(b, alnum[i%len(alnum)])
		i /= len(alnum)
		if i == 0 {
			return string(b)
		}
		i--
	}
}
