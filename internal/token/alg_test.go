package token

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// signAs signs claims with priv under alg, naming kid.
func signAs(t *testing.T, alg jose.SignatureAlgorithm, priv crypto.Signer, kid string, claims map[string]any) string {
	t.Helper()
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: jose.JSONWebKey{Key: priv, KeyID: kid}}, (&jose.SignerOptions{}).WithType("JWT"))
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

// TestVerifyAlgs: the server's own verifier (introspection, userinfo)
// takes tokens of each algorithm Latchkey signs with, bound to the alg of
// the key the kid names.
func TestVerifyAlgs(t *testing.T) {
	t.Parallel()
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	_, ed, _ := ed25519.GenerateKey(rand.Reader)
	rsaKey := newTestKey(t, "kid-rs")
	src := &fakeKeys{}
	src.set(rsaKey.public(),
		jose.JSONWebKey{Key: ec.Public(), KeyID: "kid-es", Algorithm: "ES256", Use: "sig"},
		jose.JSONWebKey{Key: ed.Public(), KeyID: "kid-ed", Algorithm: "EdDSA", Use: "sig"},
		jose.JSONWebKey{Key: p384.Public(), KeyID: "kid-p384", Algorithm: "ES256", Use: "sig"},   // a P-384 key cannot be ES256
		jose.JSONWebKey{Key: ec.Public(), KeyID: "kid-es-as-rs", Algorithm: "RS256", Use: "sig"}, // alg does not fit the key
	)
	clk := &clock{t: time.Unix(1_800_000_000, 0)}
	v := &Verifier{Keys: src, Now: clk.Now}
	claims := accessClaims(clk.Now())
	ctx := context.Background()
	for name, raw := range map[string]string{
		"RS256": rsaKey.sign(t, claims),
		"ES256": signAs(t, jose.ES256, ec, "kid-es", claims),
		"EdDSA": signAs(t, jose.EdDSA, ed, "kid-ed", claims),
	} {
		if c, err := v.Verify(ctx, "default", testIssuer, raw); err != nil || !c.IsAccess() {
			t.Errorf("%s token: %+v, %v", name, c, err)
		}
	}
	for name, raw := range map[string]string{
		"RS256 header naming the ES256 key": signAs(t, jose.RS256, rsaKey.priv, "kid-es", claims),
		"ES256 header naming the EdDSA key": signAs(t, jose.ES256, ec, "kid-ed", claims),
		"ES256 by a P-384 key":              signAs(t, jose.ES384, p384, "kid-p384", claims),
		"ES256 key published as RS256":      signAs(t, jose.ES256, ec, "kid-es-as-rs", claims),
		"ES384, an algorithm not signed":    signAs(t, jose.ES384, p384, "kid-es", claims),
	} {
		if _, err := v.Verify(ctx, "default", testIssuer, raw); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", name, err)
		}
	}
}

// TestATHash: OIDC Core section 3.1.3.6 with the hash of the ID token's
// alg: SHA-256 for RS256 and ES256, SHA-512 for EdDSA (what go-oidc
// checks); the left half, base64url.
func TestATHash(t *testing.T) {
	t.Parallel()
	half := func(hexDigest string) string {
		b, _ := hex.DecodeString(hexDigest)
		return base64.RawURLEncoding.EncodeToString(b)
	}
	sha256abc := half("ba7816bf8f01cfea414140de5dae2223")                                 // left half of SHA-256("abc")
	sha512abc := half("ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a") // left half of SHA-512("abc")
	for alg, want := range map[string]string{"RS256": sha256abc, "ES256": sha256abc, "EdDSA": sha512abc} {
		if got := ATHash(alg, "abc"); got != want {
			t.Errorf("ATHash(%s) = %s, want %s", alg, got, want)
		}
	}
}
