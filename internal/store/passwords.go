package store

import "context"

// PasswordHistory keeps the hashes — never the passwords — of the passwords
// a user had before the current one, so that a new password can be refused
// when it was used recently (Okta's age.historyCount).
type PasswordHistory interface {
	// ListPasswordHistory returns up to limit of the user's previous
	// password hashes, newest first; none for an unknown user or a limit
	// of 0 or less.
	ListPasswordHistory(ctx context.Context, userID string, limit int) ([]string, error)
	// ChangePassword is UpdateUser for a change of password: it runs fn on
	// the current record inside a transaction and stores what it returns.
	// When the stored PasswordHash changes and was not empty, the old hash
	// joins the history, time-stamped with the new PasswordChangedAt, and
	// the history is cut to its newest keep entries (emptied when keep <= 0),
	// all in the same transaction. An error from fn aborts everything and is
	// returned as is.
	ChangePassword(ctx context.Context, userID string, keep int, fn func(User) (User, error)) (User, error)
}
