package token

import (
	"crypto/sha256"
	"encoding/base64"

	"github.com/latchkey/latchkey/internal/ids"
)

// refreshBytes of randomness in a refresh token value (256 bits).
const refreshBytes = 32

// NewRefreshValue returns a new opaque refresh token value and the id it is
// stored under (the hash of the value; the value itself is never stored).
func NewRefreshValue() (value, id string) {
	value = ids.Secret(refreshBytes)
	return value, RefreshID(value)
}

// RefreshID is the store id of a refresh token value: base64url SHA-256.
func RefreshID(value string) string {
	sum := sha256.Sum256([]byte(value))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}
