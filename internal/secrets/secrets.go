// Package secrets hashes client secrets for storage.
//
// Client secrets are checked on every token request, so a password hash
// (tens of milliseconds) would double the cost of every grant. Generated
// secrets carry 256 random bits, and what is stored is an HMAC-SHA-256 of
// the secret under a key derived from the master key: a stolen database
// without the master key gives nothing to brute-force offline, and a check
// costs microseconds. Comparisons are constant-time.
package secrets

import (
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strings"
)

const prefix = "hmac-sha256$v1$"

// MinLength is the shortest client secret accepted when a caller supplies
// its own (Okta's minimum is 14 characters).
const MinLength = 14

// Hasher hashes and verifies client secrets. It is safe for concurrent use.
type Hasher struct {
	key []byte
}

// NewHasher derives the HMAC key from the master key.
func NewHasher(masterKey []byte) (*Hasher, error) {
	key, err := hkdf.Key(sha256.New, masterKey, nil, "latchkey client secret v1", 32)
	if err != nil {
		return nil, fmt.Errorf("secrets: derive key: %w", err)
	}
	return &Hasher{key: key}, nil
}

// Hash returns the stored form of secret.
func (h *Hasher) Hash(secret string) string {
	return prefix + base64.RawURLEncoding.EncodeToString(h.mac(secret))
}

// Verify reports whether secret matches the stored form, in constant time.
func (h *Hasher) Verify(encoded, secret string) bool {
	want, ok := strings.CutPrefix(encoded, prefix)
	if !ok {
		// Still spend the MAC so that a record with a foreign format does
		// not answer faster.
		h.mac(secret)
		return false
	}
	wantMAC, err := base64.RawURLEncoding.DecodeString(want)
	if err != nil {
		h.mac(secret)
		return false
	}
	return hmac.Equal(h.mac(secret), wantMAC)
}

func (h *Hasher) mac(secret string) []byte {
	m := hmac.New(sha256.New, h.key)
	m.Write([]byte(secret))
	return m.Sum(nil)
}
