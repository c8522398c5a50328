package token

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

const testIssuer = "https://auth.example.com/oauth2/default"

// fakeKeys is a KeySource over a mutable list of keys that counts loads.
type fakeKeys struct {
	mu    sync.Mutex
	keys  []jose.JSONWebKey
	loads atomic.Int32
	gate  chan struct{} // when set, JWKS waits on it
	err   error
}

func (f *fakeKeys) JWKS(ctx context.Context, _ string) (jose.JSONWebKeySet, error) {
	f.loads.Add(1)
	if f.gate != nil {
		<-f.gate
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return jose.JSONWebKeySet{}, f.err
	}
	return jose.JSONWebKeySet{Keys: append([]jose.JSONWebKey(nil), f.keys...)}, nil
}

func (f *fakeKeys) set(keys ...jose.JSONWebKey) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.keys = keys
}

type testKey struct {
	priv *rsa.PrivateKey
	kid  string
}

func newTestKey(t *testing.T, kid string) testKey {
	t.Helper()
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return testKey{priv: priv, kid: kid}
}

func (k testKey) public() jose.JSONWebKey {
	return jose.JSONWebKey{Key: &k.priv.PublicKey, KeyID: k.kid, Algorithm: "RS256", Use: "sig"}
}

func (k testKey) sign(t *testing.T, claims map[string]any) string {
	t.Helper()
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: k.priv, KeyID: k.kid}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		t.Fatal(err)
	}
	payload, _ := json.Marshal(claims)
	jws, err := s.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.t = c.t.Add(d) }

func accessClaims(now time.Time) map[string]any {
	return map[string]any{"ver": 1, "jti": "AT.abc", "iss": testIssuer, "aud": "api://default",
		"iat": now.Unix(), "exp": now.Add(time.Hour).Unix(), "cid": "0oaclient", "uid": "00uuser",
		"scp": []string{"openid", "email"}, "sub": "ada@example.com", "auth_time": now.Unix()}
}

func setup(t *testing.T) (*Verifier, *fakeKeys, *clock, testKey) {
	t.Helper()
	key := newTestKey(t, "kid-1")
	src := &fakeKeys{}
	src.set(key.public())
	clk := &clock{t: time.Unix(1_800_000_000, 0)}
	return &Verifier{Keys: src, Now: clk.Now}, src, clk, key
}

func TestVerifyAccessToken(t *testing.T) {
	t.Parallel()
	v, _, clk, key := setup(t)
	raw := key.sign(t, accessClaims(clk.Now()))
	c, err := v.Verify(context.Background(), "default", testIssuer, raw)
	if err != nil {
		t.Fatal(err)
	}
	if !c.IsAccess() || c.IsID() || c.ClientID != "0oaclient" || c.UserID != "00uuser" || c.Subject != "ada@example.com" ||
		c.Audience != "api://default" || c.Ver != 1 || !c.IssuedAt.Equal(clk.Now()) || !c.ExpiresAt.Equal(clk.Now().Add(time.Hour)) ||
		!c.AuthTime.Equal(clk.Now()) || strings.Join(c.Scopes, " ") != "openid email" {
		t.Fatalf("claims %+v", c)
	}
}

func TestVerifyRefuses(t *testing.T) {
	t.Parallel()
	v, src, clk, key := setup(t)
	now := clk.Now()
	other := newTestKey(t, "kid-1") // same kid, another key
	unknown := newTestKey(t, "kid-unknown")
	with := func(k string, val any) map[string]any {
		c := accessClaims(now)
		if val == nil {
			delete(c, k)
		} else {
			c[k] = val
		}
		return c
	}
	pubDER, err := x509.MarshalPKIXPublicKey(&key.priv.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]string{
		"garbage":              "not a token",
		"empty":                "",
		"two parts":            "a.b",
		"too long":             strings.Repeat("a", MaxSize) + ".b.c",
		"wrong iss":            key.sign(t, with("iss", "https://auth.example.com/oauth2/other")),
		"iss with slash":       key.sign(t, with("iss", testIssuer+"/")),
		"no exp":               key.sign(t, with("exp", nil)),
		"expired":              key.sign(t, with("exp", now.Unix())),
		"aud array":            key.sign(t, with("aud", []string{"api://default"})),
		"exp not a number":     key.sign(t, with("exp", "tomorrow")),
		"unknown kid":          unknown.sign(t, accessClaims(now)),
		"other key, same kid":  other.sign(t, accessClaims(now)),
		"alg none":             unsigned(t, `{"alg":"none","kid":"kid-1","typ":"JWT"}`, accessClaims(now), nil),
		"HS256 with pub key":   unsigned(t, `{"alg":"HS256","kid":"kid-1","typ":"JWT"}`, accessClaims(now), pubDER),
		"HS256 with pub n":     unsigned(t, `{"alg":"HS256","kid":"kid-1","typ":"JWT"}`, accessClaims(now), key.priv.N.Bytes()),
		"RS256 without kid":    unsigned(t, `{"alg":"RS256","typ":"JWT"}`, accessClaims(now), nil),
		"tampered payload":     tamper(t, key.sign(t, accessClaims(now))),
		"signature of another": swapSignature(key.sign(t, accessClaims(now)), other.sign(t, accessClaims(now))),
	}
	for name, raw := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := v.Verify(context.Background(), "default", testIssuer, raw)
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("err = %v, want ErrInvalid", err)
			}
		})
	}
	if _, err := v.Verify(context.Background(), "default", testIssuer, key.sign(t, with("exp", now.Unix()))); !errors.Is(err, ErrExpired) {
		t.Fatalf("exp = now: %v, want ErrExpired (no leeway)", err)
	}
	if _, err := v.Verify(context.Background(), "default", testIssuer, key.sign(t, with("exp", now.Unix()+1))); err != nil {
		t.Fatalf("exp = now+1s: %v", err)
	}
	// Every refusal above cost at most one load: unknown kids within
	// MinRefresh do not reach the key source again.
	if n := src.loads.Load(); n != 1 {
		t.Fatalf("%d loads of the key set, want 1", n)
	}
}

// unsigned builds a compact JWS with any header; with hmacKey it carries an
// HS256 MAC under that key, otherwise an empty signature.
func unsigned(t *testing.T, header string, claims map[string]any, hmacKey []byte) string {
	t.Helper()
	payload, _ := json.Marshal(claims)
	signing := base64.RawURLEncoding.EncodeToString([]byte(header)) + "." + base64.RawURLEncoding.EncodeToString(payload)
	if hmacKey == nil {
		return signing + "."
	}
	m := hmac.New(sha256.New, hmacKey)
	m.Write([]byte(signing))
	return signing + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func tamper(t *testing.T, raw string) string {
	t.Helper()
	parts := strings.Split(raw, ".")
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	payload = []byte(strings.Replace(string(payload), `"scp":["openid","email"]`, `"scp":["openid","admin"]`, 1))
	parts[1] = base64.RawURLEncoding.EncodeToString(payload)
	return strings.Join(parts, ".")
}

func swapSignature(raw, from string) string {
	i, j := strings.LastIndexByte(raw, '.'), strings.LastIndexByte(from, '.')
	return raw[:i] + from[j:]
}

func TestVerifyKeyCache(t *testing.T) {
	t.Parallel()
	v, src, clk, key := setup(t)
	ctx := context.Background()
	next := newTestKey(t, "kid-2")
	tokNext := next.sign(t, accessClaims(clk.Now()))
	if _, err := v.Verify(ctx, "default", testIssuer, key.sign(t, accessClaims(clk.Now()))); err != nil {
		t.Fatal(err)
	}
	// A key published after the last load is seen once MinRefresh passed.
	src.set(key.public(), next.public())
	if _, err := v.Verify(ctx, "default", testIssuer, tokNext); !errors.Is(err, ErrInvalid) {
		t.Fatalf("new kid within MinRefresh: %v", err)
	}
	clk.add(DefaultMinRefresh)
	if _, err := v.Verify(ctx, "default", testIssuer, tokNext); err != nil {
		t.Fatalf("new kid after MinRefresh: %v", err)
	}
	if n := src.loads.Load(); n != 2 {
		t.Fatalf("%d loads, want 2", n)
	}
	// Known kids are served from the cache until MaxAge; then a deleted key
	// stops verifying.
	src.set(next.public())
	tokOld := key.sign(t, accessClaims(clk.Now()))
	if _, err := v.Verify(ctx, "default", testIssuer, tokOld); err != nil {
		t.Fatalf("cached key: %v", err)
	}
	clk.add(DefaultKeyMaxAge)
	if _, err := v.Verify(ctx, "default", testIssuer, tokOld); !errors.Is(err, ErrInvalid) {
		t.Fatalf("deleted key after MaxAge: %v", err)
	}
	// Keys are per authorization server.
	src.set(key.public())
	if _, err := v.Verify(ctx, "other", testIssuer, tokOld); err != nil {
		t.Fatalf("other server: %v", err)
	}
	if n := src.loads.Load(); n != 4 {
		t.Fatalf("%d loads, want 4", n)
	}
}

func TestVerifySkipsUnusableKeys(t *testing.T) {
	t.Parallel()
	v, src, clk, key := setup(t)
	enc := key.public()
	enc.Use = "enc"
	src.set(enc)
	if _, err := v.Verify(context.Background(), "default", testIssuer, key.sign(t, accessClaims(clk.Now()))); !errors.Is(err, ErrInvalid) {
		t.Fatalf("encryption key used to verify: %v", err)
	}
}

func TestVerifyKeySourceFailure(t *testing.T) {
	t.Parallel()
	v, src, clk, key := setup(t)
	src.err = errors.New("database is down")
	_, err := v.Verify(context.Background(), "default", testIssuer, key.sign(t, accessClaims(clk.Now())))
	if err == nil || errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "database is down") {
		t.Fatalf("err = %v, want an internal error", err)
	}
}

// Concurrent verifications that all miss the cache load the keys once.
func TestVerifyCollapsesLoads(t *testing.T) {
	t.Parallel()
	v, src, clk, key := setup(t)
	src.gate = make(chan struct{})
	raw := key.sign(t, accessClaims(clk.Now()))
	const n = 8
	errs := make(chan error, n)
	for range n {
		go func() {
			_, err := v.Verify(context.Background(), "default", testIssuer, raw)
			errs <- err
		}()
	}
	for src.loads.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(20 * time.Millisecond) // let the others queue behind the first load
	close(src.gate)
	for range n {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if got := src.loads.Load(); got != 1 {
		t.Fatalf("%d loads, want 1", got)
	}
}
