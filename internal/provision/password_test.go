package provision_test

import (
	"encoding/json"
	"errors"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/apierr"
	"github.com/latchkey/latchkey/internal/password"
	"github.com/latchkey/latchkey/internal/provision"
	"github.com/latchkey/latchkey/internal/pwpolicy"
	"github.com/latchkey/latchkey/internal/store"
)

// cheap are argon2id parameters fast enough for tests.
var cheap = password.Params{MemoryKiB: 64, Iterations: 1, Parallelism: 1, SaltLen: 16, KeyLen: 32}

func newPasswordService(t *testing.T, pol *pwpolicy.Policy) *provision.Service {
	t.Helper()
	s, _ := newService(t)
	h, err := password.New(password.Config{Params: cheap, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	s.Hasher, s.PasswordPolicy = h, pol
	clock := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	s.Now = func() time.Time { clock = clock.Add(time.Minute); return clock }
	return s
}

// wantPasswordError fails t unless err is a *PasswordError with these causes.
func wantPasswordError(t *testing.T, err error, causes ...string) {
	t.Helper()
	var pe *provision.PasswordError
	if !errors.As(err, &pe) {
		t.Fatalf("got %v, want a *PasswordError", err)
	}
	if !slices.Equal(pe.Causes, causes) {
		t.Fatalf("causes %q, want %q", pe.Causes, causes)
	}
	if !errors.Is(err, provision.ErrInvalid) {
		t.Fatalf("errors.Is(%v, ErrInvalid) = false", err)
	}
}

const defaultNotMet = "password: Password requirements were not met. Password requirements: at least 8 characters, " +
	"no parts of your username, does not include your first name, does not include your last name. " +
	"Your password cannot be any of your last 4 passwords."

func TestCreateUserEnforcesThePolicy(t *testing.T) {
	t.Parallel()
	s := newPasswordService(t, nil) // nil: the default policy
	ctx := t.Context()
	in := provision.UserInput{Login: "ada@example.com", FirstName: "Ada", LastName: "Lovelace"}
	for pw, causes := range map[string][]string{
		"x7#Kq2":               {defaultNotMet},
		"ada-rules-the-world":  {defaultNotMet},
		"dear lovelace":        {defaultNotMet},
		"sunshine":             {pwpolicy.CommonCause},
		"qwerty":               {defaultNotMet, pwpolicy.CommonCause},
		"ADA@EXAMPLE.COM 1815": {defaultNotMet},
	} {
		in.Password = pw
		_, err := s.CreateUser(ctx, in)
		wantPasswordError(t, err, causes...)
	}
	in.Password = "analytical engine"
	u, err := s.CreateUser(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if u.PasswordHash == "" || u.PasswordChangedAt.IsZero() {
		t.Fatalf("created %+v", u)
	}
	// An imported hash is not judged: its password is unknown.
	if _, err := s.CreateUser(ctx, provision.UserInput{Login: "imported@example.com", PasswordHash: u.PasswordHash}); err != nil {
		t.Fatal(err)
	}
}

func TestSetPasswordHistory(t *testing.T) {
	t.Parallel()
	s := newPasswordService(t, nil)
	ctx := t.Context()
	u, err := s.CreateUser(ctx, provision.UserInput{Login: "grace@example.com", Password: "first passphrase"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.SetPassword(ctx, u.ID, "first passphrase")
	wantPasswordError(t, err, pwpolicy.HistoryCause)
	_, err = s.SetPassword(ctx, u.ID, "grace hopper")
	wantPasswordError(t, err, defaultNotMet)

	prev := u
	for _, pw := range []string{"second passphrase", "third passphrase", "fourth passphrase"} {
		got, err := s.SetPassword(ctx, u.ID, pw)
		if err != nil {
			t.Fatalf("SetPassword(%q): %v", pw, err)
		}
		if got.PasswordHash == prev.PasswordHash || !got.PasswordChangedAt.After(prev.PasswordChangedAt) || !got.UpdatedAt.Equal(got.PasswordChangedAt) {
			t.Fatalf("after SetPassword(%q): %+v (before %+v)", pw, got, prev)
		}
		prev = got
	}
	// The last four: the current one and the three before it.
	for _, pw := range []string{"first passphrase", "second passphrase", "third passphrase", "fourth passphrase"} {
		_, err := s.SetPassword(ctx, u.ID, pw)
		wantPasswordError(t, err, pwpolicy.HistoryCause)
	}
	if _, err := s.SetPassword(ctx, u.ID, "fifth passphrase"); err != nil {
		t.Fatal(err)
	}
	// "first passphrase" is now five passwords back.
	got, err := s.SetPassword(ctx, u.ID, "first passphrase")
	if err != nil {
		t.Fatalf("a password five back: %v", err)
	}
	res, err := s.Hasher.Verify(ctx, got.PasswordHash, "first passphrase")
	if err != nil || !res.OK {
		t.Fatalf("the stored hash does not verify: %+v %v", res, err)
	}
	stored, err := s.Store.GetUser(ctx, u.ID)
	if err != nil || stored.PasswordHash != got.PasswordHash {
		t.Fatalf("stored %+v, %v", stored, err)
	}
	hist, err := s.Store.ListPasswordHistory(ctx, u.ID, 100)
	if err != nil || len(hist) != 3 {
		t.Fatalf("history holds %d hashes (%v), want 3 (history_count 4 less the current one)", len(hist), err)
	}
}

func TestSetPasswordWithoutHistory(t *testing.T) {
	t.Parallel()
	pol := pwpolicy.Default()
	pol.HistoryCount = 0
	s := newPasswordService(t, &pol)
	ctx := t.Context()
	u, err := s.CreateUser(ctx, provision.UserInput{Login: "x@example.com", Password: "same passphrase"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.SetPassword(ctx, u.ID, "same passphrase"); err != nil {
		t.Fatalf("history_count 0 refused the current password: %v", err)
	}
	if hist, _ := s.Store.ListPasswordHistory(ctx, u.ID, 100); len(hist) != 0 {
		t.Fatalf("history_count 0 kept %d hashes", len(hist))
	}
}

func TestSetPasswordUnknownUserOrNoPassword(t *testing.T) {
	t.Parallel()
	s := newPasswordService(t, nil)
	ctx := t.Context()
	if _, err := s.SetPassword(ctx, "00unobody", "a fine passphrase"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown user: %v", err)
	}
	u, err := s.CreateUser(ctx, provision.UserInput{Login: "staged@example.com", Status: store.UserStaged})
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.SetPassword(ctx, u.ID, "a fine passphrase")
	if err != nil || got.PasswordHash == "" || got.Status != store.UserStaged {
		t.Fatalf("first password of a staged user: %+v, %v", got, err)
	}
}

// TestPasswordErrorRendersAsOkta: the management API answers a refused
// password with apierr.Write and the error's causes, in Okta's shape.
func TestPasswordErrorRendersAsOkta(t *testing.T) {
	t.Parallel()
	s := newPasswordService(t, nil)
	_, err := s.CreateUser(t.Context(), provision.UserInput{Login: "ada@example.com", Password: "abc123"})
	var pe *provision.PasswordError
	if !errors.As(err, &pe) {
		t.Fatalf("got %v", err)
	}
	w := httptest.NewRecorder()
	apierr.Write(w, 400, provision.PasswordErrorCode, provision.PasswordErrorSummary, pe.Causes...)
	var body apierr.Body
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
		t.Fatal(err)
	}
	want := []apierr.Cause{{ErrorSummary: defaultNotMet}, {ErrorSummary: pwpolicy.CommonCause}}
	if w.Code != 400 || body.ErrorCode != "E0000001" || body.ErrorSummary != "Api validation failed: password" ||
		!slices.Equal(body.ErrorCauses, want) {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
}
