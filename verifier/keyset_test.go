package verifier_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/latchkey/latchkey/verifier"
	"github.com/latchkey/latchkey/verifier/verifiertest"
)

func mustVerify(t *testing.T, v *verifier.Verifier, token string) {
	t.Helper()
	if _, err := v.Verify(context.Background(), token); err != nil {
		t.Fatalf("Verify: %v", err)
	}
}

func wantFetches(t *testing.T, iss *verifiertest.Issuer, want int) {
	t.Helper()
	if got := iss.JWKSFetches(); got != want {
		t.Fatalf("JWKS fetches = %d, want %d", got, want)
	}
}

func TestRotationOldKeyStillVerifies(t *testing.T) {
	t.Parallel()
	iss, v, clk := setup(t, verifier.Config{})
	oldKid := iss.KeyID()
	oldToken := iss.AccessToken()
	mustVerify(t, v, oldToken)
	clk.Advance(verifier.DefaultMinRefetchInterval) // past the refetch floor

	newKid := iss.RotateKey()
	if newKid == oldKid {
		t.Fatal("RotateKey kept the kid")
	}
	newToken := iss.AccessToken()
	mustVerify(t, v, newToken) // unknown kid: one refetch
	mustVerify(t, v, oldToken) // the old key is still published
	wantFetches(t, iss, 2)
}

func TestNewKidConcurrentMissesCollapseIntoOneFetch(t *testing.T) {
	t.Parallel()
	iss, v, clk := setup(t, verifier.Config{})
	mustVerify(t, v, iss.AccessToken())
	wantFetches(t, iss, 1)

	clk.Advance(verifier.DefaultMinRefetchInterval) // past the refetch floor
	iss.RotateKey()
	token := iss.AccessToken()
	const n = 50
	start := make(chan struct{})
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, err := v.Verify(context.Background(), token)
			errs <- err
		}()
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("Verify: %v", err)
		}
	}
	wantFetches(t, iss, 2)
}

func TestFirstUseConcurrentMissesCollapseIntoOneFetch(t *testing.T) {
	t.Parallel()
	// The real clock and a floor of 1ns: only the collapsing of concurrent
	// misses keeps this at one fetch.
	iss := verifiertest.NewIssuer(t)
	v, err := verifier.New(verifier.Config{Issuer: iss.Issuer(), Audience: iss.Audience(), MinRefetchInterval: time.Nanosecond})
	if err != nil {
		t.Fatal(err)
	}
	token := iss.AccessToken()
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			if _, err := v.Verify(context.Background(), token); err != nil {
				t.Errorf("Verify: %v", err)
			}
		})
	}
	wg.Wait()
	wantFetches(t, iss, 1)
	if iss.DiscoveryFetches() != 1 {
		t.Errorf("discovery fetches = %d, want 1", iss.DiscoveryFetches())
	}
}

func TestForgedKidsRefetchAtMostOncePerInterval(t *testing.T) {
	t.Parallel()
	iss, v, clk := setup(t, verifier.Config{MinRefetchInterval: 10 * time.Second})
	mustVerify(t, v, iss.AccessToken())
	wantFetches(t, iss, 1)

	attacker := newRSAKey(t)
	forge := func(n int) {
		t.Helper()
		for i := range n {
			token := signWithKey(t, attacker, "forged-"+strings.Repeat("x", i%7)+clk.Now().String(), validClaims(iss, clk))
			if _, err := v.Verify(context.Background(), token); !errors.Is(err, verifier.ErrUnknownKey) {
				t.Fatalf("forged kid: err = %v, want ErrUnknownKey", err)
			}
		}
	}
	forge(100) // within the floor of the first fetch: no fetch at all
	wantFetches(t, iss, 1)

	clk.Advance(10 * time.Second)
	forge(100) // one fetch, then the floor again
	wantFetches(t, iss, 2)

	clk.Advance(9 * time.Second)
	forge(100)
	wantFetches(t, iss, 2)

	clk.Advance(time.Second)
	forge(100)
	wantFetches(t, iss, 3)

	// A genuine rotation inside the floor is seen once the floor has passed.
	iss.RotateKey()
	rotated := iss.AccessToken()
	if _, err := v.Verify(context.Background(), rotated); !errors.Is(err, verifier.ErrUnknownKey) {
		t.Fatalf("inside the floor: err = %v, want ErrUnknownKey", err)
	}
	clk.Advance(10 * time.Second)
	mustVerify(t, v, rotated)
	wantFetches(t, iss, 4)
}

func TestIssuerDownKnownKeysStillVerify(t *testing.T) {
	t.Parallel()
	iss, v, clk := setup(t, verifier.Config{}, verifiertest.WithKeysMaxAge(time.Minute))
	token := iss.AccessToken()
	mustVerify(t, v, token)

	iss.SetDown(true)
	mustVerify(t, v, token) // cached and fresh: no request
	wantFetches(t, iss, 1)

	clk.Advance(2 * time.Minute) // stale: the refresh fails, the known key is kept
	mustVerify(t, v, iss.AccessToken())
	mustVerify(t, v, iss.AccessToken()) // the failure is not retried before the floor
	clk.Advance(verifier.DefaultMinRefetchInterval)
	mustVerify(t, v, iss.AccessToken())

	attacker := newRSAKey(t)
	forged := signWithKey(t, attacker, "unknown", validClaims(iss, clk))
	clk.Advance(verifier.DefaultMinRefetchInterval)
	if _, err := v.Verify(context.Background(), forged); !errors.Is(err, verifier.ErrUnknownKey) {
		t.Errorf("unknown kid while down: err = %v, want ErrUnknownKey", err)
	}
	if got := iss.JWKSFetches(); got != 1 {
		t.Errorf("JWKS served %d times while down, want only the first", got)
	}
}

func TestIssuerGoneKnownKeysStillVerify(t *testing.T) {
	t.Parallel()
	clk := newClock()
	iss := verifiertest.NewIssuer(t, verifiertest.WithNow(clk.Now))
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		resp, err := http.Get(iss.URL() + r.URL.Path)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		w.Header().Set("Cache-Control", resp.Header.Get("Cache-Control"))
		w.WriteHeader(resp.StatusCode)
		_, _ = io.Copy(w, resp.Body)
	}))
	v, err := verifier.New(verifier.Config{Issuer: iss.Issuer(), Audience: iss.Audience(), JWKSURL: proxy.URL + "/oauth2/default/v1/keys", Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	mustVerify(t, v, iss.AccessToken())
	proxy.Close() // connection refused from now on
	clk.Advance(time.Hour)
	mustVerify(t, v, iss.AccessToken())
}

func TestCacheControlMaxAgeHonoured(t *testing.T) {
	t.Parallel()
	iss, v, clk := setup(t, verifier.Config{MinRefetchInterval: time.Second}, verifiertest.WithKeysMaxAge(60*time.Second))
	oldToken := iss.AccessToken()
	mustVerify(t, v, oldToken)
	wantFetches(t, iss, 1)

	clk.Advance(59 * time.Second)
	mustVerify(t, v, oldToken)
	wantFetches(t, iss, 1)

	clk.Advance(time.Second) // max-age reached: the next Verify refetches
	mustVerify(t, v, oldToken)
	wantFetches(t, iss, 2)

	// A withdrawn key keeps verifying until max-age passes, then it is gone.
	oldKid := iss.KeyID()
	iss.RotateKey()
	iss.Unpublish(oldKid)
	clk.Advance(30 * time.Second)
	mustVerify(t, v, oldToken)
	wantFetches(t, iss, 2)
	clk.Advance(30 * time.Second)
	if _, err := v.Verify(context.Background(), oldToken); !errors.Is(err, verifier.ErrUnknownKey) {
		t.Errorf("withdrawn key after max-age: err = %v, want ErrUnknownKey", err)
	}
	wantFetches(t, iss, 3)
}

func TestNoCacheControlUsesDefaultTTL(t *testing.T) {
	t.Parallel()
	iss, v, clk := setup(t, verifier.Config{DefaultKeySetTTL: 3 * time.Minute}, verifiertest.WithKeysMaxAge(-1))
	token := iss.AccessToken()
	mustVerify(t, v, token)
	clk.Advance(3*time.Minute - time.Second)
	mustVerify(t, v, token)
	wantFetches(t, iss, 1)
	clk.Advance(time.Second)
	mustVerify(t, v, token)
	wantFetches(t, iss, 2)
}

// jwksServer serves a fixed discovery document and JWKS body.
func jwksServer(t *testing.T, issuer func(base string) string, jwks func() string) *httptest.Server {
	t.Helper()
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/oauth2/default/.well-known/openid-configuration":
			http.NotFound(w, r) // forces the fallback document
		case "/oauth2/default/.well-known/oauth-authorization-server":
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"issuer":"` + issuer(srv.URL) + `","jwks_uri":"` + srv.URL + `/keys"}`))
		case "/keys":
			_, _ = w.Write([]byte(jwks()))
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestDiscoveryIssuerMustMatchExactly(t *testing.T) {
	t.Parallel()
	srv := jwksServer(t, func(base string) string { return base + "/oauth2/default/" }, func() string { return `{"keys":[]}` })
	v, err := verifier.New(verifier.Config{Issuer: srv.URL + "/oauth2/default", Audience: "api://default"})
	if err != nil {
		t.Fatal(err)
	}
	err = v.Prefetch(context.Background())
	if !errors.Is(err, verifier.ErrKeySetUnavailable) || !strings.Contains(err.Error(), "not the configured issuer") {
		t.Errorf("Prefetch = %v, want an issuer mismatch", err)
	}
}

func TestJWKSSkipsUnusableKeys(t *testing.T) {
	t.Parallel()
	clk := newClock()
	iss := verifiertest.NewIssuer(t, verifiertest.WithNow(clk.Now))
	token := iss.AccessToken()
	kid := iss.KeyID()
	good := fetchJWK(t, iss)
	// The same key under other kids, with use "enc" or without a kid, plus a
	// symmetric key: all must be ignored.
	variants := []string{
		strings.Replace(good, `"kid":"`+kid+`"`, `"kid":"enc-key"`, 1),
		strings.Replace(good, `"kid":"`+kid+`"`, `"kid":""`, 1),
		`{"kty":"oct","kid":"hmac","k":"c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0"}`,
		`{"kty":"XYZ","kid":"odd"}`,
	}
	variants[0] = strings.Replace(variants[0], `"use":"sig"`, `"use":"enc"`, 1)
	srv := jwksServer(t, func(base string) string { return base + "/oauth2/default" }, func() string {
		return `{"keys":[` + strings.Join(variants, ",") + `,` + strings.Replace(good, `"use":"sig"`, `"use":"enc"`, 1) + `]}`
	})
	v, err := verifier.New(verifier.Config{Issuer: iss.Issuer(), Audience: iss.Audience(), JWKSURL: srv.URL + "/keys", Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(context.Background(), token); !errors.Is(err, verifier.ErrUnknownKey) {
		t.Errorf("err = %v, want ErrUnknownKey: a key with use enc must not verify", err)
	}
}

func TestDiscoveryFallsBackToOAuthMetadata(t *testing.T) {
	t.Parallel()
	clk := newClock()
	iss := verifiertest.NewIssuer(t, verifiertest.WithNow(clk.Now))
	good := fetchJWK(t, iss)
	srv := jwksServer(t, func(base string) string { return base + "/oauth2/default" }, func() string { return `{"keys":[` + good + `]}` })
	// The token's iss must be the server's issuer: sign one for it.
	claims := map[string]any{"iss": srv.URL + "/oauth2/default", "aud": "api://default",
		"iat": clk.Now().Unix(), "exp": clk.Now().Add(time.Hour).Unix()}
	v, err := verifier.New(verifier.Config{Issuer: srv.URL + "/oauth2/default", Audience: "api://default", Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(context.Background(), iss.Sign(claims)); err != nil {
		t.Errorf("Verify through oauth-authorization-server metadata: %v", err)
	}
}

// fetchJWK returns the issuer's one published JWK as JSON.
func fetchJWK(t *testing.T, iss *verifiertest.Issuer) string {
	t.Helper()
	resp, err := http.Get(iss.JWKSURL())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	body := strings.TrimSpace(string(raw))
	body = strings.TrimPrefix(body, `{"keys":[`)
	body = strings.TrimSuffix(body, `]}`)
	if strings.Count(body, `"kid"`) != 1 {
		t.Fatalf("expected one key, got %s", body)
	}
	return body
}
