package verifier_test

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/latchkey/latchkey/verifier"
	"github.com/latchkey/latchkey/verifier/verifiertest"
)

func newIntrospector(t *testing.T, iss *verifiertest.Issuer, clk *clock, mod func(*verifier.IntrospectorConfig)) *verifier.Introspector {
	t.Helper()
	cfg := verifier.IntrospectorConfig{Issuer: iss.Issuer(), ClientID: iss.ClientID(), ClientSecret: iss.ClientSecret(), Now: clk.Now}
	if mod != nil {
		mod(&cfg)
	}
	in, err := verifier.NewIntrospector(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return in
}

func TestIntrospectionAfterLocalChecks(t *testing.T) {
	t.Parallel()
	clk := newClock()
	iss := verifiertest.NewIssuer(t, verifiertest.WithNow(clk.Now))
	in := newIntrospector(t, iss, clk, nil)
	v, err := verifier.New(verifier.Config{Issuer: iss.Issuer(), Audience: iss.Audience(), Now: clk.Now, Introspector: in})
	if err != nil {
		t.Fatal(err)
	}
	token := iss.AccessToken()
	ctx := context.Background()
	for range 3 {
		if _, err := v.Verify(ctx, token); err != nil {
			t.Fatalf("Verify: %v", err)
		}
	}
	if got := iss.IntrospectionRequests(); got != 1 {
		t.Fatalf("introspection requests = %d, want 1 (two cache hits)", got)
	}

	iss.Revoke(token)
	clk.Advance(29 * time.Second)
	if _, err := v.Verify(ctx, token); err != nil {
		t.Errorf("revoked but the active answer is cached for 30s: %v", err)
	}
	clk.Advance(time.Second)
	_, err = v.Verify(ctx, token)
	if !errors.Is(err, verifier.ErrInactive) {
		t.Fatalf("err = %v, want ErrInactive", err)
	}
	if verifier.Description(err) != "The access token is not active." {
		t.Errorf("Description = %q", verifier.Description(err))
	}
	if _, err := v.Verify(ctx, token); !errors.Is(err, verifier.ErrInactive) {
		t.Errorf("err = %v, want ErrInactive (cached)", err)
	}
	if got := iss.IntrospectionRequests(); got != 2 {
		t.Errorf("introspection requests = %d, want 2", got)
	}

	// A token the local checks refuse never reaches the introspection endpoint.
	if _, err := v.Verify(ctx, "garbage"); !errors.Is(err, verifier.ErrMalformed) {
		t.Errorf("err = %v", err)
	}
	if got := iss.IntrospectionRequests(); got != 2 {
		t.Errorf("introspection requests = %d after a malformed token, want 2", got)
	}
}

func TestIntrospectAnswerAndCacheBoundedByExp(t *testing.T) {
	t.Parallel()
	clk := newClock()
	iss := verifiertest.NewIssuer(t, verifiertest.WithNow(clk.Now))
	in := newIntrospector(t, iss, clk, func(c *verifier.IntrospectorConfig) { c.CacheTTL = time.Minute })
	token := iss.AccessToken(verifiertest.WithLifetime(10*time.Second), verifiertest.WithScopes("openid", "email"),
		verifiertest.WithUserID("00uada"), verifiertest.WithSubject("ada@example.com"))
	got, err := in.Introspect(context.Background(), token)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Active || got.Scope != "openid email" || len(got.Scopes()) != 2 || got.ClientID != iss.ClientID() ||
		got.Username != "ada@example.com" || got.Subject != "ada@example.com" || got.UserID != "00uada" ||
		got.Issuer != iss.Issuer() || got.TokenType != "Bearer" || len(got.Audience) != 1 ||
		!got.ExpiresAt.Equal(clk.Now().Add(10*time.Second)) || got.JTI == "" {
		t.Errorf("introspection = %+v", got)
	}
	clk.Advance(9 * time.Second)
	if _, err := in.Introspect(context.Background(), token); err != nil || iss.IntrospectionRequests() != 1 {
		t.Fatalf("within exp: err %v, requests %d, want a cache hit", err, iss.IntrospectionRequests())
	}
	clk.Advance(time.Second) // exp reached: the one-minute TTL does not extend the answer
	if _, err := in.Introspect(context.Background(), token); !errors.Is(err, verifier.ErrInactive) {
		t.Errorf("after exp: err = %v, want ErrInactive", err)
	}
	if iss.IntrospectionRequests() != 2 {
		t.Errorf("requests = %d, want 2", iss.IntrospectionRequests())
	}
}

func TestIntrospectCacheDisabled(t *testing.T) {
	t.Parallel()
	clk := newClock()
	iss := verifiertest.NewIssuer(t, verifiertest.WithNow(clk.Now))
	in := newIntrospector(t, iss, clk, func(c *verifier.IntrospectorConfig) { c.CacheTTL = -1 })
	token := iss.AccessToken()
	for range 3 {
		if _, err := in.Introspect(context.Background(), token); err != nil {
			t.Fatal(err)
		}
	}
	if iss.IntrospectionRequests() != 3 {
		t.Errorf("requests = %d, want 3", iss.IntrospectionRequests())
	}
}

func TestIntrospectBasicAuthIsFormEncoded(t *testing.T) {
	t.Parallel()
	const id, secret = "client:id+1", "s3cr3t %&+/=:é"
	clk := newClock()
	iss := verifiertest.NewIssuer(t, verifiertest.WithNow(clk.Now), verifiertest.WithClient(id, secret))
	in := newIntrospector(t, iss, clk, nil)
	if _, err := in.Introspect(context.Background(), iss.AccessToken()); err != nil {
		t.Fatalf("the issuer refused the encoded credentials: %v", err)
	}

	// The exact header, against a recording endpoint.
	var mu sync.Mutex
	var gotAuth, gotForm string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		mu.Lock()
		gotAuth, gotForm = r.Header.Get("Authorization"), r.PostForm.Encode()
		mu.Unlock()
		_, _ = w.Write([]byte(`{"active":false}`))
	}))
	t.Cleanup(srv.Close)
	rec, err := verifier.NewIntrospector(verifier.IntrospectorConfig{Endpoint: srv.URL, ClientID: id, ClientSecret: secret})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rec.Introspect(context.Background(), "tok"); !errors.Is(err, verifier.ErrInactive) {
		t.Errorf("err = %v, want ErrInactive", err)
	}
	want := "Basic " + base64.StdEncoding.EncodeToString([]byte("client%3Aid%2B1:s3cr3t+%25%26%2B%2F%3D%3A%C3%A9"))
	mu.Lock()
	defer mu.Unlock()
	if gotAuth != want {
		t.Errorf("Authorization = %q, want %q", gotAuth, want)
	}
	if gotForm != "token=tok&token_type_hint=access_token" {
		t.Errorf("form = %q", gotForm)
	}
}

func TestIntrospectFailures(t *testing.T) {
	t.Parallel()
	clk := newClock()
	iss := verifiertest.NewIssuer(t, verifiertest.WithNow(clk.Now))
	wrong := newIntrospector(t, iss, clk, func(c *verifier.IntrospectorConfig) { c.ClientSecret = "wrong" })
	if _, err := wrong.Introspect(context.Background(), iss.AccessToken()); !errors.Is(err, verifier.ErrIntrospectionUnavailable) {
		t.Errorf("wrong secret: err = %v, want ErrIntrospectionUnavailable", err)
	}
	for name, body := range map[string]string{"no active": `{}`, "not JSON": `<html>`, "active string": `{"active":"true"}`} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte(body)) }))
		in, err := verifier.NewIntrospector(verifier.IntrospectorConfig{Endpoint: srv.URL, ClientID: "x"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := in.Introspect(context.Background(), "tok"); !errors.Is(err, verifier.ErrIntrospectionUnavailable) {
			t.Errorf("%s: err = %v, want ErrIntrospectionUnavailable", name, err)
		}
		srv.Close()
	}
	if _, err := verifier.NewIntrospector(verifier.IntrospectorConfig{ClientID: "x"}); err == nil {
		t.Error("NewIntrospector accepted a config without issuer or endpoint")
	}
}

// TestIntrospectRefusesNonAccessTokens: issuers answer active for ID and
// refresh tokens too; those are not bearer credentials for an API.
func TestIntrospectRefusesNonAccessTokens(t *testing.T) {
	t.Parallel()
	for tokenType, wantOK := range map[string]bool{"Bearer": true, "access_token": true, "": true, "id_token": false, "refresh_token": false} {
		body := `{"active":true,"token_type":"` + tokenType + `"}`
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte(body)) }))
		in, err := verifier.NewIntrospector(verifier.IntrospectorConfig{Endpoint: srv.URL, ClientID: "x"})
		if err != nil {
			t.Fatal(err)
		}
		_, err = in.Introspect(context.Background(), "tok")
		if wantOK && err != nil {
			t.Errorf("token_type %q: %v", tokenType, err)
		}
		if !wantOK && !errors.Is(err, verifier.ErrInactive) {
			t.Errorf("token_type %q: err = %v, want ErrInactive", tokenType, err)
		}
		srv.Close()
	}
}
