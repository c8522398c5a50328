package keystest_test

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"testing"

	"github.com/latchkey/latchkey/internal/keys/keystest"
)

// TestKeysAreDistinctAndValid takes more keys than the first primes make
// pairs for, and checks each is a new, valid 2048-bit key that signs, that
// verifies, and that survives PKCS #8 as the key manager stores it.
func TestKeysAreDistinctAndValid(t *testing.T) {
	seen := map[string]bool{}
	digest := sha256.Sum256([]byte("payload"))
	for i := range 12 {
		k, err := keystest.RSAKey()
		if err != nil {
			t.Fatalf("key %d: %v", i, err)
		}
		if k.N.BitLen() != 2048 || k.E != 65537 {
			t.Fatalf("key %d: %d bits, e=%d; want 2048 bits, e=65537", i, k.N.BitLen(), k.E)
		}
		if seen[k.N.String()] {
			t.Fatalf("key %d: a modulus returned before", i)
		}
		seen[k.N.String()] = true
		der, err := x509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			t.Fatalf("key %d: PKCS #8: %v", i, err)
		}
		parsed, err := x509.ParsePKCS8PrivateKey(der)
		if err != nil {
			t.Fatalf("key %d: parse PKCS #8: %v", i, err)
		}
		sig, err := parsed.(*rsa.PrivateKey).Sign(rand.Reader, digest[:], crypto.SHA256)
		if err != nil {
			t.Fatalf("key %d: sign: %v", i, err)
		}
		if err := rsa.VerifyPKCS1v15(&k.PublicKey, crypto.SHA256, digest[:], sig); err != nil {
			t.Fatalf("key %d: verify: %v", i, err)
		}
	}
}
