package verifier_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/verifier"
	"github.com/latchkey/latchkey/verifier/verifiertest"
)

var sentinels = []error{
	verifier.ErrMalformed, verifier.ErrAlgorithm, verifier.ErrUnknownKey, verifier.ErrSignature,
	verifier.ErrIssuer, verifier.ErrAudience, verifier.ErrExpired, verifier.ErrNotYetValid,
	verifier.ErrIssuedInFuture, verifier.ErrClientID, verifier.ErrScope, verifier.ErrKeySetUnavailable,
	verifier.ErrInactive, verifier.ErrIntrospectionUnavailable,
}

// FuzzVerify feeds arbitrary strings to Verify: it must never panic, and
// every rejection must be a *ValidationError wrapping one of the sentinels.
func FuzzVerify(f *testing.F) {
	iss := verifiertest.NewIssuer(f)
	v, err := verifier.New(verifier.Config{Issuer: iss.Issuer(), Audience: iss.Audience(), RequiredScopes: []string{"openid"}})
	if err != nil {
		f.Fatal(err)
	}
	valid := iss.AccessToken()
	parts := strings.Split(valid, ".")
	f.Add(valid)
	f.Add("")
	f.Add("...")
	f.Add("a.b.c")
	f.Add(parts[0] + "." + parts[1] + ".")
	f.Add("eyJhbGciOiJub25lIn0.e30.")
	f.Add("eyJhbGciOiJSUzI1NiIsImtpZCI6IngifQ.e30.c2ln")
	f.Add(`{"payload":"e30","protected":"eyJhbGciOiJSUzI1NiJ9","signature":""}`)
	f.Add(iss.Sign(map[string]any{"iss": 1, "aud": []any{nil}, "exp": 1e300, "scp": "a b"}))
	f.Add(iss.Sign(map[string]any{"exp": -1, "iat": "x", "nbf": 1.5}))
	f.Fuzz(func(t *testing.T, token string) {
		claims, err := v.Verify(context.Background(), token)
		if err == nil {
			if claims == nil || claims.Issuer != iss.Issuer() {
				t.Fatalf("accepted %q with claims %+v", token, claims)
			}
			return
		}
		if claims != nil {
			t.Fatalf("claims with an error for %q", token)
		}
		var ve *verifier.ValidationError
		if !errors.As(err, &ve) {
			t.Fatalf("error %T %v is not a *ValidationError", err, err)
		}
		for _, s := range sentinels {
			if errors.Is(err, s) {
				return
			}
		}
		t.Fatalf("error %v wraps no sentinel", err)
	})
}
