// Package keystest makes the signing keys of test servers cheaply.
//
// Generating a 2048-bit RSA key is a search for two 1024-bit primes, and
// with the race detector it was about half the CPU of starting a test
// server (four keys: ACTIVE and NEXT for the org and the default
// authorization server). Install makes keys.Manager take its keys from a
// pool instead: the pool generates primes with crypto/rand and makes each
// key from a pair of them it has not used before, so n primes give
// n(n-1)/2 distinct keys and every key a test binary gets is a different,
// valid 2048-bit key (the public exponent is 65537, the modulus has
// exactly 2048 bits). Keys of one test binary share primes, so they are
// only fit for tests.
package keystest

import (
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"math/big"
	"sync"

	"github.com/latchkey/latchkey/internal/keys"
)

// Install makes every signing key this test binary generates from now on
// come from the pool. Call it from TestMain or an init function of a
// test file, before any test starts a server.
func Install() { keys.SetRSAKeySourceForTests(RSAKey) }

var pool struct {
	mu     sync.Mutex
	primes []*big.Int
	i, j   int // the next pair is primes[i], primes[j], i < j
}

var bigOne = big.NewInt(1)

// RSAKey returns a 2048-bit RSA key that no earlier call in this process
// returned.
func RSAKey() (*rsa.PrivateKey, error) {
	pool.mu.Lock()
	defer pool.mu.Unlock()
	if pool.i == pool.j { // every pair of the primes so far is used
		p, err := prime()
		if err != nil {
			return nil, err
		}
		pool.primes = append(pool.primes, p)
		pool.i, pool.j = 0, len(pool.primes)-1
		if pool.j == 0 { // one prime makes no pair: one more
			p, err := prime()
			if err != nil {
				return nil, err
			}
			pool.primes = append(pool.primes, p)
			pool.j = 1
		}
	}
	p, q := pool.primes[pool.i], pool.primes[pool.j]
	pool.i++
	return fromPrimes(p, q)
}

// prime returns a 1024-bit prime p with the top two bits set (so that the
// product of two has 2048 bits) and gcd(65537, p-1) = 1.
func prime() (*big.Int, error) {
	e := big.NewInt(65537)
	for {
		p, err := rand.Prime(rand.Reader, keys.RSABits/2)
		if err != nil {
			return nil, err
		}
		pm1 := new(big.Int).Sub(p, bigOne)
		if new(big.Int).GCD(nil, nil, e, pm1).Cmp(bigOne) == 0 {
			return p, nil
		}
	}
}

// fromPrimes makes the RSA key with primes p and q and exponent 65537.
func fromPrimes(p, q *big.Int) (*rsa.PrivateKey, error) {
	n := new(big.Int).Mul(p, q)
	if n.BitLen() != keys.RSABits {
		return nil, errors.New("keystest: modulus of the wrong size")
	}
	pm1, qm1 := new(big.Int).Sub(p, bigOne), new(big.Int).Sub(q, bigOne)
	phi := new(big.Int).Mul(pm1, qm1)
	e := big.NewInt(65537)
	d := new(big.Int).ModInverse(e, phi)
	if d == nil {
		return nil, errors.New("keystest: 65537 has no inverse")
	}
	k := &rsa.PrivateKey{PublicKey: rsa.PublicKey{N: n, E: 65537}, D: d, Primes: []*big.Int{p, q}}
	if err := k.Validate(); err != nil {
		return nil, err
	}
	k.Precompute()
	return k, nil
}
