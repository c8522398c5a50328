package oauth

import "context"

// LoginAttempt describes one password login for a LoginGuard.
type LoginAttempt struct {
	AuthServerID string
	ClientID     string
	Username     string // as sent, not normalised
	RemoteAddr   string // the client's address as the server saw it
}

// LoginGuard protects password logins against guessing. Check runs before
// any password is hashed: a non-nil error (an *oautherr.Error, for instance
// 429 invalid_grant for a rate limit) is returned to the client as it is and
// no hashing happens. Record is told the outcome of every attempt that was
// checked. Implementations must be safe for concurrent use and must not
// reveal through their answers whether the username exists.
type LoginGuard interface {
	Check(ctx context.Context, a LoginAttempt) error
	Record(ctx context.Context, a LoginAttempt, userID string, success bool)
}
