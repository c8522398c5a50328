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
	// AMR is how the user authenticated at the login that started the
	// family (the ID token's amr, RFC 8176), kept across rotations; nil
	// means a password alone.
	AMR []string
}

// TokenRecord remembers an access token by its jti when it must be
// revocable before it expires: tokens minted from a refresh token family,
// and tokens revoked on their own.
type TokenRecord struct {
	JTI      string
	FamilyID string // empty for a token revoked on its own
	// RefreshID is the refresh token the access token went out with: the
	// one returned in the same answer or, when none was, the one used.
	// Empty outside families. When that refresh token is replaced (see
	// RefreshUse) the access token is revoked with it.
	RefreshID string
	ClientID  string
	ExpiresAt time.Time
	RevokedAt time.Time // zero unless revoked
}

// RefreshUse is what one use of a refresh token does: the closure of
// UseRefreshToken returns it, and the store applies all of it in the
// transaction that read the token.
type RefreshUse struct {
	// Token is the used token's new state. Its ID, FamilyID, AMR and,
	// unless a successor is given, ReplacedBy are kept as stored.
	Token RefreshToken
	// Successor, when not nil, is created in the token's family; the token
	// becomes rotated (ReplacedBy = Successor.ID, RotatedAt set to
	// Successor.IssuedAt if zero). If the token already had a successor
	// (a retry of a rotated token), that earlier successor is replaced: it
	// is revoked at Successor.IssuedAt together with the access tokens
	// recorded with it (TokenRecord.RefreshID). A successor that has
	// itself been rotated cannot be replaced (ErrConflict): a family keeps
	// at most one current token.
	Successor *RefreshToken
	// Access, when not nil, is the access token issued by this use. It is
	// recorded in the same transaction, in the token's family, with
	// RefreshID the successor's id, or the used token's without one.
	Access *TokenRecord
}

// Tokens stores refresh tokens, revocable access tokens and single-use ids.
type Tokens interface {
	// CreateRefreshToken stores a new refresh token; ErrConflict if the id exists.
	CreateRefreshToken(ctx context.Context, t RefreshToken) error
	GetRefreshToken(ctx context.Context, id string) (RefreshToken, error)
	// UseRefreshToken runs fn inside one transaction on the token and on
	// its current successor (the token named by its ReplacedBy; nil if it
	// has none or that token is gone), and applies the RefreshUse fn
	// returns (see RefreshUse). Calls on one token, on its successor and
	// RevokeFamily of its family are serialized, so exactly one of several
	// concurrent calls sees the token unrotated, and each later one sees
	// the successor the one before it left. An error from fn aborts and is
	// returned as is.
	UseRefreshToken(ctx context.Context, id string, fn func(cur RefreshToken, successor *RefreshToken) (RefreshUse, error)) (RefreshToken, error)
	// RevokeFamily marks every refresh token of the family and every access
	// token recorded for it revoked at the given time; idempotent. It is
	// serialized with UseRefreshToken, so a successor or an access token
	// recorded by a concurrent use is revoked too.
	RevokeFamily(ctx context.Context, familyID string, at time.Time) error

	// RecordToken stores (or replaces) an access token record. A record
	// that is not revoked is stored revoked if its refresh token (RefreshID,
	// or the family's first token, whose id is the FamilyID, when RefreshID
	// is empty) is revoked, at that token's time, atomically with
	// RevokeFamily: an access token minted while its family was being
	// revoked is never left active.
	RecordToken(ctx context.Context, r TokenRecord) error
	// GetTokenRecord returns the record of a jti; ErrNotFound if none.
	GetTokenRecord(ctx context.Context, jti string) (TokenRecord, error)

	// UseOnce records key as used until expiresAt; ErrConflict if it is
	// already recorded and not expired. This makes client assertion jtis
	// single-use across instances.
	UseOnce(ctx context.Context, key string, expiresAt time.Time) error
	// UsedOnce reports whether key is recorded by UseOnce and not expired,
	// without recording it: a check that must not spend what it checks
	// (an mfa_token before its code is verified).
	UsedOnce(ctx context.Context, key string) (bool, error)

	// DeleteExpired removes refresh tokens, token records and single-use
	// keys that expired before now and returns how many rows went. An
	// expired refresh token is kept while its family has a current
	// (unrotated, unrevoked) token that is not expired, so that a replay of
	// a rotated token is still recognised as reuse.
	DeleteExpired(ctx context.Context, now time.Time) (int64, error)
}
