package store

import (
	"context"
	"time"
)

// ClientSecret is one secret of a client (Okta's client secret object). A
// client may hold several so that a leaked one can be rotated without
// downtime: every ACTIVE secret authenticates the client.
type ClientSecret struct {
	ID       string // "ocs…"
	ClientID string
	Status   string // StatusActive or StatusInactive
	// Hash is package secrets' keyed hash of the value; the value itself is
	// shown once, when the secret is created.
	Hash string
	// Sealed is the value encrypted with the master key, bound to the
	// client id, kept only for client_secret_jwt clients (HS256 needs the
	// secret itself); empty otherwise.
	Sealed    []byte
	CreatedAt time.Time
	UpdatedAt time.Time
}

// ClientSecrets stores clients' secrets.
type ClientSecrets interface {
	// ListClientSecrets returns the client's secrets, oldest first (by
	// creation time, then id), in one read; none for an unknown client.
	ListClientSecrets(ctx context.Context, clientID string) ([]ClientSecret, error)
	// UpdateClientSecrets runs fn on all the client's secrets (oldest
	// first) inside one transaction and stores what it returns: secrets
	// with a known id are updated, new ones created, and those fn left out
	// deleted. It returns the secrets as stored, oldest first. ErrNotFound
	// if the client is missing; an error from fn aborts and is returned as
	// is. Two updates of one client's secrets never interleave, so a rule
	// over all of them (at most two, one ACTIVE at least) holds.
	UpdateClientSecrets(ctx context.Context, clientID string, fn func([]ClientSecret) ([]ClientSecret, error)) ([]ClientSecret, error)
}
