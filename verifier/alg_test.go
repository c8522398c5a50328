package verifier_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"math/big"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/internal/cputime"
	"github.com/latchkey/latchkey/verifier"
	"github.com/latchkey/latchkey/verifier/verifiertest"
)

// TestAlgorithmsAllowlist: the verifier accepts a token when its alg is in
// Config.Algorithms (default RS256 only) and is the alg the issuer published
// for the token's key.
func TestAlgorithmsAllowlist(t *testing.T) {
	ctx := context.Background()
	for _, tt := range []struct {
		issuerAlg string
		accepted  []string
		ok        bool
	}{
		{"RS256", nil, true},
		{"ES256", nil, false}, // the default stays RS256, what Okta signs
		{"EdDSA", nil, false},
		{"ES256", []string{"ES256"}, true},
		{"EdDSA", []string{"EdDSA"}, true},
		{"EdDSA", []string{"RS256", "ES256", "EdDSA"}, true},
		{"ES256", []string{"RS256", "EdDSA"}, false},
		{"RS256", []string{"ES256"}, false},
	} {
		t.Run(tt.issuerAlg+" to "+strings.Join(tt.accepted, ","), func(t *testing.T) {
			iss, v, _ := setup(t, verifier.Config{Algorithms: tt.accepted}, verifiertest.WithAlgorithm(tt.issuerAlg))
			_, err := v.Verify(ctx, iss.AccessToken())
			if tt.ok && err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if !tt.ok && !errors.Is(err, verifier.ErrAlgorithm) {
				t.Fatalf("Verify: %v, want ErrAlgorithm", err)
			}
			if !tt.ok && iss.JWKSFetches() != 0 {
				t.Errorf("a refused algorithm cost the issuer %d JWKS fetches", iss.JWKSFetches())
			}
		})
	}
}

// TestAlgorithmChange: an issuer moving from RS256 to ES256 publishes both
// keys; a verifier accepting both verifies the tokens of each until the
// RS256 key is withdrawn.
func TestAlgorithmChange(t *testing.T) {
	ctx := context.Background()
	iss, v, clk := setup(t, verifier.Config{Algorithms: []string{"RS256", "ES256"}})
	old := iss.AccessToken()
	oldKid := iss.KeyID()
	if _, err := v.Verify(ctx, old); err != nil {
		t.Fatal(err)
	}
	iss.RotateKeyTo("ES256")
	clk.Advance(verifier.DefaultMinRefetchInterval) // an unknown kid may refetch the JWKS
	fresh := iss.AccessToken()
	for name, tok := range map[string]string{"RS256 token": old, "ES256 token": fresh} {
		if _, err := v.Verify(ctx, tok); err != nil {
			t.Errorf("%s after the change: %v", name, err)
		}
	}
	iss.Unpublish(oldKid)
	clk.Advance(verifier.DefaultKeySetTTL) // the cached JWKS expires
	if _, err := v.Verify(ctx, old); !errors.Is(err, verifier.ErrUnknownKey) {
		t.Errorf("RS256 token after its key was withdrawn: %v, want ErrUnknownKey", err)
	}
	if _, err := v.Verify(ctx, fresh); err != nil {
		t.Errorf("ES256 token: %v", err)
	}
}

// TestAlgorithmMustMatchKey: a token naming a published key with another
// alg than the key's is refused before any signature check, even when both
// algs are allowed (no algorithm substitution across keys).
func TestAlgorithmMustMatchKey(t *testing.T) {
	iss, v, clk := setup(t, verifier.Config{Algorithms: []string{"RS256", "ES256", "EdDSA"}}, verifiertest.WithAlgorithm("ES256"))
	if _, err := v.Verify(context.Background(), iss.AccessToken()); err != nil {
		t.Fatal(err)
	}
	priv := newRSAKey(t)
	forged := rawToken(t, map[string]any{"alg": "RS256", "kid": iss.KeyID(), "typ": "JWT"}, validClaims(iss, clk), func(input string) []byte {
		d := sha256.Sum256([]byte(input))
		sig, _ := rsa.SignPKCS1v15(nil, priv, crypto.SHA256, d[:])
		return sig
	})
	_, err := v.Verify(context.Background(), forged)
	var ve *verifier.ValidationError
	if !errors.Is(err, verifier.ErrAlgorithm) || !errors.As(err, &ve) || ve.Check != verifier.CheckAlgorithm {
		t.Fatalf("RS256 token naming an ES256 key: %v, want ErrAlgorithm", err)
	}
}

// BenchmarkVerifyAlg is BenchmarkVerify per signing algorithm: the key
// cached, every check run.
func BenchmarkVerifyAlg(b *testing.B) {
	for _, alg := range []string{"RS256", "ES256", "EdDSA"} {
		b.Run("alg="+alg, func(b *testing.B) {
			iss := verifiertest.NewIssuer(b, verifiertest.WithAlgorithm(alg))
			v, err := verifier.New(verifier.Config{Issuer: iss.Issuer(), Audience: iss.Audience(),
				RequiredScopes: []string{"openid"}, Algorithms: []string{alg}})
			if err != nil {
				b.Fatal(err)
			}
			token := iss.AccessToken()
			ctx := context.Background()
			if _, err := v.Verify(ctx, token); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			start := cputime.Process()
			for b.Loop() {
				if _, err := v.Verify(ctx, token); err != nil {
					b.Fatal(err)
				}
			}
			cputime.ReportProcess(b, start)
		})
	}
}

// BenchmarkRawVerifyAlg is the floor of BenchmarkVerifyAlg: the signature
// check of the same token's signing input with the standard library alone.
func BenchmarkRawVerifyAlg(b *testing.B) {
	for _, alg := range []string{"RS256", "ES256", "EdDSA"} {
		b.Run("alg="+alg, func(b *testing.B) {
			iss := verifiertest.NewIssuer(b, verifiertest.WithAlgorithm(alg))
			token := iss.AccessToken()
			dot := strings.LastIndexByte(token, '.')
			input := []byte(token[:dot])
			sig, err := base64.RawURLEncoding.DecodeString(token[dot+1:])
			if err != nil {
				b.Fatal(err)
			}
			var check func() bool
			switch pub := iss.Public().(type) {
			case *rsa.PublicKey:
				check = func() bool {
					d := sha256.Sum256(input)
					return rsa.VerifyPKCS1v15(pub, crypto.SHA256, d[:], sig) == nil
				}
			case *ecdsa.PublicKey:
				r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
				check = func() bool {
					d := sha256.Sum256(input)
					return ecdsa.Verify(pub, d[:], r, s)
				}
			case ed25519.PublicKey:
				check = func() bool { return ed25519.Verify(pub, input, sig) }
			}
			b.ReportAllocs()
			start := cputime.Process()
			for b.Loop() {
				if !check() {
					b.Fatal("signature does not verify")
				}
			}
			cputime.ReportProcess(b, start)
		})
	}
}
