package events

import "strings"

// Event types, as Okta's event type catalog names them. The token events
// are those of a custom authorization server; on the org authorization
// server Okta writes them without the ".as" segment (TokenEventType does
// the same).
const (
	// Password login through the token endpoint, successful or not.
	TypeSessionStart = "user.session.start"
	// A second-factor verification (the MFA grant).
	TypeAuthViaMFA = "user.authentication.auth_via_mfa"
	// Lockout after too many failed logins, and its end.
	TypeAccountLock          = "user.account.lock"
	TypeAccountUnlock        = "user.account.unlock"
	TypeAccountUnlockByAdmin = "user.account.unlock_by_admin"

	TypeAccessTokenGrant  = "app.oauth2.as.token.grant.access_token"
	TypeIDTokenGrant      = "app.oauth2.as.token.grant.id_token"
	TypeRefreshTokenGrant = "app.oauth2.as.token.grant.refresh_token"
	TypeTokenRevoke       = "app.oauth2.as.token.revoke"
	// A rotated refresh token was presented again after the leeway.
	TypeTokenDetectReuse = "app.oauth2.as.token.detect_reuse"
	// A refresh token family was revoked, with the access tokens issued
	// from it. Okta has no event of its own for this (it logs only
	// detect_reuse); the name follows its implicit revocation events
	// (app.oauth2.token.revoke.implicit.user, .client, .as).
	TypeFamilyRevoke = "app.oauth2.as.token.revoke.implicit.family"

	// A rate limit refused a request: per client or per source address.
	TypeOrgRateLimitViolation = "system.org.rate_limit.violation"
	// A rate limit on one user's operations refused a request (Okta logs
	// per-user limits under this name since 2021).
	TypeOperationRateLimitViolation = "system.operation.rate_limit.violation"
	// The server refused work it had no capacity for (the password
	// hashing queue was full): Okta's concurrency limit violation.
	TypeConcurrencyLimitViolation = "core.concurrency.org.limit.violation"
)

// OrgServerID is the id of the org authorization server (store.OrgServerID).
const OrgServerID = "org"

// TokenEventType returns the token event type t as Okta writes it for the
// authorization server serverID: without ".as" on the org server.
func TokenEventType(t, serverID string) string {
	if serverID == OrgServerID {
		return strings.Replace(t, "app.oauth2.as.", "app.oauth2.", 1)
	}
	return t
}

// Outcome reasons of password logins (user.session.start).
const (
	ReasonInvalidCredentials = "INVALID_CREDENTIALS"
	ReasonLockedOut          = "LOCKED_OUT"
	// ReasonUnknownUser: no user has the login (Okta: VERIFICATION_ERROR).
	ReasonUnknownUser     = "VERIFICATION_ERROR"
	ReasonPasswordExpired = "PASSWORD_EXPIRED"
	ReasonNotActive       = "USER_NOT_ACTIVE"
	ReasonRateLimited     = "RATE_LIMIT"
	ReasonOverloaded      = "CONCURRENCY_LIMIT"
)

// Reasons a refresh token family was revoked.
const (
	ReasonReuseDetected = "REUSE_DETECTED"
	ReasonRevoked       = "REVOKED_BY_CLIENT"
)
