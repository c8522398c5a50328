package verifier_test

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/verifier"
	"github.com/latchkey/latchkey/verifier/verifiertest"
)

// BenchmarkVerify is a full verification with the key cached: parsing, the
// RS256 signature and every claim check.
func BenchmarkVerify(b *testing.B) {
	iss := verifiertest.NewIssuer(b)
	v, err := verifier.New(verifier.Config{Issuer: iss.Issuer(), Audience: iss.Audience(), RequiredScopes: []string{"openid"}})
	if err != nil {
		b.Fatal(err)
	}
	token := iss.AccessToken()
	ctx := context.Background()
	if _, err := v.Verify(ctx, token); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify(ctx, token); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRawRS256Verify is the floor: rsa.VerifyPKCS1v15 of the same
// token's signing input, nothing else. Verify's overhead is the difference.
func BenchmarkRawRS256Verify(b *testing.B) {
	iss := verifiertest.NewIssuer(b)
	token := iss.AccessToken()
	pub := iss.PublicKey()
	dot := strings.LastIndexByte(token, '.')
	input := []byte(token[:dot])
	sig, err := base64.RawURLEncoding.DecodeString(token[dot+1:])
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		digest := sha256.Sum256(input)
		if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest[:], sig); err != nil {
			b.Fatal(err)
		}
	}
}
