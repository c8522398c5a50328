package store

import (
	"context"
	"time"
)

// RefreshToken is one refresh token, stored only by the hash of its value.
// Tokens minted from one another form a family (FamilyID = the ID of the
// first); reuse of a rotated token revokes the whole family.
type RefreshToken struct {
	ID           string // base64url SHA-256 of the token value
	FamilyID     string
	AuthServerID string
	ClientID     string
	UserID       string
	Scopes       []string
	AuthTime     time.Time // when the user authenticated with a password
	IssuedAt     time.Time
	// ExpiresAt is the family's absolute expiry, kept across rotations; zero
	// means never.
	ExpiresAt time.Time
	// IdleWindow: the token expires when unused for longer (from LastUsedAt,
	// or IssuedAt before first use).
	IdleWindow time.Duration
	LastUsedAt time.Time
	// RotatedAt is when the token was exchanged for its successor
	// (ReplacedBy); zero while it is the family's current token.
	RotatedAt  time.Time
	ReplacedBy string
	// RevokedAt is when the token (and its family) was revoked; zero if not.
	RevokedAt time.Time
}

// TokenRecord remembers an access token by its jti when it must be
// revocable before it expires: tokens minted from a refresh token family,
// and tokens revoked on their own.
type TokenRecord struct {
	JTI       string
	FamilyID  string // empty for a token revoked on its own
	ClientID  string
	ExpiresAt time.Time
	RevokedAt time.Time // zero unless revoked
}

// Tokens stores refresh tokens, revocable access tokens and single-use ids.
type Tokens interface {
	// CreateRefreshToken stores a new refresh token; ErrConflict if the id exists.
	CreateRefreshToken(ctx context.Context, t RefreshToken) error
	GetRefreshToken(ctx context.Context, id string) (RefreshToken, error)
	// UseRefreshToken runs fn on the token inside one transaction: fn
	// returns the token's new state and, when rotating, its successor, which
	// is created in the same transaction. Two concurrent calls on one token
	// are serialized, so exactly one of them sees it unrotated. An error from
	// fn aborts and is returned as is.
	UseRefreshToken(ctx context.Context, id string, fn func(RefreshToken) (RefreshToken, *RefreshToken, error)) (RefreshToken, error)
	// RevokeFamily marks every refresh token of the family and every access
	// token recorded for it revoked at the given time; idempotent.
	RevokeFamily(ctx context.Context, familyID string, at time.Time) error

	// RecordToken stores (or replaces) an access token record. A record
	// with a FamilyID whose family is already revoked is stored revoked at
	// the family's time, atomically with RevokeFamily, so an access token
	// minted while its family was being revoked is never left active.
	RecordToken(ctx context.Context, r TokenRecord) error
	// GetTokenRecord returns the record of a jti; ErrNotFound if none.
	GetTokenRecord(ctx context.Context, jti string) (TokenRecord, error)

	// UseOnce records key as used until expiresAt; ErrConflict if it is
	// already recorded and not expired. This makes client assertion jtis
	// single-use across instances.
	UseOnce(ctx context.Context, key string, expiresAt time.Time) error

	// DeleteExpired removes refresh tokens, token records and single-use
	// keys that expired before now and returns how many rows went. An
	// expired refresh token is kept while its family has a current
	// (unrotated, unrevoked) token that is not expired, so that a replay of
	// a rotated token is still recognised as reuse.
	DeleteExpired(ctx context.Context, now time.Time) (int64, error)
}
