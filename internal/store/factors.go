package store

import (
	"context"
	"time"
)

// Factor types and providers, as Okta names them.
const (
	// FactorTOTP is a time-based one-time passcode (RFC 6238) from an
	// authenticator app.
	FactorTOTP = "token:software:totp"
	// ProviderOkta and ProviderGoogle are the providers Okta offers for
	// FactorTOTP; they differ only in the name the app shows.
	ProviderOkta   = "OKTA"
	ProviderGoogle = "GOOGLE"
)

// Factor statuses, as Okta names them.
const (
	// FactorPendingActivation: enrolled, possession not yet proven.
	FactorPendingActivation = "PENDING_ACTIVATION"
	// FactorActive: proven, used for logins.
	FactorActive = "ACTIVE"
)

// Factor is one second factor of a user (Okta's user factor). Its secret
// is stored only sealed with the master key, bound to the factor id.
type Factor struct {
	ID       string // "uft…"
	UserID   string
	Type     string // FactorTOTP
	Provider string // ProviderOkta or ProviderGoogle
	Status   string // FactorPendingActivation or FactorActive
	// Sealed is the TOTP secret encrypted with the master key.
	Sealed []byte
	// LastStep is the last TOTP time step accepted (0 before the first):
	// a code of that step or an earlier one is refused, so that each code
	// is accepted once.
	LastStep int64
	// RecoveryCodes are the keyed hashes of the recovery codes not yet
	// used; a code is removed when used.
	RecoveryCodes []string
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// Factors stores users' second factors.
type Factors interface {
	// ListFactors returns the user's factors, oldest first (by creation
	// time, then id), in one read; none for an unknown user.
	ListFactors(ctx context.Context, userID string) ([]Factor, error)
	// UpdateFactors runs fn on all the user's factors (oldest first)
	// inside one transaction and stores what it returns: factors with a
	// known id are updated, new ones created, and those fn left out
	// deleted. It returns the factors as stored, oldest first. ErrNotFound
	// if the user is missing; an error from fn aborts and is returned as
	// is. Two updates of one user's factors never interleave, so a TOTP
	// step or a recovery code taken in fn is taken exactly once.
	UpdateFactors(ctx context.Context, userID string, fn func([]Factor) ([]Factor, error)) ([]Factor, error)
}
