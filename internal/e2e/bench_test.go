package e2e

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/token"
)

// BenchmarkMintTokens mints an access token and an ID token (two RS256
// signatures) for the password grant.
func BenchmarkMintTokens(b *testing.B) {
	e := newEnv(b)
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
	e := newEnv(b)
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
	e := newEnv(b)
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
