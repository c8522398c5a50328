package keys

import "testing"

// TestNewRSAKeyIsReal: without the test hook (TestMain installs one), a new
// signing key's RSA key comes from rsa.GenerateKey with RSABits bits.
func TestNewRSAKeyIsReal(t *testing.T) {
	realRSAKeys(t)
	k, err := newRSAKey()
	if err != nil {
		t.Fatal(err)
	}
	if k.N.BitLen() != RSABits || k.E != 65537 {
		t.Errorf("key of %d bits, e=%d; want %d bits, e=65537", k.N.BitLen(), k.E, RSABits)
	}
	if err := k.Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
}

// realRSAKeys makes t's new signing keys come from rsa.GenerateKey, not
// from the pool TestMain installs (package keystest), until t ends.
func realRSAKeys(t *testing.T) {
	if f := rsaKeySource.Swap(nil); f != nil {
		t.Cleanup(func() { rsaKeySource.Store(f) })
	}
}
