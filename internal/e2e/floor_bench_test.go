package e2e

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"fmt"
	"testing"

	"golang.org/x/crypto/argon2"

	"github.com/latchkey/latchkey/internal/keys"
)

// BenchmarkFloor is what a grant cannot avoid, on every core at once: its
// RS256 signatures (2048-bit keys, as the server's) and, for the password
// grant, one argon2id hash with the given parameters. grants/s is the rate
// GOMAXPROCS goroutines doing nothing else reach: the ceiling for the
// over-HTTP figures of scripts/bench.sh, which runs this before and after
// its HTTP runs so that the ceiling is measured on the machine as it was
// then. Two argon2id hashes at once are slower each than one alone (they
// share the memory bus), so the hash's floor is measured in parallel too.
func BenchmarkFloor(b *testing.B) {
	key, err := rsa.GenerateKey(rand.Reader, keys.RSABits)
	if err != nil {
		b.Fatal(err)
	}
	digest := sha256.Sum256([]byte("header.payload"))
	for _, g := range []struct {
		name         string
		sigs         int
		memKiB, iter uint32 // argon2id parameters; 0: no hash
	}{
		{"client_credentials", 1, 0, 0},
		{"refresh", 2, 0, 0},
		{"password/hash=768KiB,t=1", 2, 768, 1},
		{"password/hash=19MiB,t=2", 2, 19456, 2},
	} {
		b.Run("grant="+g.name, func(b *testing.B) {
			salt := []byte("0123456789abcdef")
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					for range g.sigs {
						if _, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, digest[:]); err != nil {
							panic(fmt.Sprint("sign: ", err))
						}
					}
					if g.memKiB > 0 {
						argon2.IDKey([]byte("Bench-Pass-1234"), salt, g.iter, g.memKiB, 1, 32)
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "grants/s")
		})
	}
}
