package provision_test

import (
	"errors"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/provision"
	"github.com/latchkey/latchkey/internal/store"
)

// TestLifecycleTransitions: each operation from each status either makes
// the status Okta's operation makes, or is refused with Okta's error and
// changes nothing.
func TestLifecycleTransitions(t *testing.T) {
	t.Parallel()
	s := newPasswordService(t, nil)
	ctx := t.Context()
	ops := map[string]func(*provision.Service, string) (store.User, error){
		"suspend":    func(s *provision.Service, id string) (store.User, error) { return s.SuspendUser(ctx, id) },
		"unsuspend":  func(s *provision.Service, id string) (store.User, error) { return s.UnsuspendUser(ctx, id) },
		"deactivate": func(s *provision.Service, id string) (store.User, error) { return s.DeactivateUser(ctx, id) },
		"reactivate": func(s *provision.Service, id string) (store.User, error) { return s.ReactivateUser(ctx, id) },
		"expire":     func(s *provision.Service, id string) (store.User, error) { return s.ExpirePassword(ctx, id) },
	}
	cases := []struct {
		op, from, to string // to "" means refused
		code         string
		noPassword   bool
		revokes      bool
	}{
		{op: "suspend", from: store.UserActive, to: store.UserSuspended, revokes: true},
		{op: "suspend", from: store.UserSuspended, code: "E0000001"},
		{op: "suspend", from: store.UserDeprovisioned, code: "E0000001"},
		{op: "unsuspend", from: store.UserSuspended, to: store.UserActive},
		{op: "unsuspend", from: store.UserActive, code: "E0000001"},
		{op: "deactivate", from: store.UserActive, to: store.UserDeprovisioned, revokes: true},
		{op: "deactivate", from: store.UserSuspended, to: store.UserDeprovisioned, revokes: true},
		{op: "deactivate", from: store.UserPasswordExpired, to: store.UserDeprovisioned, revokes: true},
		{op: "deactivate", from: store.UserDeprovisioned, code: "E0000001"},
		{op: "reactivate", from: store.UserDeprovisioned, to: store.UserActive},
		{op: "reactivate", from: store.UserDeprovisioned, to: store.UserProvisioned, noPassword: true},
		{op: "reactivate", from: store.UserStaged, to: store.UserActive},
		{op: "reactivate", from: store.UserActive, code: "E0000016"},
		{op: "reactivate", from: store.UserSuspended, code: "E0000001"},
		{op: "expire", from: store.UserActive, to: store.UserPasswordExpired},
		{op: "expire", from: store.UserSuspended, code: "E0000001"},
	}
	for i, c := range cases {
		in := provision.UserInput{Login: "user" + string(rune('a'+i)) + "@example.com", Status: c.from, Password: "a fine passphrase"}
		if c.noPassword {
			in.Password = ""
		}
		u, err := s.CreateUser(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		got, err := ops[c.op](s, u.Login)
		stored, _ := s.Store.GetUser(ctx, u.ID)
		if c.to == "" {
			var le *provision.LifecycleError
			if !errors.As(err, &le) || le.Code != c.code || !errors.Is(err, provision.ErrInvalid) {
				t.Errorf("%s from %s: %v, want a %s LifecycleError", c.op, c.from, err, c.code)
			}
			if stored.Status != c.from || !stored.TokensValidAfter.IsZero() {
				t.Errorf("%s from %s refused but the user changed: %+v", c.op, c.from, stored)
			}
			continue
		}
		if err != nil || got.Status != c.to || stored.Status != c.to {
			t.Errorf("%s from %s: %s (stored %s), %v; want %s", c.op, c.from, got.Status, stored.Status, err, c.to)
		}
		if revoked := !stored.TokensValidAfter.IsZero(); revoked != c.revokes {
			t.Errorf("%s from %s: watermark %v, want one set: %v", c.op, c.from, stored.TokensValidAfter, c.revokes)
		}
	}
}

// TestDeleteUser: only a deactivated user is deleted; its login is free.
func TestDeleteUser(t *testing.T) {
	t.Parallel()
	s := newPasswordService(t, nil)
	ctx := t.Context()
	u, err := s.CreateUser(ctx, provision.UserInput{Login: "gone@example.com", Password: "a fine passphrase"})
	if err != nil {
		t.Fatal(err)
	}
	var le *provision.LifecycleError
	if _, err := s.DeleteUser(ctx, u.ID); !errors.As(err, &le) || le.Op != "delete" {
		t.Fatalf("delete of an ACTIVE user: %v", err)
	}
	if _, err := s.DeactivateUser(ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	if got, err := s.DeleteUser(ctx, "GONE@example.com"); err != nil || got.ID != u.ID {
		t.Fatalf("delete: %+v %v", got, err)
	}
	if _, err := s.FindUser(ctx, u.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("deleted user found: %v", err)
	}
	if _, err := s.CreateUser(ctx, provision.UserInput{Login: "gone@example.com", Password: "a fine passphrase"}); err != nil {
		t.Fatalf("the login of a deleted user is not free: %v", err)
	}
}

// TestSetPasswordRevokes: a new password moves the watermark and makes a
// PASSWORD_EXPIRED user ACTIVE.
func TestSetPasswordRevokes(t *testing.T) {
	t.Parallel()
	s := newPasswordService(t, nil)
	ctx := t.Context()
	u, err := s.CreateUser(ctx, provision.UserInput{Login: "exp@example.com", Password: "a fine passphrase"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.ExpirePassword(ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	got, err := s.SetPassword(ctx, u.ID, "another fine passphrase")
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != store.UserActive || got.TokensValidAfter.IsZero() || !got.TokensValidAfter.Equal(got.PasswordChangedAt) {
		t.Fatalf("after SetPassword: status %s watermark %v changed %v", got.Status, got.TokensValidAfter, got.PasswordChangedAt)
	}
	if got.TokensValidAfter.Before(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("watermark %v", got.TokensValidAfter)
	}
}
