// Package verifier validates OAuth 2.0 access tokens issued by Latchkey (or by
// Okta, or by any issuer that signs JWT access tokens and publishes its keys
// through OpenID Connect discovery) inside a resource server.
//
// A [Verifier] is strict by default: RS256 only, a "kid" in every token
// header, "iss" compared byte for byte, "aud" required, "exp" and "iat"
// required, two minutes of clock leeway. Every relaxation is a named
// [Config] field. It imports nothing from Latchkey's internal packages, so a
// resource server depends on this package alone.
//
// Keys come from the issuer's JWKS, found through discovery on first use (so
// that a resource server starts while its issuer is down). The key set is
// cached for the JWKS response's Cache-Control max-age, refetched when a token
// names an unknown "kid" (at most once per [Config.MinRefetchInterval], with
// concurrent misses collapsed into one request), and kept in service while the
// issuer is unreachable.
//
// [Middleware] and [RequireScopes] protect net/http handlers and answer RFC
// 6750 errors. An [Introspector] adds an RFC 7662 introspection call after the
// local checks, for resource servers that must notice revocation at once.
//
// Package verifiertest starts a test issuer for the tests of resource servers.
package verifier
