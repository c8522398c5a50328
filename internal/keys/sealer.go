package keys

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"strings"
)

// MasterKeySize is the size of the master key in bytes (AES-256).
const MasterKeySize = 32

const sealVersion = 1

// Sealer encrypts private keys at rest with AES-256-GCM under the master key.
type Sealer struct {
	aead cipher.AEAD
}

// NewSealer returns a Sealer for a 32-byte master key.
func NewSealer(masterKey []byte) (*Sealer, error) {
	if len(masterKey) != MasterKeySize {
		return nil, fmt.Errorf("keys: master key must be %d bytes, got %d", MasterKeySize, len(masterKey))
	}
	block, err := aes.NewCipher(masterKey)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Sealer{aead: aead}, nil
}

// Seal encrypts plaintext; aad binds the ciphertext to its record (the kid).
func (s *Sealer) Seal(plaintext, aad []byte) ([]byte, error) {
	nonce := make([]byte, s.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	out := append([]byte{sealVersion}, nonce...)
	return s.aead.Seal(out, nonce, plaintext, aad), nil
}

// ErrUnseal means a sealed blob could not be decrypted: wrong master key, or
// the blob was altered or moved to another record.
var ErrUnseal = errors.New("keys: cannot decrypt private key (wrong master key?)")

// Open decrypts what Seal produced with the same aad.
func (s *Sealer) Open(sealed, aad []byte) ([]byte, error) {
	n := s.aead.NonceSize()
	if len(sealed) < 1+n || sealed[0] != sealVersion {
		return nil, ErrUnseal
	}
	pt, err := s.aead.Open(nil, sealed[1:1+n], sealed[1+n:], aad)
	if err != nil {
		return nil, ErrUnseal
	}
	return pt, nil
}

// NewMasterKey returns a fresh random master key, base64-encoded, as written
// to a master key file.
func NewMasterKey() string {
	b := make([]byte, MasterKeySize)
	if _, err := rand.Read(b); err != nil {
		panic("keys: crypto/rand failed: " + err.Error())
	}
	return base64.StdEncoding.EncodeToString(b)
}

// ParseMasterKey decodes a base64 (standard or URL alphabet, padded or not)
// master key, as found in a key file or the environment.
func ParseMasterKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			if len(b) != MasterKeySize {
				return nil, fmt.Errorf("keys: master key must decode to %d bytes, got %d", MasterKeySize, len(b))
			}
			return b, nil
		}
	}
	return nil, errors.New("keys: master key is not base64")
}

// LoadMasterKeyFile reads a master key file. The file must not be readable
// by group or others.
func LoadMasterKeyFile(path string) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("keys: master key file %s is readable by others (mode %v); chmod 600 it", path, fi.Mode().Perm())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParseMasterKey(string(b))
}

// WriteNewMasterKeyFile writes a new master key to path with mode 0600. It
// refuses to overwrite an existing file.
func WriteNewMasterKeyFile(path string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.WriteString(NewMasterKey() + "\n"); err != nil {
		f.Close()
		os.Remove(path)
		return err
	}
	return f.Close()
}

// CreateMasterKeyFile writes a new master key to path unless the file
// exists, and returns the key in the file either way.
func CreateMasterKeyFile(path string) ([]byte, error) {
	if err := WriteNewMasterKeyFile(path); err != nil && !errors.Is(err, os.ErrExist) {
		return nil, err
	}
	return LoadMasterKeyFile(path)
}
