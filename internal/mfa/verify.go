package mfa

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/latchkey/latchkey/internal/keys"
	"github.com/latchkey/latchkey/internal/secrets"
	"github.com/latchkey/latchkey/internal/store"
	"github.com/latchkey/latchkey/internal/totp"
)

// Errors of the checks.
var (
	// ErrNoFactor: the user has no factor in the state the check needs.
	ErrNoFactor = fmt.Errorf("%w: no such factor", store.ErrNotFound)
	// ErrBadCode: the passcode or recovery code is wrong, or was used. It
	// wraps totp.ErrReplay when a used TOTP code was replayed.
	ErrBadCode = errors.New("mfa: invalid passcode")
)

// Verifier checks codes of users' factors. Its fields are set once; it is
// safe for concurrent use.
type Verifier struct {
	Store   store.Factors
	Sealer  *keys.Sealer
	Secrets *secrets.Hasher
	Now     func() time.Time
}

func (v *Verifier) now() time.Time {
	if v.Now != nil {
		return v.Now().UTC()
	}
	return time.Now().UTC()
}

// VerifyTOTP checks a code of the user's TOTP factor in status want
// (store.FactorActive for a login) and takes its step in the same
// transaction, with what change does to the factor: the same code is
// refused from then on (ErrBadCode wrapping totp.ErrReplay).
func (v *Verifier) VerifyTOTP(ctx context.Context, userID, code, want string, change func(*store.Factor)) (store.Factor, error) {
	var used store.Factor
	_, err := v.Store.UpdateFactors(ctx, userID, func(fs []store.Factor) ([]store.Factor, error) {
		i := FindTOTP(fs, want)
		if i < 0 {
			return nil, ErrNoFactor
		}
		f := &fs[i]
		secret, err := v.OpenSecret(*f)
		if err != nil {
			return nil, err
		}
		now := v.now()
		step, err := totp.Check(secret, code, now, f.LastStep)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrBadCode, err)
		}
		f.LastStep, f.UpdatedAt = step, now
		if change != nil {
			change(f)
		}
		used = *f
		return fs, nil
	})
	if err != nil {
		return store.Factor{}, err
	}
	return used, nil
}

// UseRecoveryCode checks a recovery code of the user's ACTIVE TOTP factor
// and removes it, so that it works once. Every stored hash is compared.
func (v *Verifier) UseRecoveryCode(ctx context.Context, userID, code string) (store.Factor, error) {
	code = NormalizeRecoveryCode(code)
	var used store.Factor
	_, err := v.Store.UpdateFactors(ctx, userID, func(fs []store.Factor) ([]store.Factor, error) {
		i := FindTOTP(fs, store.FactorActive)
		if i < 0 {
			return nil, ErrNoFactor
		}
		f := &fs[i]
		match := -1
		for j, h := range f.RecoveryCodes {
			if v.Secrets.Verify(h, code) && match < 0 {
				match = j
			}
		}
		if match < 0 || len(code) != RecoveryCodeLength {
			return nil, ErrBadCode
		}
		f.RecoveryCodes = append(f.RecoveryCodes[:match:match], f.RecoveryCodes[match+1:]...)
		f.UpdatedAt = v.now()
		used = *f
		return fs, nil
	})
	if err != nil {
		return store.Factor{}, err
	}
	return used, nil
}

// HasActiveFactor reports whether the user has an ACTIVE TOTP factor.
func (v *Verifier) HasActiveFactor(ctx context.Context, userID string) (bool, error) {
	fs, err := v.Store.ListFactors(ctx, userID)
	if err != nil {
		return false, err
	}
	return FindTOTP(fs, store.FactorActive) >= 0, nil
}

// FindTOTP returns the index of the TOTP factor in status, or -1.
func FindTOTP(fs []store.Factor, status string) int {
	for i, f := range fs {
		if f.Type == store.FactorTOTP && f.Status == status {
			return i
		}
	}
	return -1
}

// SecretAAD binds a sealed secret to its factor and user: a blob copied to
// another record does not open.
func SecretAAD(f store.Factor) []byte { return []byte("factor:" + f.ID + ":" + f.UserID) }

// OpenSecret opens a factor's sealed TOTP secret.
func (v *Verifier) OpenSecret(f store.Factor) ([]byte, error) {
	if v.Sealer == nil {
		return nil, errors.New("mfa: no master key to open factor secrets")
	}
	secret, err := v.Sealer.Open(f.Sealed, SecretAAD(f))
	if err != nil {
		return nil, fmt.Errorf("mfa: open factor %s: %w", f.ID, err)
	}
	return secret, nil
}

// RecoveryCodeLength is the length of a recovery code without its dash.
const RecoveryCodeLength = 10

// NormalizeRecoveryCode drops dashes and spaces and lower-cases, so that a
// code typed as shown or without its dash is the same code.
func NormalizeRecoveryCode(code string) string {
	return strings.Map(func(r rune) rune {
		if r == '-' || r == ' ' {
			return -1
		}
		return r
	}, strings.ToLower(code))
}
