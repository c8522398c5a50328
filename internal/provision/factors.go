package provision

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"

	"github.com/latchkey/latchkey/internal/events"
	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/mfa"
	"github.com/latchkey/latchkey/internal/store"
	"github.com/latchkey/latchkey/internal/totp"
)

// Errors of the factor operations, beside ErrInvalid and store.ErrNotFound.
var (
	// ErrNoFactor: the user has no factor in the state the operation needs.
	ErrNoFactor = mfa.ErrNoFactor
	// ErrFactorExists: the user already has an ACTIVE TOTP factor (reset
	// it first).
	ErrFactorExists = fmt.Errorf("%w: the user already has an active TOTP factor", store.ErrConflict)
	// ErrBadCode: the passcode or recovery code is wrong, or was used.
	// It wraps totp.ErrReplay when a used TOTP code was replayed.
	ErrBadCode = mfa.ErrBadCode
)

// RecoveryCodeCount is how many recovery codes an activation hands out.
const RecoveryCodeCount = 10

// TOTPIssuer names Latchkey in authenticator apps.
const TOTPIssuer = "Latchkey"

// Enrollment is a new PENDING_ACTIVATION TOTP factor with what the user
// needs once: the otpauth URI (with the secret) for the app.
type Enrollment struct {
	Factor store.Factor
	User   store.User
	// URI is the otpauth:// URI; it holds the secret, shown once.
	URI string
	// Secret is the base32 secret the URI carries, for manual entry.
	Secret string
}

// EnrollTOTP gives the user a new TOTP factor, PENDING_ACTIVATION until
// ActivateTOTP proves possession. A pending factor already there is
// replaced; an ACTIVE one must be reset first (ErrFactorExists). provider is
// store.ProviderOkta (the default) or store.ProviderGoogle.
func (s *Service) EnrollTOTP(ctx context.Context, idOrLogin, provider string) (Enrollment, error) {
	switch provider {
	case "":
		provider = store.ProviderOkta
	case store.ProviderOkta, store.ProviderGoogle:
	default:
		return Enrollment{}, invalid("provider must be %s or %s", store.ProviderOkta, store.ProviderGoogle)
	}
	if s.Sealer == nil {
		return Enrollment{}, errors.New("provision: enroll a factor: no master key to seal its secret")
	}
	u, err := s.FindUser(ctx, idOrLogin)
	if err != nil {
		return Enrollment{}, err
	}
	secret := totp.NewSecret()
	now := s.now()
	f := store.Factor{ID: ids.New(ids.Factor), UserID: u.ID, Type: store.FactorTOTP, Provider: provider,
		Status: store.FactorPendingActivation, CreatedAt: now, UpdatedAt: now}
	if f.Sealed, err = s.Sealer.Seal(secret, mfa.SecretAAD(f)); err != nil {
		return Enrollment{}, fmt.Errorf("provision: seal factor secret: %w", err)
	}
	_, err = s.Store.UpdateFactors(ctx, u.ID, func(old []store.Factor) ([]store.Factor, error) {
		next := old[:0]
		for _, o := range old {
			if o.Type != store.FactorTOTP {
				next = append(next, o)
				continue
			}
			if o.Status == store.FactorActive {
				return nil, ErrFactorExists
			}
		}
		return append(next, f), nil
	})
	if err != nil {
		return Enrollment{}, fmt.Errorf("provision: enroll factor of %s: %w", u.ID, err)
	}
	return Enrollment{Factor: f, User: u, URI: totp.URI(secret, TOTPIssuer, u.Login), Secret: totp.Encode(secret)}, nil
}

// ActivateTOTP proves possession of the user's pending TOTP factor with a
// code from the app: the factor becomes ACTIVE (the code's step is taken,
// so it cannot log in again) and RecoveryCodeCount new recovery codes are
// returned, shown once; only their hashes are stored.
func (s *Service) ActivateTOTP(ctx context.Context, idOrLogin, code string) (store.Factor, []string, error) {
	u, err := s.FindUser(ctx, idOrLogin)
	if err != nil {
		return store.Factor{}, nil, err
	}
	codes, hashes := s.newRecoveryCodes()
	f, err := s.verifier().VerifyTOTP(ctx, u.ID, code, store.FactorPendingActivation, func(f *store.Factor) {
		f.Status, f.RecoveryCodes = store.FactorActive, hashes
	})
	if err != nil {
		return store.Factor{}, nil, err
	}
	s.recordFactor(ctx, events.FactorActivated(ActorOf(ctx), eventUser(u), eventFactor(f)))
	return f, codes, nil
}

// verifier checks codes with the service's store, keys and clock.
func (s *Service) verifier() *mfa.Verifier {
	return &mfa.Verifier{Store: s.Store, Sealer: s.Sealer, Secrets: s.Secrets, Now: s.Now}
}

// VerifyTOTP checks a code of the user's ACTIVE TOTP factor and takes its
// step: the same code is refused from then on (ErrBadCode wrapping
// totp.ErrReplay). ErrNoFactor if the user has no active TOTP factor.
func (s *Service) VerifyTOTP(ctx context.Context, userID, code string) (store.Factor, error) {
	return s.verifier().VerifyTOTP(ctx, userID, code, store.FactorActive, nil)
}

// UseRecoveryCode checks a recovery code of the user's ACTIVE TOTP factor
// and removes it, so that it works once.
func (s *Service) UseRecoveryCode(ctx context.Context, userID, code string) (store.Factor, error) {
	return s.verifier().UseRecoveryCode(ctx, userID, code)
}

// NewRecoveryCodes replaces the recovery codes of the user's ACTIVE TOTP
// factor with RecoveryCodeCount new ones, returned once.
func (s *Service) NewRecoveryCodes(ctx context.Context, idOrLogin string) ([]string, error) {
	u, err := s.FindUser(ctx, idOrLogin)
	if err != nil {
		return nil, err
	}
	codes, hashes := s.newRecoveryCodes()
	var changed store.Factor
	_, err = s.Store.UpdateFactors(ctx, u.ID, func(fs []store.Factor) ([]store.Factor, error) {
		i := mfa.FindTOTP(fs, store.FactorActive)
		if i < 0 {
			return nil, ErrNoFactor
		}
		fs[i].RecoveryCodes, fs[i].UpdatedAt = hashes, s.now()
		changed = fs[i]
		return fs, nil
	})
	if err != nil {
		return nil, err
	}
	s.recordFactor(ctx, events.RecoveryCodesReplaced(ActorOf(ctx), eventUser(u), eventFactor(changed), len(codes)))
	return codes, nil
}

// PendingTOTPURI returns the otpauth:// URI of the user's factor factorID
// while it is PENDING_ACTIVATION (for a QR code), opening its sealed
// secret; ErrNoFactor once it is active or gone.
func (s *Service) PendingTOTPURI(ctx context.Context, idOrLogin, factorID string) (string, error) {
	u, fs, err := s.ListFactors(ctx, idOrLogin)
	if err != nil {
		return "", err
	}
	for _, f := range fs {
		if f.ID == factorID && f.Type == store.FactorTOTP && f.Status == store.FactorPendingActivation {
			secret, err := s.verifier().OpenSecret(f)
			if err != nil {
				return "", err
			}
			return totp.URI(secret, TOTPIssuer, u.Login), nil
		}
	}
	return "", ErrNoFactor
}

// ListFactors returns the user's factors and the user.
func (s *Service) ListFactors(ctx context.Context, idOrLogin string) (store.User, []store.Factor, error) {
	u, err := s.FindUser(ctx, idOrLogin)
	if err != nil {
		return store.User{}, nil, err
	}
	fs, err := s.Store.ListFactors(ctx, u.ID)
	return u, fs, err
}

// ResetFactors removes the user's factors (all of them, or the one with id
// factorID), recovery codes included; it returns how many went.
// ErrNoFactor if factorID names none.
func (s *Service) ResetFactors(ctx context.Context, idOrLogin, factorID string) (int, error) {
	u, err := s.FindUser(ctx, idOrLogin)
	if err != nil {
		return 0, err
	}
	var removed []store.Factor
	_, err = s.Store.UpdateFactors(ctx, u.ID, func(fs []store.Factor) ([]store.Factor, error) {
		var kept []store.Factor
		removed = removed[:0] // the store may run the closure again
		for _, f := range fs {
			if factorID == "" || f.ID == factorID {
				removed = append(removed, f)
				continue
			}
			kept = append(kept, f)
		}
		if len(removed) == 0 && factorID != "" {
			return nil, ErrNoFactor
		}
		return kept, nil
	})
	if err != nil {
		return 0, err
	}
	event := events.FactorReset
	if factorID != "" {
		event = events.FactorDeactivated
	}
	for _, f := range removed {
		s.recordFactor(ctx, event(ActorOf(ctx), eventUser(u), eventFactor(f)))
	}
	return len(removed), nil
}

// recordFactor records a factor event when the service has a sink.
func (s *Service) recordFactor(ctx context.Context, e events.Event) { events.Record(ctx, s.Events, e) }

func eventUser(u store.User) events.Actor {
	return events.User(u.ID, u.Login, strings.TrimSpace(u.FirstName+" "+u.LastName))
}

func eventFactor(f store.Factor) events.Factor {
	return events.Factor{ID: f.ID, Type: f.Type, Provider: f.Provider}
}

// HasActiveFactor reports whether the user has an ACTIVE TOTP factor.
func (s *Service) HasActiveFactor(ctx context.Context, userID string) (bool, error) {
	return s.verifier().HasActiveFactor(ctx, userID)
}

// Recovery codes: 10 characters of an alphabet without look-alikes (about
// 49 bits each), shown as two groups of five.
const (
	recoveryAlphabet = "abcdefghjkmnpqrstuvwxyz23456789"
)

func (s *Service) newRecoveryCodes() (codes, hashes []string) {
	for range RecoveryCodeCount {
		b := make([]byte, mfa.RecoveryCodeLength)
		for i := range b {
			b[i] = recoveryAlphabet[randIntn(len(recoveryAlphabet))]
		}
		code := string(b)
		codes = append(codes, code[:5]+"-"+code[5:])
		hashes = append(hashes, s.Secrets.Hash(code))
	}
	return codes, hashes
}

// randIntn is a uniform random int in [0, n) from crypto/rand.
func randIntn(n int) int {
	var b [1]byte
	limit := 256 - 256%n
	for {
		if _, err := rand.Read(b[:]); err != nil {
			panic("provision: crypto/rand failed: " + err.Error())
		}
		if int(b[0]) < limit {
			return int(b[0]) % n
		}
	}
}
