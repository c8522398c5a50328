package keys

import (
	"context"
	"strings"
	"testing"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/latchkey/latchkey/internal/store"
)

// TestSignMatchesGoJose: Sign's compact JWS, made from the header encoded
// once and a signature computed by crypto directly, is what go-jose makes
// for the same key and payload: byte for byte for RS256 (PKCS #1 v1.5 is
// deterministic), the same protected header and a signature that verifies
// for ES256 and EdDSA. Payloads of every length modulo 3 exercise the
// base64url padding rules.
func TestSignMatchesGoJose(t *testing.T) {
	for _, alg := range []string{store.AlgRS256, store.AlgES256, store.AlgEdDSA} {
		t.Run(alg, func(t *testing.T) {
			f := newFixture(t)
			ctx := context.Background()
			f.createServer(t, "aus1", alg)
			if err := f.m.Ensure(ctx, "aus1"); err != nil {
				t.Fatal(err)
			}
			s, err := f.m.ActiveSigner(ctx, "aus1")
			if err != nil {
				t.Fatal(err)
			}
			if s.header == "" {
				t.Fatalf("%s signer has no prepared header: Sign goes through go-jose", alg)
			}
			set, err := f.m.JWKS(ctx, "aus1")
			if err != nil {
				t.Fatal(err)
			}
			pub := set.Key(s.KeyID)
			if len(pub) != 1 {
				t.Fatalf("JWKS has %d keys of kid %s", len(pub), s.KeyID)
			}
			for _, payload := range []string{``, `{}`, `{"a":1}`, `{"sub":"ada","n":"é"}`, strings.Repeat(`x`, 1000)} {
				got, err := s.Sign([]byte(payload))
				if err != nil {
					t.Fatal(err)
				}
				ref, err := s.jose.Sign([]byte(payload))
				if err != nil {
					t.Fatal(err)
				}
				want, err := ref.CompactSerialize()
				if err != nil {
					t.Fatal(err)
				}
				if alg == store.AlgRS256 && got != want {
					t.Errorf("payload %q:\n got %s\nwant %s", payload, got, want)
				}
				gotParts, wantParts := strings.Split(got, "."), strings.Split(want, ".")
				if len(gotParts) != 3 || gotParts[0] != wantParts[0] || gotParts[1] != wantParts[1] {
					t.Errorf("payload %q: header.payload %q, want go-jose's %q", payload, got, want)
				}
				jws, err := jose.ParseSignedCompact(got, allAlgs)
				if err != nil {
					t.Fatalf("payload %q: %v", payload, err)
				}
				if h := jws.Signatures[0].Header; h.KeyID != s.KeyID || h.Algorithm != alg {
					t.Errorf("header kid %q alg %q, want %q %q", h.KeyID, h.Algorithm, s.KeyID, alg)
				}
				out, err := jws.Verify(pub[0])
				if err != nil || string(out) != payload {
					t.Errorf("payload %q: verify: %q, %v", payload, out, err)
				}
				// A changed payload does not verify: the check can fail.
				bad := gotParts[0] + "." + wantParts[1] + "x." + gotParts[2]
				if jws, err := jose.ParseSignedCompact(bad, allAlgs); err == nil {
					if _, err := jws.Verify(pub[0]); err == nil {
						t.Errorf("payload %q: a changed payload verifies", payload)
					}
				}
			}
		})
	}
}
