package provision

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"

	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/store"
	"github.com/latchkey/latchkey/internal/totp"
)

// Errors of the factor operations, beside ErrInvalid and store.ErrNotFound.
var (
	// ErrNoFactor: the user has no factor in the state the operation needs.
	ErrNoFactor = fmt.Errorf("%w: no such factor", store.ErrNotFound)
	// ErrFactorExists: the user already has an ACTIVE TOTP factor (reset
	// it first).
	ErrFactorExists = fmt.Errorf("%w: the user already has an active TOTP factor", store.ErrConflict)
	// ErrBadCode: the passcode or recovery code is wrong, or was used.
	// It wraps totp.ErrReplay when a used TOTP code was replayed.
	ErrBadCode = errors.New("provision: invalid passcode")
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
	if f.Sealed, err = s.Sealer.Seal(secret, factorAAD(f)); err != nil {
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
	f, err := s.useTOTP(ctx, u.ID, code, store.FactorPendingActivation, func(f *store.Factor) {
		f.Status, f.RecoveryCodes = store.FactorActive, hashes
	})
	if err != nil {
		return store.Factor{}, nil, err
	}
	return f, codes, nil
}

// VerifyTOTP checks a code of the user's ACTIVE TOTP factor and takes its
// step: the same code is refused from then on (ErrBadCode wrapping
// totp.ErrReplay). ErrNoFactor if the user has no active TOTP factor.
func (s *Service) VerifyTOTP(ctx context.Context, userID, code string) (store.Factor, error) {
	return s.useTOTP(ctx, userID, code, store.FactorActive, nil)
}

// useTOTP checks code against the user's TOTP factor in status want and,
// in the same transaction, stores the step it matched and what change does.
func (s *Service) useTOTP(ctx context.Context, userID, code, want string, change func(*store.Factor)) (store.Factor, error) {
	var used store.Factor
	_, err := s.Store.UpdateFactors(ctx, userID, func(fs []store.Factor) ([]store.Factor, error) {
		i := findFactor(fs, want)
		if i < 0 {
			return nil, ErrNoFactor
		}
		f := &fs[i]
		secret, err := s.openFactor(*f)
		if err != nil {
			return nil, err
		}
		step, err := totp.Check(secret, code, s.now(), f.LastStep)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrBadCode, err)
		}
		f.LastStep, f.UpdatedAt = step, s.now()
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
// and removes it, so that it works once. Every stored hash is compared, in
// constant time.
func (s *Service) UseRecoveryCode(ctx context.Context, userID, code string) (store.Factor, error) {
	code = normalizeRecoveryCode(code)
	var used store.Factor
	_, err := s.Store.UpdateFactors(ctx, userID, func(fs []store.Factor) ([]store.Factor, error) {
		i := findFactor(fs, store.FactorActive)
		if i < 0 {
			return nil, ErrNoFactor
		}
		f := &fs[i]
		match := -1
		for j, h := range f.RecoveryCodes {
			if s.Secrets.Verify(h, code) && match < 0 {
				match = j
			}
		}
		if match < 0 || len(code) != recoveryCodeLength {
			return nil, ErrBadCode
		}
		f.RecoveryCodes = append(f.RecoveryCodes[:match:match], f.RecoveryCodes[match+1:]...)
		f.UpdatedAt = s.now()
		used = *f
		return fs, nil
	})
	if err != nil {
		return store.Factor{}, err
	}
	return used, nil
}

// NewRecoveryCodes replaces the recovery codes of the user's ACTIVE TOTP
// factor with RecoveryCodeCount new ones, returned once.
func (s *Service) NewRecoveryCodes(ctx context.Context, idOrLogin string) ([]string, error) {
	u, err := s.FindUser(ctx, idOrLogin)
	if err != nil {
		return nil, err
	}
	codes, hashes := s.newRecoveryCodes()
	_, err = s.Store.UpdateFactors(ctx, u.ID, func(fs []store.Factor) ([]store.Factor, error) {
		i := findFactor(fs, store.FactorActive)
		if i < 0 {
			return nil, ErrNoFactor
		}
		fs[i].RecoveryCodes, fs[i].UpdatedAt = hashes, s.now()
		return fs, nil
	})
	if err != nil {
		return nil, err
	}
	return codes, nil
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
	n := 0
	_, err = s.Store.UpdateFactors(ctx, u.ID, func(fs []store.Factor) ([]store.Factor, error) {
		var kept []store.Factor
		for _, f := range fs {
			if factorID == "" || f.ID == factorID {
				n++
				continue
			}
			kept = append(kept, f)
		}
		if n == 0 && factorID != "" {
			return nil, ErrNoFactor
		}
		return kept, nil
	})
	return n, err
}

// HasActiveFactor reports whether the user has an ACTIVE TOTP factor.
func (s *Service) HasActiveFactor(ctx context.Context, userID string) (bool, error) {
	fs, err := s.Store.ListFactors(ctx, userID)
	if err != nil {
		return false, err
	}
	return findFactor(fs, store.FactorActive) >= 0, nil
}

func findFactor(fs []store.Factor, status string) int {
	for i, f := range fs {
		if f.Type == store.FactorTOTP && f.Status == status {
			return i
		}
	}
	return -1
}

// factorAAD binds a sealed secret to its factor and user: a blob copied to
// another record does not open.
func factorAAD(f store.Factor) []byte { return []byte("factor:" + f.ID + ":" + f.UserID) }

func (s *Service) openFactor(f store.Factor) ([]byte, error) {
	if s.Sealer == nil {
		return nil, errors.New("provision: no master key to open factor secrets")
	}
	secret, err := s.Sealer.Open(f.Sealed, factorAAD(f))
	if err != nil {
		return nil, fmt.Errorf("provision: open factor %s: %w", f.ID, err)
	}
	return secret, nil
}

// Recovery codes: 10 characters of an alphabet without look-alikes (about
// 49 bits each), shown as two groups of five.
const (
	recoveryAlphabet   = "abcdefghjkmnpqrstuvwxyz23456789"
	recoveryCodeLength = 10
)

func (s *Service) newRecoveryCodes() (codes, hashes []string) {
	for range RecoveryCodeCount {
		b := make([]byte, recoveryCodeLength)
		for i := range b {
			b[i] = recoveryAlphabet[randIntn(len(recoveryAlphabet))]
		}
		code := string(b)
		codes = append(codes, code[:5]+"-"+code[5:])
		hashes = append(hashes, s.Secrets.Hash(code))
	}
	return codes, hashes
}

// normalizeRecoveryCode drops dashes and spaces and lower-cases, so that a
// code typed as shown or without its dash is the same code.
func normalizeRecoveryCode(code string) string {
	code = strings.ToLower(code)
	return strings.Map(func(r rune) rune {
		if r == '-' || r == ' ' {
			return -1
		}
		return r
	}, code)
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
