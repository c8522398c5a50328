// Package guard protects the token endpoint against password guessing and
// flooding (CONTRACT section 8, RFC 6749 section 4.3.2): it is the
// oauth.LoginGuard.
//
//   - Lockout: failures are counted per login in the store, atomically, so
//     that parallel attempts on several instances count exactly and no
//     attempt beyond the limit reaches the password hash. A source that
//     logged in successfully as a login before (a "known" source) keeps a
//     count of its own, so an attacker elsewhere cannot lock it out.
//   - Rate limits per username (password grant), per client and per
//     source (every token request), in fixed windows per instance, with
//     Okta's X-Rate-Limit-* headers (package ratelimit).
//   - Source resolution: the peer address, or the end user's address when
//     a trusted proxy or a trusted confidential client vouches for it.
//
// docs/security.md describes the threat model, every default and how to
// tune them.
package guard
