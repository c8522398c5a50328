package password

import (
	"fmt"
	"strings"

	"golang.org/x/crypto/bcrypt"
)

// CheckEncoded reports whether encoded is a hash Verify can check — an
// argon2id hash within the accepted costs, a bcrypt $2a$/$2b$/$2y$
// hash of cost at most MaxBcryptCost, or one of the imported forms
// FromOktaHash and FromKeycloakCredential write, within their bounds —
// without hashing anything. Imports
// use it to refuse a hash that no password could ever match.
// ErrUnknownFormat or ErrMalformed says why not.
func CheckEncoded(encoded string) error {
	switch {
	case strings.HasPrefix(encoded, "$argon2id$"):
		_, _, _, err := decodeArgon2(encoded)
		return err
	case strings.HasPrefix(encoded, "$2a$"), strings.HasPrefix(encoded, "$2b$"), strings.HasPrefix(encoded, "$2y$"):
		cost, err := bcrypt.Cost([]byte(encoded))
		if err != nil {
			return fmt.Errorf("%w: bcrypt: %v", ErrMalformed, err)
		}
		if cost < bcrypt.MinCost || cost > MaxBcryptCost {
			return fmt.Errorf("%w: bcrypt cost %d is outside %d to %d", ErrMalformed, cost, bcrypt.MinCost, MaxBcryptCost)
		}
		// $2a$NN$ then 22 characters of salt and 31 of hash.
		const saltHash = 53
		if len(encoded) != 7+saltHash || encoded[6] != '$' {
			return fmt.Errorf("%w: bcrypt: a hash is 60 characters", ErrMalformed)
		}
		for _, c := range encoded[7:] {
			if !IsBcryptBase64(c) {
				return fmt.Errorf("%w: bcrypt: %q is not in bcrypt's alphabet", ErrMalformed, c)
			}
		}
		return nil
	case isImported(encoded):
		_, err := decodeImported(encoded)
		return err
	}
	return ErrUnknownFormat
}

// IsBcryptBase64 reports whether c is in bcrypt's base64 alphabet
// (./A-Za-z0-9).
func IsBcryptBase64(c rune) bool {
	return c == '.' || c == '/' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9'
}
