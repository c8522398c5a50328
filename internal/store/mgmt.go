package store

import (
	"context"
	"time"
)

// APIToken is a management API token (Okta's API token, sent as
// Authorization: SSWS {token}). Only a keyed hash of its value is stored.
type APIToken struct {
	ID         string // "00T…"
	Name       string
	TokenHash  string // package secrets' keyed hash of the value
	ClientName string // what created it ("Latchkey CLI", "Okta API")
	CreatedAt  time.Time
	UpdatedAt  time.Time
	// LastUsedAt is when the token last authenticated a request (updated
	// at most once an hour); zero until then.
	LastUsedAt time.Time
	// ExpiresAt is when the token stops working unless used: Okta's token
	// window, pushed back by each use.
	ExpiresAt time.Time
}

// APITokens stores management API tokens.
type APITokens interface {
	// CreateAPIToken stores a new token; ErrConflict if the id or the hash exists.
	CreateAPIToken(ctx context.Context, t APIToken) error
	GetAPIToken(ctx context.Context, id string) (APIToken, error)
	// GetAPITokenByHash finds the token whose value has the keyed hash.
	GetAPITokenByHash(ctx context.Context, hash string) (APIToken, error)
	// ListAPITokens lists tokens by id.
	ListAPITokens(ctx context.Context, p Page) ([]APIToken, error)
	// TouchAPIToken records a use: LastUsedAt and the ExpiresAt it pushes
	// back; ErrNotFound if the token is gone.
	TouchAPIToken(ctx context.Context, id string, usedAt, expiresAt time.Time) error
	// DeleteAPIToken revokes a token; ErrNotFound if it is missing.
	DeleteAPIToken(ctx context.Context, id string) error
}

// ClientGrant is an okta.* scope granted to a client for the org
// authorization server (Okta's OAuth 2.0 scope consent grant): a service
// client may get an org access token with the scopes granted to it, and
// call the management API with it.
type ClientGrant struct {
	ID       string // "oag…"
	ClientID string
	ScopeID  string // "okta.users.read"
	// Issuer is the org authorization server's issuer the grant was made
	// for (the base URL).
	Issuer    string
	Source    string // "ADMIN"
	CreatedAt time.Time
	UpdatedAt time.Time
}

// ClientGrants stores the okta.* scopes granted to clients.
type ClientGrants interface {
	// CreateClientGrant stores a new grant; ErrNotFound if the client is
	// missing, ErrConflict if the id exists or the client already has a
	// grant of that scope.
	CreateClientGrant(ctx context.Context, g ClientGrant) error
	// GetClientGrant finds one grant of a client.
	GetClientGrant(ctx context.Context, clientID, id string) (ClientGrant, error)
	// ListClientGrants returns the client's grants by id, in one read.
	ListClientGrants(ctx context.Context, clientID string) ([]ClientGrant, error)
	// DeleteClientGrant removes a grant; ErrNotFound if the client has no
	// grant with that id.
	DeleteClientGrant(ctx context.Context, clientID, id string) error
}
