// Package totp computes and checks time-based one-time passcodes (RFC 6238)
// as authenticator apps make them: HMAC-SHA-1, six digits, 30-second steps.
//
// HOTP (RFC 4226) is a formula over crypto/hmac, not a cipher, so it is
// written here rather than imported; RFC 6238's test vectors prove it.
// Check refuses a code of a step not after the last one accepted, so that
// the caller, storing the step it returns atomically with the factor, makes
// each code usable once.
package totp
