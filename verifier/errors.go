package verifier

import (
	"errors"
	"strings"
)

// Sentinel errors. Verify wraps each of them in a *ValidationError that names
// the failed check; callers test them with errors.Is.
var (
	// ErrMalformed: not a compact JWS, undecodable parts, a header or claim
	// of the wrong type, or a required claim (iss, aud, exp, iat) missing.
	ErrMalformed = errors.New("malformed token")
	// ErrAlgorithm: the "alg" header is not in Config.Algorithms, or does not
	// match the "alg" of the JWKS key.
	ErrAlgorithm = errors.New("signing algorithm not accepted")
	// ErrUnknownKey: no key with the token's "kid" is published in the JWKS.
	ErrUnknownKey = errors.New("unknown signing key")
	// ErrSignature: the signature does not verify with the published key.
	ErrSignature = errors.New("invalid signature")
	// ErrIssuer: "iss" is not the configured issuer.
	ErrIssuer = errors.New("wrong issuer")
	// ErrAudience: "aud" does not contain the configured audience.
	ErrAudience = errors.New("wrong audience")
	// ErrExpired: "exp" is past, beyond the leeway.
	ErrExpired = errors.New("token is expired")
	// ErrNotYetValid: "nbf" is in the future, beyond the leeway.
	ErrNotYetValid = errors.New("token is not yet valid")
	// ErrIssuedInFuture: "iat" is in the future, beyond the leeway.
	ErrIssuedInFuture = errors.New("token is issued in the future")
	// ErrClientID: "cid" is not one of Config.ClientIDs.
	ErrClientID = errors.New("client not accepted")
	// ErrScope: "scp" lacks a required scope.
	ErrScope = errors.New("insufficient scope")
	// ErrKeySetUnavailable: the issuer's discovery document or JWKS could not
	// be fetched and no key for the token is known. Not the token's fault.
	ErrKeySetUnavailable = errors.New("key set unavailable")
	// ErrKeysStale: the JWKS has not been fetched successfully for longer
	// than Config.MaxKeyStaleness, so the cached keys are no longer
	// trusted (one of them may have been withdrawn since). Not the token's
	// fault; a successful refetch ends it.
	ErrKeysStale = errors.New("key set too stale")
	// ErrInactive: the introspection endpoint answered {"active": false}.
	ErrInactive = errors.New("token is not active")
	// ErrIntrospectionUnavailable: the introspection endpoint could not be
	// reached or gave an unusable answer. Not the token's fault.
	ErrIntrospectionUnavailable = errors.New("introspection unavailable")
)

// Names of the checks, as found in ValidationError.Check.
const (
	CheckFormat        = "format"
	CheckAlgorithm     = "alg"
	CheckKeyID         = "kid"
	CheckKeySet        = "jwks"
	CheckSignature     = "signature"
	CheckIssuer        = "iss"
	CheckAudience      = "aud"
	CheckExpiry        = "exp"
	CheckNotBefore     = "nbf"
	CheckIssuedAt      = "iat"
	CheckClientID      = "cid"
	CheckScope         = "scp"
	CheckIntrospection = "introspection"
)

// ValidationError says which check rejected a token. Err is one of the
// sentinel errors of this package; Cause, when set, is the underlying error
// (a network error, a JSON error). errors.Is matches both.
type ValidationError struct {
	Check  string // one of the Check… constants
	Err    error  // the sentinel, e.g. ErrExpired
	Detail string // human detail, e.g. the offending value
	Cause  error  // optional underlying error
}

// Error reads like "verifier: exp check failed: token is expired (expired at …)".
func (e *ValidationError) Error() string {
	var b strings.Builder
	b.WriteString("verifier: ")
	b.WriteString(e.Check)
	b.WriteString(" check failed: ")
	if e.Err != nil {
		b.WriteString(e.Err.Error())
	}
	if e.Detail != "" {
		b.WriteString(" (")
		b.WriteString(e.Detail)
		b.WriteString(")")
	}
	if e.Cause != nil {
		b.WriteString(": ")
		b.WriteString(e.Cause.Error())
	}
	return b.String()
}

// Unwrap returns the sentinel and the cause, for errors.Is and errors.As.
func (e *ValidationError) Unwrap() []error {
	if e.Cause == nil {
		return []error{e.Err}
	}
	return []error{e.Err, e.Cause}
}

func reject(check string, sentinel error, detail string) *ValidationError {
	return &ValidationError{Check: check, Err: sentinel, Detail: detail}
}
