// Package policy decides, for one token request, what an authorization
// server grants: which authorization server a path names (and its issuer),
// which scopes exist and are granted, whether the user is assigned to the
// client, which access policy and rule apply, the token lifetimes, and the
// custom claims that go into the tokens.
//
// Evaluation follows Okta: scopes are resolved first (defaults when none are
// asked for, unknown scopes refused, OIDC scopes need openid); then the
// first ACTIVE policy (by priority) whose clients include the client is
// chosen, and in it the first ACTIVE rule (by priority) whose grant types,
// people and scopes match decides. No matching policy or rule is
// access_denied.
//
// The org authorization server (issuer {base}) has no configurable policy:
// it offers the OIDC scopes to every client with the configured default
// lifetimes.
package policy
