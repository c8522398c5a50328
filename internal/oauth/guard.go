package oauth

import (
	"context"
	"net/http"

	"github.com/latchkey/latchkey/internal/store"
)

// LoginAttempt describes one password login for a LoginGuard.
type LoginAttempt struct {
	AuthServerID string
	ClientID     string
	Username     string // as sent, not normalised
	// Source is the address the request is attributed to, as the guard's
	// AdmitRequest resolved it.
	Source string
}

// LoginOutcome is how a password check that a LoginGuard admitted ended.
type LoginOutcome int

// Outcomes of an admitted attempt.
const (
	// LoginFailed: the password was checked and refused (wrong password,
	// unknown user, unreadable hash, or a user who may not log in).
	LoginFailed LoginOutcome = iota
	// LoginSucceeded: the password matched a user who gets tokens.
	LoginSucceeded
	// LoginNotChecked: no verdict on the password (the hashing pool was
	// full, or the request was cancelled); the attempt must not count.
	LoginNotChecked
)

// LoginResult is what the grant learned of an admitted attempt.
type LoginResult struct {
	Outcome LoginOutcome
	// UserID and UserStatus are set when the login named a user.
	UserID     string
	UserStatus string
	// Reason is the audit trail's cause of a failure (events.Reason…);
	// never a secret.
	Reason string
}

// LoginGuard protects the token endpoint against guessing and flooding.
// Implementations must be safe for concurrent use and must not reveal
// through their answers whether a username exists.
type LoginGuard interface {
	// AdmitRequest runs for every token request once its client is
	// authenticated: it resolves the address the request is attributed to
	// and applies the per-client and per-source limits. A non-nil error (an
	// *oautherr.Error, 429) is returned to the client as it is.
	AdmitRequest(ctx context.Context, r *http.Request, client store.Client) (source string, err error)
	// PeekRequest reports the request's limits without counting it, for
	// answers given before AdmitRequest could run.
	PeekRequest(ctx context.Context, r *http.Request)
	// Check runs before any password is hashed. A non-nil error is
	// returned to the client as it is and nothing is hashed. Otherwise the
	// caller must report the outcome through the admission's Done.
	Check(ctx context.Context, a LoginAttempt) (LoginAdmission, error)
}

// LoginAdmission is one attempt that a LoginGuard let through.
//
// An admission also means that no lock holds for this login at this
// source: a LOCKED_OUT user it admits (from a source that logged in before,
// while failures elsewhere keep the lock, or once the lock has lifted) may
// log in, and the guard brings the status back to ACTIVE when no lock is
// left.
type LoginAdmission interface {
	// Done reports the outcome; it is called exactly once.
	Done(ctx context.Context, r LoginResult)
}
