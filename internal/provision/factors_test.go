package provision_test

import (
	"context"
	"encoding/base32"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/provision"
	"github.com/latchkey/latchkey/internal/store"
	"github.com/latchkey/latchkey/internal/totp"
)

// factorService is a service with a user "ada" and a clock the test moves.
func factorService(t *testing.T) (*provision.Service, *time.Time) {
	t.Helper()
	s, _ := newService(t)
	now := time.Unix(1_700_000_000, 0).UTC()
	s.Now = func() time.Time { return now }
	if err := s.Store.CreateUser(context.Background(), store.User{ID: "00uada0000000000000a", Login: "ada@example.com", Status: store.UserActive,
		CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	return s, &now
}

func secretOf(t *testing.T, uri string) []byte {
	t.Helper()
	u, err := url.Parse(uri)
	if err != nil {
		t.Fatal(err)
	}
	b, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(u.Query().Get("secret"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestTOTPEnrolActivateVerify(t *testing.T) {
	t.Parallel()
	s, now := factorService(t)
	ctx := context.Background()
	e, err := s.EnrollTOTP(ctx, "ada@example.com", "")
	if err != nil {
		t.Fatal(err)
	}
	if e.Factor.Status != store.FactorPendingActivation || !strings.HasPrefix(e.Factor.ID, "ost") || !strings.HasPrefix(e.URI, "otpauth://totp/Latchkey:ada@example.com?") {
		t.Fatalf("enrolment: %+v %s", e.Factor, e.URI)
	}
	secret := secretOf(t, e.URI)
	if strings.Contains(string(e.Factor.Sealed), e.Secret) {
		t.Fatal("the secret is stored in the clear")
	}
	// A pending factor does not log in.
	if _, err := s.VerifyTOTP(ctx, e.User.ID, totp.Code(secret, *now)); !errors.Is(err, provision.ErrNoFactor) {
		t.Fatalf("verify a pending factor: %v", err)
	}
	if _, _, err := s.ActivateTOTP(ctx, e.User.ID, "000000"); !errors.Is(err, provision.ErrBadCode) && totp.Code(secret, *now) != "000000" {
		t.Fatalf("activate with a wrong code: %v", err)
	}
	f, codes, err := s.ActivateTOTP(ctx, e.User.ID, totp.Code(secret, *now))
	if err != nil {
		t.Fatal(err)
	}
	if f.Status != store.FactorActive || len(codes) != provision.RecoveryCodeCount || len(f.RecoveryCodes) != provision.RecoveryCodeCount {
		t.Fatalf("activated: %+v, %d codes", f, len(codes))
	}
	for _, c := range codes {
		for _, h := range f.RecoveryCodes {
			if strings.Contains(h, strings.ReplaceAll(c, "-", "")) {
				t.Fatal("a recovery code is stored in the clear")
			}
		}
	}
	// The activation code's step is taken: the same code is a replay.
	if _, err := s.VerifyTOTP(ctx, e.User.ID, totp.Code(secret, *now)); !errors.Is(err, totp.ErrReplay) {
		t.Fatalf("replay of the activation code: %v", err)
	}
	*now = now.Add(totp.Period)
	if _, err := s.VerifyTOTP(ctx, e.User.ID, totp.Code(secret, *now)); err != nil {
		t.Fatalf("the next step's code: %v", err)
	}
	if _, err := s.VerifyTOTP(ctx, e.User.ID, totp.Code(secret, *now)); !errors.Is(err, totp.ErrReplay) {
		t.Fatalf("a second use of a code: %v", err)
	}
	// A second enrolment is refused while one is active.
	if _, err := s.EnrollTOTP(ctx, e.User.ID, ""); !errors.Is(err, provision.ErrFactorExists) {
		t.Fatalf("second enrolment: %v", err)
	}

	// Recovery codes work once, typed with or without the dash.
	if _, err := s.UseRecoveryCode(ctx, e.User.ID, strings.ToUpper(strings.ReplaceAll(codes[0], "-", ""))); err != nil {
		t.Fatalf("recovery code: %v", err)
	}
	if _, err := s.UseRecoveryCode(ctx, e.User.ID, codes[0]); !errors.Is(err, provision.ErrBadCode) {
		t.Fatalf("recovery code used twice: %v", err)
	}
	if _, err := s.UseRecoveryCode(ctx, e.User.ID, "abcde-fghjk"); !errors.Is(err, provision.ErrBadCode) {
		t.Fatalf("a made-up recovery code: %v", err)
	}
	_, fs, err := s.ListFactors(ctx, "ada@example.com")
	if err != nil || len(fs) != 1 || len(fs[0].RecoveryCodes) != provision.RecoveryCodeCount-1 {
		t.Fatalf("after one recovery code: %+v, %v", fs, err)
	}

	if n, err := s.ResetFactors(ctx, "ada@example.com", ""); n != 1 || err != nil {
		t.Fatalf("reset: %d, %v", n, err)
	}
	if ok, err := s.HasActiveFactor(ctx, e.User.ID); ok || err != nil {
		t.Fatalf("after reset: %v, %v", ok, err)
	}
}

func TestEnrolReplacesPending(t *testing.T) {
	t.Parallel()
	s, _ := factorService(t)
	ctx := context.Background()
	a, err := s.EnrollTOTP(ctx, "ada@example.com", store.ProviderGoogle)
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.EnrollTOTP(ctx, "ada@example.com", "")
	if err != nil {
		t.Fatal(err)
	}
	_, fs, _ := s.ListFactors(ctx, "ada@example.com")
	if len(fs) != 1 || fs[0].ID != b.Factor.ID || a.Factor.ID == b.Factor.ID {
		t.Fatalf("factors: %+v", fs)
	}
	if _, err := s.EnrollTOTP(ctx, "ada@example.com", "DUO"); !errors.Is(err, provision.ErrInvalid) {
		t.Fatalf("unknown provider: %v", err)
	}
}
