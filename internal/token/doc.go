// Package token mints Latchkey's JWTs: access tokens and ID tokens with
// exactly the claims of Okta's (CONTRACT section 3), signed with the
// authorization server's ACTIVE key.
package token
