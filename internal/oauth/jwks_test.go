package oauth

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

func jwkJSON(t *testing.T, jwk jose.JSONWebKey) string {
	t.Helper()
	b, err := json.Marshal(jwk)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestValidateClientJWKS(t *testing.T) {
	t.Parallel()
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	rsaPub := jwkJSON(t, jose.JSONWebKey{Key: &testRSAKey.PublicKey, KeyID: "r", Use: "sig", Algorithm: "RS256"})
	ecPub := jwkJSON(t, jose.JSONWebKey{Key: &testECKey.PublicKey, KeyID: "e"})
	set := func(keys ...string) string { return `{"keys":[` + strings.Join(keys, ",") + `]}` }
	cases := []struct {
		name, jwks string
		ok         bool
	}{
		{"RSA and EC", set(rsaPub, ecPub), true},
		{"one EC key without use or alg", set(ecPub), true},
		{"not JSON", "{", false},
		{"no keys member", `{}`, false},
		{"empty set", set(), false},
		{"a bare JWK", rsaPub, false},
		{"private RSA key", set(jwkJSON(t, jose.JSONWebKey{Key: testRSAKey, KeyID: "p"})), false},
		{"private EC key", set(jwkJSON(t, jose.JSONWebKey{Key: testECKey, KeyID: "p"})), false},
		{"symmetric key", set(jwkJSON(t, jose.JSONWebKey{Key: []byte(strings.Repeat("k", 32)), KeyID: "s"})), false},
		{"no kid", set(jwkJSON(t, jose.JSONWebKey{Key: &testRSAKey.PublicKey})), false},
		{"duplicate kid", set(rsaPub, jwkJSON(t, jose.JSONWebKey{Key: &testECKey.PublicKey, KeyID: "r"})), false},
		{"use enc", set(jwkJSON(t, jose.JSONWebKey{Key: &testRSAKey.PublicKey, KeyID: "r", Use: "enc"})), false},
		{"RSA key with alg ES256", set(jwkJSON(t, jose.JSONWebKey{Key: &testRSAKey.PublicKey, KeyID: "r", Algorithm: "ES256"})), false},
		{"RSA key with alg PS256", set(jwkJSON(t, jose.JSONWebKey{Key: &testRSAKey.PublicKey, KeyID: "r", Algorithm: "PS256"})), false},
		{"1024-bit RSA", set(jwkJSON(t, jose.JSONWebKey{Key: &small.PublicKey, KeyID: "r"})), false},
		{"P-384", set(jwkJSON(t, jose.JSONWebKey{Key: &p384.PublicKey, KeyID: "e"})), false},
		{"too large", set(rsaPub) + strings.Repeat(" ", MaxJWKSBytes), false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := ValidateClientJWKS([]byte(tc.jwks))
			if (err == nil) != tc.ok {
				t.Fatalf("ValidateClientJWKS: %v, want ok=%v", err, tc.ok)
			}
		})
	}
}

func TestValidateJWKSURI(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		uri           string
		strict, devOK bool
	}{
		{"https://client.example.com/.well-known/jwks.json", true, true},
		{"https://client.example.com:8443/jwks", true, true},
		{"https://8.8.8.8/jwks", true, true},
		{"http://127.0.0.1:9999/jwks", false, true},
		{"http://[::1]/jwks", false, true},
		{"http://localhost/jwks", false, true},
		{"https://localhost/jwks", false, true},
		{"https://127.0.0.1/jwks", false, true},
		{"https://10.0.0.1/jwks", false, true},
		{"https://[fd00::1]/jwks", false, true},
		{"http://client.example.com/jwks", false, true},
		{"https://169.254.169.254/latest/meta-data", false, false},
		{"https://[fe80::1]/jwks", false, false},
		{"https://100.64.0.1/jwks", false, false},
		{"https://0.0.0.0/jwks", false, false},
		{"https://224.0.0.1/jwks", false, false},
		{"ftp://client.example.com/jwks", false, false},
		{"file:///etc/passwd", false, false},
		{"/jwks", false, false},
		{"https:///jwks", false, false},
		{"https://user:pw@client.example.com/jwks", false, false},
		{"https://client.example.com/jwks#frag", false, false},
		{"https://client.example.com/" + strings.Repeat("a", maxJWKSURILength), false, false},
	} {
		if err := ValidateJWKSURI(tc.uri, false); (err == nil) != tc.strict {
			t.Errorf("%s: %v, want ok=%v", truncate(tc.uri, 60), err, tc.strict)
		}
		if err := ValidateJWKSURI(tc.uri, true); (err == nil) != tc.devOK {
			t.Errorf("%s with allow_insecure_jwks_uri: %v, want ok=%v", truncate(tc.uri, 60), err, tc.devOK)
		}
	}
}

// jwksServer serves a key set whose content and headers the test changes.
type jwksServer struct {
	*httptest.Server
	fetches atomic.Int32
	mu      sync.Mutex
	body    string
	cache   string
	status  int
	block   chan struct{} // when set, requests wait for it
}

func newJWKSServer(t *testing.T, body, cacheControl string) *jwksServer {
	s := &jwksServer{body: body, cache: cacheControl, status: http.StatusOK}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.fetches.Add(1)
		s.mu.Lock()
		body, cache, status, block := s.body, s.cache, s.status, s.block
		s.mu.Unlock()
		if block != nil {
			select {
			case <-block:
			case <-r.Context().Done():
				return
			}
		}
		if cache != "" {
			w.Header().Set("Cache-Control", cache)
		}
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *jwksServer) set(body, cache string, status int) {
	s.mu.Lock()
	s.body, s.cache, s.status = body, cache, status
	s.mu.Unlock()
}

// fakeClock is a settable clock.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func TestRemoteJWKSCaching(t *testing.T) {
	t.Parallel()
	setA := string(publicJWKS(t, map[string]any{"a": &testRSAKey.PublicKey}))
	setAB := string(publicJWKS(t, map[string]any{"a": &testRSAKey.PublicKey, "b": &testECKey.PublicKey}))
	srv := newJWKSServer(t, setA, "public, max-age=600")
	clock := &fakeClock{t: time.Unix(1_800_000_000, 0)}
	r := NewRemoteJWKS(RemoteJWKSConfig{AllowInsecure: true, Now: clock.Now})
	ctx := context.Background()
	lookup := func(kid string) error {
		_, err := r.keys(ctx, srv.URL, kid)
		return err
	}
	expect := func(step string, err error, wantErr error, fetches int32) {
		t.Helper()
		if (wantErr == nil) != (err == nil) || (wantErr != nil && !errors.Is(err, wantErr)) {
			t.Fatalf("%s: err %v, want %v", step, err, wantErr)
		}
		if got := srv.fetches.Load(); got != fetches {
			t.Fatalf("%s: %d fetches, want %d", step, got, fetches)
		}
	}
	expect("first lookup fetches", lookup("a"), nil, 1)
	clock.Add(599 * time.Second)
	expect("fresh for max-age", lookup("a"), nil, 1)

	srv.set(setAB, "max-age=600", http.StatusOK)
	expect("unknown kid refetches", lookup("b"), nil, 2)
	clock.Add(10 * time.Second)
	expect("another unknown kid soon after: no refetch", lookup("c"), errUnknownKid, 2)
	clock.Add(r.cfg.RefetchInterval)
	expect("unknown kid after the interval refetches", lookup("c"), errUnknownKid, 3)

	clock.Add(601 * time.Second)
	srv.set(setA, "no-store", http.StatusOK)
	expect("stale set refetches", lookup("a"), nil, 4)
	clock.Add(r.cfg.MinTTL - time.Second)
	expect("no-store is cached for the floor", lookup("a"), nil, 4)
	clock.Add(2 * time.Second)
	srv.set("oops", "", http.StatusInternalServerError)
	if err := lookup("a"); err == nil || srv.fetches.Load() != 5 {
		t.Fatalf("a set that cannot be refreshed is used past its expiry: %v, %d fetches", err, srv.fetches.Load())
	}
	srv.set(setA, "", http.StatusOK)
	if err := lookup("a"); err == nil || srv.fetches.Load() != 5 {
		t.Fatalf("a failed fetch is retried before the interval: %v, %d fetches", err, srv.fetches.Load())
	}
	clock.Add(r.cfg.RefetchInterval)
	expect("retried after the interval", lookup("a"), nil, 6)
}

func TestRemoteJWKSTTL(t *testing.T) {
	t.Parallel()
	r := NewRemoteJWKS(RemoteJWKSConfig{AllowInsecure: true})
	for cc, want := range map[string]time.Duration{
		"":                        time.Hour,
		"max-age=600":             10 * time.Minute,
		"public, max-age=7200":    2 * time.Hour,
		"max-age=1":               5 * time.Minute,
		"no-cache":                5 * time.Minute,
		"max-age=600, no-store":   5 * time.Minute,
		"max-age=99999999999":     24 * time.Hour,
		"max-age=oops":            time.Hour,
		`max-age="900"`:           15 * time.Minute,
		"must-revalidate":         time.Hour,
		"max-age=-5, private":     time.Hour,
		"private, max-age=172800": 24 * time.Hour,
	} {
		if got := r.ttl([]string{cc}); got != want {
			t.Errorf("Cache-Control %q: ttl %v, want %v", cc, got, want)
		}
	}
}

func TestRemoteJWKSRefusals(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	big := newJWKSServer(t, `{"keys":[]}`+strings.Repeat(" ", MaxJWKSBytes), "")
	notFound := newJWKSServer(t, "", "")
	notFound.set("", "", http.StatusNotFound)
	garbage := newJWKSServer(t, "<html>", "")
	hang := newJWKSServer(t, "", "")
	hang.block = make(chan struct{})
	t.Cleanup(func() { close(hang.block) })
	r := NewRemoteJWKS(RemoteJWKSConfig{AllowInsecure: true, Timeout: 200 * time.Millisecond})
	for name, u := range map[string]string{
		"body too large": big.URL, "status 404": notFound.URL, "not a JWKS": garbage.URL, "timeout": hang.URL,
		"file scheme": "file:///etc/passwd", "relative": "/jwks", "gopher": "gopher://127.0.0.1/",
	} {
		start := time.Now()
		if _, err := r.keys(ctx, u, "a"); err == nil {
			t.Errorf("%s: no error", name)
		}
		if time.Since(start) > 5*time.Second {
			t.Errorf("%s: took %v", name, time.Since(start))
		}
	}
}

// TestRemoteJWKSOneFetchInFlight: concurrent lookups share one fetch.
func TestRemoteJWKSOneFetchInFlight(t *testing.T) {
	t.Parallel()
	srv := newJWKSServer(t, string(publicJWKS(t, map[string]any{"a": &testRSAKey.PublicKey})), "")
	srv.block = make(chan struct{})
	r := NewRemoteJWKS(RemoteJWKSConfig{AllowInsecure: true})
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() {
			_, err := r.keys(context.Background(), srv.URL, "a")
			errs <- err
		})
	}
	for srv.fetches.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(20 * time.Millisecond)
	close(srv.block)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := srv.fetches.Load(); n != 1 {
		t.Fatalf("%d fetches, want 1", n)
	}
}

// TestRemoteJWKSCallerCancelDoesNotFailOthers: the fetch outlives the
// caller that started it.
func TestRemoteJWKSCallerCancelDoesNotFailOthers(t *testing.T) {
	t.Parallel()
	srv := newJWKSServer(t, string(publicJWKS(t, map[string]any{"a": &testRSAKey.PublicKey})), "")
	srv.block = make(chan struct{})
	r := NewRemoteJWKS(RemoteJWKSConfig{AllowInsecure: true})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := r.keys(ctx, srv.URL, "a")
		done <- err
	}()
	for srv.fetches.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled caller: %v", err)
	}
	close(srv.block)
	if _, err := r.keys(context.Background(), srv.URL, "a"); err != nil {
		t.Fatal(err)
	}
	if n := srv.fetches.Load(); n != 1 {
		t.Fatalf("%d fetches, want 1", n)
	}
}
