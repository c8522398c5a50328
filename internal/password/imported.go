package password

import (
	"crypto/md5"
	"crypto/pbkdf2"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"strconv"
	"strings"
)

// ErrUnsupported means an imported hash names an algorithm this package
// does not verify.
var ErrUnsupported = errors.New("password: unsupported hash algorithm")

// Bounds on imported hashes, so that a hostile or mistaken import cannot
// make one login cost minutes of CPU.
const (
	// MaxPBKDF2Work is the most PBKDF2 iterations accepted, counted over
	// every block of the derived key (iterations × ⌈keySize / digest
	// size⌉): about a second of one core for HMAC-SHA-256.
	MaxPBKDF2Work = 2_000_000
	// MaxSaltLen is the longest salt of an imported hash, in bytes.
	MaxSaltLen = 256
	// MaxKeyLen is the longest PBKDF2 derived key accepted, in bytes.
	MaxKeyLen = 128
)

// OktaHash is an imported password hash in the shape of Okta's
// credentials.password.hash object (Users API, "Create user with imported
// hashed password"). Which members matter depends on Algorithm:
//
//   - BCRYPT: WorkFactor, Salt (bcrypt's 22 characters), Value (31 characters).
//   - SHA-512, SHA-256, SHA-1, MD5: Value (base64 digest), Salt (base64,
//     optional) and SaltOrder (PREFIX or POSTFIX: where the salt went).
//   - PBKDF2: DigestAlgorithm (SHA256_HMAC, SHA512_HMAC or SHA1_HMAC),
//     IterationCount, KeySize (bytes), Salt and Value (base64).
//   - ARGON2ID (Latchkey's extension): Value is a PHC string
//     ($argon2id$v=19$m=…,t=…,p=…$salt$hash).
type OktaHash struct {
	Algorithm       string `json:"algorithm"`
	Value           string `json:"value"`
	Salt            string `json:"salt,omitempty"`
	SaltOrder       string `json:"saltOrder,omitempty"`
	WorkFactor      int    `json:"workFactor,omitempty"`
	DigestAlgorithm string `json:"digestAlgorithm,omitempty"`
	IterationCount  int    `json:"iterationCount,omitempty"`
	KeySize         int    `json:"keySize,omitempty"`
}

// HashError says which member of an imported hash is wrong and why. It
// wraps ErrUnsupported (an unknown algorithm) or ErrMalformed (anything
// else). Its message never contains the hash's value or salt.
type HashError struct {
	Field  string // the member at fault, e.g. "salt"; "" for the whole hash
	Reason string
	Err    error // ErrUnsupported or ErrMalformed
}

func (e *HashError) Error() string {
	if e.Field == "" {
		return "password.hash: " + e.Reason
	}
	return "password.hash." + e.Field + ": " + e.Reason
}

func (e *HashError) Unwrap() error { return e.Err }

func badHash(field, format string, args ...any) error {
	return &HashError{Field: field, Reason: fmt.Sprintf(format, args...), Err: ErrMalformed}
}

// saltedDigest describes one of Okta's plain salted digests.
type saltedDigest struct {
	okta   string // Okta's algorithm name
	format string // the prefix of the encoded form, without $
	newH   func() hash.Hash
	size   int
}

var saltedDigests = []saltedDigest{
	{"SHA-512", "okta-sha512", sha512.New, sha512.Size},
	{"SHA-256", "okta-sha256", sha256.New, sha256.Size},
	{"SHA-1", "okta-sha1", sha1.New, sha1.Size},
	{"MD5", "okta-md5", md5.New, md5.Size},
}

// pbkdf2Digest is one HMAC digest PBKDF2 may use.
type pbkdf2Digest struct {
	names  []string // Okta's digestAlgorithm names, then aliases
	format string
	newH   func() hash.Hash
	size   int
}

var pbkdf2Digests = []pbkdf2Digest{
	{[]string{"SHA256_HMAC", "SHA256", "SHA-256"}, "pbkdf2-sha256", sha256.New, sha256.Size},
	{[]string{"SHA512_HMAC", "SHA512", "SHA-512"}, "pbkdf2-sha512", sha512.New, sha512.Size},
	{[]string{"SHA1_HMAC", "SHA1", "SHA-1"}, "pbkdf2-sha1", sha1.New, sha1.Size},
}

// FromOktaHash converts an imported hash in Okta's shape into the encoded
// form Verify checks and the store keeps. It hashes nothing. A *HashError
// says what is wrong with a hash it refuses.
//
// The encoded forms (see docs/import.md):
//
//	BCRYPT     $2a$NN$<22 salt><31 hash>
//	SHA-…/MD5  $okta-sha512$o=prefix$<salt>$<digest>     (o=postfix; salt may be empty)
//	PBKDF2     $pbkdf2-sha256$i=<iterations>$<salt>$<key> (sha512, sha1)
//	ARGON2ID   the PHC string as given
//
// where <salt>, <digest> and <key> are unpadded standard base64.
func FromOktaHash(h OktaHash) (string, error) {
	alg := strings.ToUpper(strings.TrimSpace(h.Algorithm))
	switch alg {
	case "":
		return "", badHash("algorithm", "is required")
	case "BCRYPT":
		return fromOktaBcrypt(h)
	case "PBKDF2":
		return fromOktaPBKDF2(h)
	case "ARGON2ID", "ARGON2":
		if !strings.HasPrefix(h.Value, "$argon2id$") {
			return "", badHash("value", "must be an argon2id PHC string ($argon2id$v=19$m=…,t=…,p=…$salt$hash)")
		}
		if _, _, _, err := decodeArgon2(h.Value); err != nil {
			return "", badHash("value", "is not a usable argon2id PHC string (version 19, memory at most 2 GiB, at most 64 passes, a key of 16 to 128 bytes)")
		}
		return h.Value, nil
	}
	for _, d := range saltedDigests {
		if alg == d.okta || alg == strings.ReplaceAll(d.okta, "-", "") {
			return fromOktaSalted(h, d)
		}
	}
	return "", &HashError{Field: "algorithm", Reason: fmt.Sprintf("%s is not supported (BCRYPT, SHA-512, SHA-256, SHA-1, MD5, PBKDF2, ARGON2ID)", clip(h.Algorithm)), Err: ErrUnsupported}
}

// clip quotes s, cut to a length fit for an error message.
func clip(s string) string {
	if len(s) > 32 {
		s = s[:32] + "…"
	}
	return strconv.Quote(s)
}

func fromOktaBcrypt(h OktaHash) (string, error) {
	if h.WorkFactor < 4 || h.WorkFactor > MaxBcryptCost {
		return "", badHash("workFactor", "must be 4 to %d", MaxBcryptCost)
	}
	if len(h.Salt) != 22 || !bcryptAlphabet(h.Salt) {
		return "", badHash("salt", "must be bcrypt's 22-character salt")
	}
	if len(h.Value) != 31 || !bcryptAlphabet(h.Value) {
		return "", badHash("value", "must be bcrypt's 31-character hash")
	}
	return fmt.Sprintf("$2a$%02d$%s%s", h.WorkFactor, h.Salt, h.Value), nil
}

func bcryptAlphabet(s string) bool {
	for _, c := range s {
		if !IsBcryptBase64(c) {
			return false
		}
	}
	return true
}

// decodeB64 reads standard base64, padded or not.
func decodeB64(s string) ([]byte, error) {
	return base64.RawStdEncoding.DecodeString(strings.TrimRight(s, "="))
}

var b64 = base64.RawStdEncoding

func fromOktaSalted(h OktaHash, d saltedDigest) (string, error) {
	digest, err := decodeB64(h.Value)
	if err != nil || len(digest) != d.size {
		return "", badHash("value", "must be the base64 %s digest (%d bytes)", d.okta, d.size)
	}
	salt, err := decodeB64(h.Salt)
	if err != nil || len(salt) > MaxSaltLen {
		return "", badHash("salt", "must be base64 of at most %d bytes", MaxSaltLen)
	}
	order := "prefix"
	switch strings.ToUpper(h.SaltOrder) {
	case "PREFIX":
	case "POSTFIX":
		order = "postfix"
	case "":
		if len(salt) > 0 {
			return "", badHash("saltOrder", "is required with a salt (PREFIX or POSTFIX)")
		}
	default:
		return "", badHash("saltOrder", "must be PREFIX or POSTFIX")
	}
	return fmt.Sprintf("$%s$o=%s$%s$%s", d.format, order, b64.EncodeToString(salt), b64.EncodeToString(digest)), nil
}

func fromOktaPBKDF2(h OktaHash) (string, error) {
	var d *pbkdf2Digest
	name := strings.ToUpper(strings.TrimSpace(h.DigestAlgorithm))
	for i := range pbkdf2Digests {
		for _, n := range pbkdf2Digests[i].names {
			if name == n {
				d = &pbkdf2Digests[i]
			}
		}
	}
	if d == nil {
		return "", &HashError{Field: "digestAlgorithm", Reason: fmt.Sprintf("%s is not supported (SHA256_HMAC, SHA512_HMAC, SHA1_HMAC)", clip(h.DigestAlgorithm)), Err: ErrUnsupported}
	}
	salt, err := decodeB64(h.Salt)
	if err != nil || len(salt) == 0 || len(salt) > MaxSaltLen {
		return "", badHash("salt", "must be base64 of 1 to %d bytes", MaxSaltLen)
	}
	key, err := decodeB64(h.Value)
	if err != nil || len(key) < 16 || len(key) > MaxKeyLen {
		return "", badHash("value", "must be the base64 derived key (16 to %d bytes)", MaxKeyLen)
	}
	if h.KeySize != 0 && h.KeySize != len(key) {
		return "", badHash("keySize", "is %d but the value holds %d bytes", h.KeySize, len(key))
	}
	if err := checkPBKDF2Work(h.IterationCount, len(key), d.size); err != nil {
		return "", badHash("iterationCount", "%v", err)
	}
	return encodePBKDF2(d.format, h.IterationCount, salt, key), nil
}

func encodePBKDF2(format string, iter int, salt, key []byte) string {
	return fmt.Sprintf("$%s$i=%d$%s$%s", format, iter, b64.EncodeToString(salt), b64.EncodeToString(key))
}

// checkPBKDF2Work bounds the cost of one PBKDF2 verification.
func checkPBKDF2Work(iter, keyLen, digestSize int) error {
	blocks := (keyLen + digestSize - 1) / digestSize
	if iter < 1 || iter > MaxPBKDF2Work/blocks {
		return fmt.Errorf("must be 1 to %d for a %d-byte key (at most %d iterations over all blocks)", MaxPBKDF2Work/blocks, keyLen, MaxPBKDF2Work)
	}
	return nil
}

// ToOktaHash is FromOktaHash's inverse: it describes an encoded hash in
// Okta's shape, so that an export can be imported again. argon2id hashes
// come out as ARGON2ID, bcrypt hashes as BCRYPT (with the $2a$ prefix,
// which Go's bcrypt verifies exactly like $2b$ and $2y$).
func ToOktaHash(encoded string) (OktaHash, error) {
	switch {
	case strings.HasPrefix(encoded, "$argon2id$"):
		if _, _, _, err := decodeArgon2(encoded); err != nil {
			return OktaHash{}, err
		}
		return OktaHash{Algorithm: "ARGON2ID", Value: encoded}, nil
	case isBcrypt(encoded):
		if len(encoded) != 60 {
			return OktaHash{}, fmt.Errorf("%w: bcrypt: a hash is 60 characters", ErrMalformed)
		}
		cost, err := strconv.Atoi(encoded[4:6])
		if err != nil {
			return OktaHash{}, fmt.Errorf("%w: bcrypt cost", ErrMalformed)
		}
		return OktaHash{Algorithm: "BCRYPT", WorkFactor: cost, Salt: encoded[7:29], Value: encoded[29:]}, nil
	}
	imp, err := decodeImported(encoded)
	if err != nil {
		return OktaHash{}, err
	}
	std := base64.StdEncoding
	if imp.pbkdf2 != nil {
		return OktaHash{Algorithm: "PBKDF2", DigestAlgorithm: imp.pbkdf2.names[0], IterationCount: imp.iter,
			KeySize: len(imp.digest), Salt: std.EncodeToString(imp.salt), Value: std.EncodeToString(imp.digest)}, nil
	}
	h := OktaHash{Algorithm: imp.salted.okta, Value: std.EncodeToString(imp.digest)}
	if len(imp.salt) > 0 {
		h.Salt, h.SaltOrder = std.EncodeToString(imp.salt), strings.ToUpper(imp.order)
	}
	return h, nil
}

func isBcrypt(encoded string) bool {
	return strings.HasPrefix(encoded, "$2a$") || strings.HasPrefix(encoded, "$2b$") || strings.HasPrefix(encoded, "$2y$")
}

// imported is a decoded salted-digest or PBKDF2 hash.
type imported struct {
	salted *saltedDigest // one of these two is set
	pbkdf2 *pbkdf2Digest
	order  string // "prefix" or "postfix" (salted digests)
	iter   int    // PBKDF2
	salt   []byte
	digest []byte
}

// isImported reports whether encoded has the prefix of a format decodeImported reads.
func isImported(encoded string) bool {
	return strings.HasPrefix(encoded, "$okta-") || strings.HasPrefix(encoded, "$pbkdf2-")
}

// decodeImported parses the encoded forms FromOktaHash writes. It checks
// every bound FromOktaHash checks, so a tampered row cannot ask for more work.
func decodeImported(encoded string) (imported, error) {
	parts := strings.Split(encoded, "$")
	if len(parts) != 5 || parts[0] != "" {
		return imported{}, ErrUnknownFormat
	}
	var imp imported
	for i := range saltedDigests {
		if parts[1] == saltedDigests[i].format {
			imp.salted = &saltedDigests[i]
		}
	}
	for i := range pbkdf2Digests {
		if parts[1] == pbkdf2Digests[i].format {
			imp.pbkdf2 = &pbkdf2Digests[i]
		}
	}
	if imp.salted == nil && imp.pbkdf2 == nil {
		return imported{}, ErrUnknownFormat
	}
	var err error
	if imp.salt, err = b64.DecodeString(parts[3]); err != nil || len(imp.salt) > MaxSaltLen {
		return imported{}, fmt.Errorf("%w: %s salt", ErrMalformed, parts[1])
	}
	if imp.digest, err = b64.DecodeString(parts[4]); err != nil {
		return imported{}, fmt.Errorf("%w: %s digest", ErrMalformed, parts[1])
	}
	if d := imp.salted; d != nil {
		switch parts[2] {
		case "o=prefix", "o=postfix":
			imp.order = parts[2][2:]
		default:
			return imported{}, fmt.Errorf("%w: %s salt order", ErrMalformed, parts[1])
		}
		if len(imp.digest) != d.size {
			return imported{}, fmt.Errorf("%w: %s digest length", ErrMalformed, parts[1])
		}
		return imp, nil
	}
	it, ok := strings.CutPrefix(parts[2], "i=")
	n, err := strconv.Atoi(it)
	if !ok || err != nil || strconv.Itoa(n) != it {
		return imported{}, fmt.Errorf("%w: %s iterations", ErrMalformed, parts[1])
	}
	imp.iter = n
	if len(imp.salt) == 0 || len(imp.digest) < 16 || len(imp.digest) > MaxKeyLen ||
		checkPBKDF2Work(n, len(imp.digest), imp.pbkdf2.size) != nil {
		return imported{}, fmt.Errorf("%w: %s parameters out of bounds", ErrMalformed, parts[1])
	}
	return imp, nil
}

// verifyImported checks password against a salted-digest or PBKDF2 hash.
// A match always needs a rehash: none of these is the configured argon2id.
func verifyImported(encoded string, password []byte) (Result, costClass, error) {
	imp, err := decodeImported(encoded)
	if err != nil {
		return Result{}, costClass{}, err
	}
	var got []byte
	var class costClass
	if d := imp.pbkdf2; d != nil {
		class = costClass{format: d.format, iterations: uint32(imp.iter)}
		got, err = pbkdf2.Key(d.newH, string(password), imp.salt, imp.iter, len(imp.digest))
		if err != nil {
			return Result{}, costClass{}, fmt.Errorf("%w: %s: %v", ErrMalformed, d.format, err)
		}
	} else {
		d := imp.salted
		class = costClass{format: d.format}
		h := d.newH()
		if imp.order == "prefix" {
			h.Write(imp.salt)
			h.Write(password)
		} else {
			h.Write(password)
			h.Write(imp.salt)
		}
		got = h.Sum(nil)
	}
	if subtle.ConstantTimeCompare(got, imp.digest) != 1 {
		return Result{}, class, nil
	}
	return Result{OK: true, NeedsRehash: true}, class, nil
}
