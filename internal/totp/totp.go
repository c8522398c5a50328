package totp

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base32"
	"encoding/binary"
	"errors"
	"net/url"
	"strings"
	"time"
)

// The parameters authenticator apps assume when an otpauth URI names none.
const (
	Digits = 6
	Period = 30 * time.Second
	// Skew is how many steps either side of now a code may be from, for
	// clocks that drift and users who type slowly.
	Skew = 1
	// SecretSize is the size of a new secret in bytes (160 bits, as RFC
	// 4226 section 4 recommends for HMAC-SHA-1).
	SecretSize = 20
)

// Errors of Check and ParseCode.
var (
	// ErrMalformed: the code is not Digits ASCII digits.
	ErrMalformed = errors.New("totp: malformed code")
	// ErrInvalid: the code matches no step in the window.
	ErrInvalid = errors.New("totp: invalid code")
	// ErrReplay: the code matches a step already accepted (or an earlier one).
	ErrReplay = errors.New("totp: code already used")
)

// NewSecret returns a fresh random secret.
func NewSecret() []byte {
	b := make([]byte, SecretSize)
	if _, err := rand.Read(b); err != nil {
		panic("totp: crypto/rand failed: " + err.Error())
	}
	return b
}

// Encode returns the secret in the unpadded base32 authenticator apps read.
func Encode(secret []byte) string {
	return base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(secret)
}

// Step is the RFC 6238 time step of t: whole periods since the Unix epoch.
func Step(t time.Time) int64 { return t.Unix() / int64(Period/time.Second) }

// HOTP is RFC 4226 section 5.3 with HMAC-SHA-1, truncated to digits digits.
func HOTP(secret []byte, counter uint64, digits int) string {
	mac := hmac.New(sha1.New, secret)
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], counter)
	mac.Write(msg[:])
	sum := mac.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	bin := binary.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff
	mod := uint32(1)
	for range digits {
		mod *= 10
	}
	code := make([]byte, digits)
	v := bin % mod
	for i := digits - 1; i >= 0; i-- {
		code[i] = byte('0' + v%10)
		v /= 10
	}
	return string(code)
}

// Code is the six-digit code of secret at t (RFC 6238 section 4).
func Code(secret []byte, t time.Time) string { return HOTP(secret, uint64(Step(t)), Digits) }

// ParseCode checks that s is a code's shape (Digits ASCII digits, spaces
// around it trimmed) and returns it.
func ParseCode(s string) (string, error) {
	s = strings.TrimSpace(s)
	if len(s) != Digits {
		return "", ErrMalformed
	}
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return "", ErrMalformed
		}
	}
	return s, nil
}

// Check verifies code against secret at now, within Skew steps either
// side, and refuses a step not after lastStep (the last step accepted; 0
// before any). It returns the step the code matched: the caller stores it
// as the new lastStep in the same transaction that read the old one. Every
// step of the window is compared, in constant time, whatever matches.
func Check(secret []byte, code string, now time.Time, lastStep int64) (int64, error) {
	code, err := ParseCode(code)
	if err != nil {
		return 0, err
	}
	cur := Step(now)
	var matched int64 = -1
	for s := cur - Skew; s <= cur+Skew; s++ {
		if s < 0 {
			continue
		}
		if subtle.ConstantTimeCompare([]byte(HOTP(secret, uint64(s), Digits)), []byte(code)) == 1 && matched < 0 {
			matched = s
		}
	}
	switch {
	case matched < 0:
		return 0, ErrInvalid
	case matched <= lastStep:
		return 0, ErrReplay
	}
	return matched, nil
}

// URI is the otpauth:// URI authenticator apps read from a QR code (Google
// Authenticator's Key Uri Format): issuer and account name the entry.
func URI(secret []byte, issuer, account string) string {
	q := url.Values{}
	q.Set("secret", Encode(secret))
	q.Set("issuer", issuer)
	q.Set("algorithm", "SHA1")
	q.Set("digits", "6")
	q.Set("period", "30")
	label := url.PathEscape(issuer) + ":" + url.PathEscape(account)
	return "otpauth://totp/" + label + "?" + q.Encode()
}
