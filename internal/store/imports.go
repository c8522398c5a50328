package store

import "context"

// Outcomes of PutUsers, one per user.
const (
	PutCreated = "created" // a new user
	PutSkipped = "skipped" // the login existed and update was false: nothing changed
	PutUpdated = "updated" // the login existed and its profile and hash were overwritten
)

// PutOutcome is what PutUsers did with one user.
type PutOutcome struct {
	ID     string // the stored user's id: the given one when created, the existing one otherwise
	Result string // PutCreated, PutSkipped or PutUpdated
}

// UserImports is the bulk write of an import (latchkey import users).
type UserImports interface {
	// PutUsers stores a batch of users in one transaction and returns one
	// outcome per user, in order. A user whose login is new (as
	// NormalizeLogin compares it, also against earlier users of the batch)
	// is created as given. A user whose login exists is skipped when update
	// is false; when it is true the existing record keeps its id, status,
	// creation time, last login and token watermark, and takes the given
	// login, email, names, locale, zone info, password hash,
	// PasswordChangedAt and UpdatedAt. Any other failure (an id in use) rolls
	// the whole batch back.
	PutUsers(ctx context.Context, users []User, update bool) ([]PutOutcome, error)
}
