package store

import (
	"context"
	"time"
)

// UserLifecycle holds what an operator's lifecycle operations (package
// provision: suspend, deactivate, delete, a new password) and the login
// guard's lockout need beyond Users.
type UserLifecycle interface {
	// RevokeUserTokens ends every token issued to the user before at, in
	// one transaction: every refresh token of the user's families and every
	// access token recorded for those families is marked revoked at at
	// (records revoked before keep their time), and the user's
	// TokensValidAfter moves forward to at (never back), so that access
	// and ID tokens that were never recorded die too. ErrNotFound if the
	// user does not exist; a zero at is refused.
	RevokeUserTokens(ctx context.Context, userID string, at time.Time) error
	// DeleteUser removes the user and what belongs to it alone: its group
	// memberships, client assignments, password history, second factors and the login
	// guard's counters of its login. Its refresh tokens and token records
	// stay (revoke them first) until DeleteExpired removes them; with the
	// user gone they are inactive. ErrNotFound if the user does not exist.
	DeleteUser(ctx context.Context, id string) error
}

// HoldsTokenIssuedAt reports whether a token issued to the user at issued
// is still good: the status holds tokens (HoldsTokens) and the token is
// not older than the user's watermark. issued is an access or ID token's
// iat (whole seconds) or a refresh token family's AuthTime.
func (u User) HoldsTokenIssuedAt(issued time.Time) bool {
	return u.HoldsTokens() && !issued.Before(u.TokensValidAfter)
}
