package keys

import (
	"crypto/rand"
	"crypto/rsa"
	"sync/atomic"
)

// rsaKeySource, when set, makes the RSA keys of new signing keys instead
// of rsa.GenerateKey: see SetRSAKeySourceForTests.
var rsaKeySource atomic.Pointer[func() (*rsa.PrivateKey, error)]

// newRSAKey makes the private key of a new signing key.
func newRSAKey() (*rsa.PrivateKey, error) {
	if f := rsaKeySource.Load(); f != nil {
		return (*f)()
	}
	return rsa.GenerateKey(rand.Reader, RSABits)
}

// SetRSAKeySourceForTests makes every signing key generated from now on in
// this process take its RSA key from f, which must return a new 2048-bit
// key on every call. It is for test binaries only (package
// keys/keystest): generating RSA keys is most of the cost of starting a
// test server. The server never calls it.
func SetRSAKeySourceForTests(f func() (*rsa.PrivateKey, error)) { rsaKeySource.Store(&f) }
