// Package policy decides, for one token request, what an authorization
// server grants: which authorization server the path names (and its issuer),
// which scopes exist and may be granted, and the token lifetimes.
//
// The built-in OIDC scopes (openid, profile, email) exist on every custom
// authorization server. Requests are checked in Okta's order: no scope,
// unknown scope, OIDC scope without openid.
package policy
