package verifier_test

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/latchkey/latchkey/verifier"
	"github.com/latchkey/latchkey/verifier/verifiertest"
)

// clock is an injectable clock: tests move time instead of sleeping.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// setup starts an issuer and a verifier sharing one clock.
func setup(t testing.TB, cfg verifier.Config, opts ...verifiertest.Option) (*verifiertest.Issuer, *verifier.Verifier, *clock) {
	t.Helper()
	clk := newClock()
	iss := verifiertest.NewIssuer(t, append([]verifiertest.Option{verifiertest.WithNow(clk.Now)}, opts...)...)
	cfg.Issuer = iss.Issuer()
	if cfg.Audience == "" {
		cfg.Audience = iss.Audience()
	}
	cfg.Now = clk.Now
	v, err := verifier.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return iss, v, clk
}

// rawToken assembles a compact JWS from a header, claims and signature bytes.
func rawToken(t testing.TB, header, claims any, sign func(signingInput string) []byte) string {
	t.Helper()
	enc := func(v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return base64.RawURLEncoding.EncodeToString(b)
	}
	input := enc(header) + "." + enc(claims)
	return input + "." + base64.RawURLEncoding.EncodeToString(sign(input))
}

func hmacSHA256(key []byte) func(string) []byte {
	return func(input string) []byte {
		m := hmac.New(sha256.New, key)
		m.Write([]byte(input))
		return m.Sum(nil)
	}
}

// signWithKey signs claims with priv, naming kid in the header: a forged
// token when kid belongs to the issuer, an unknown key otherwise.
func signWithKey(t testing.TB, priv *rsa.PrivateKey, kid string, claims map[string]any) string {
	t.Helper()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: priv, KeyID: kid}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	s, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func newRSAKey(t testing.TB) *rsa.PrivateKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// validClaims are the claims of a token that passes every check at clk's time.
func validClaims(iss *verifiertest.Issuer, clk *clock) map[string]any {
	now := clk.Now().Unix()
	return map[string]any{
		"ver": 1, "jti": "AT.test", "iss": iss.Issuer(), "aud": iss.Audience(),
		"iat": now, "exp": now + 3600, "cid": iss.ClientID(), "uid": "00uabc",
		"scp": []string{"openid"}, "sub": "user@example.com",
	}
}
