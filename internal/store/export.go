package store

import (
	"context"
	"time"
)

// SingleUse is one key recorded by UseOnce, with the time it stays used until.
type SingleUse struct {
	ID        string // the key given to UseOnce
	ExpiresAt time.Time
}

// PasswordChange is one entry of a user's password history: the hash of a
// password the user had, and when it was replaced.
type PasswordChange struct {
	Hash       string
	ReplacedAt time.Time
}

// Export lists what the other interfaces can create but not enumerate, so
// that a whole deployment can be copied to another store (package
// storecopy). Paged lists are ordered by key and paged like the others:
// Page.After is the last key of the previous page. Nothing on the request
// path calls these.
type Export interface {
	// ListRefreshTokens returns refresh tokens by id, rotated and revoked
	// ones included.
	ListRefreshTokens(ctx context.Context, p Page) ([]RefreshToken, error)
	// ListTokenRecords returns access token records by jti.
	ListTokenRecords(ctx context.Context, p Page) ([]TokenRecord, error)
	// ListSingleUse returns the keys UseOnce recorded, by key, expired ones
	// included until DeleteExpired removes them.
	ListSingleUse(ctx context.Context, p Page) ([]SingleUse, error)
	// ListLoginKeys returns the login keys that have login counters, in order;
	// ListLoginCounters gives each one's counters.
	ListLoginKeys(ctx context.Context, p Page) ([]string, error)
	// ListMetaNames returns the names of every Meta value, in order.
	ListMetaNames(ctx context.Context) ([]string, error)
	// ListPasswordChanges returns the user's whole password history, oldest
	// first, with the time each password was replaced; none for an unknown
	// user.
	ListPasswordChanges(ctx context.Context, userID string) ([]PasswordChange, error)
}
