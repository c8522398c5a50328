package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/store"
)

var userTests = []test{
	{"CreateGetRoundTrip", testUserRoundTrip},
	{"GetByLoginIgnoresCase", testUserByLogin},
	{"CreateDuplicateID", testUserDuplicateID},
	{"CreateDuplicateLoginAnyCase", testUserDuplicateLogin},
	{"GetMissing", testUserMissing},
	{"UpdateChangesEveryField", testUserUpdate},
	{"UpdateLoginToTakenOne", testUserUpdateLoginConflict},
	{"UpdateLoginFreesOldOne", testUserUpdateLogin},
	{"UpdateMissing", testUserUpdateMissing},
	{"UpdateClosureErrorAborts", testUserUpdateAbort},
	{"UpdateCannotChangeID", testUserUpdateID},
	{"ListPaging", testUserPaging},
	{"StatusChangeIsStamped", testUserStatusChangeStamped},
}

// testUserStatusChangeStamped: an update that changes the status and
// leaves StatusChangedAt alone gets its UpdatedAt as StatusChangedAt;
// one that keeps the status keeps it.
func testUserStatusChangeStamped(t *testing.T, s store.Store) {
	u := fullUser("00u1", "ada@example.com")
	must(t, "CreateUser", s.CreateUser(ctx(t), u))
	at := t0.Add(time.Hour)
	got, err := s.UpdateUser(ctx(t), u.ID, func(old store.User) (store.User, error) {
		old.FirstName, old.UpdatedAt = "Augusta", at
		return old, nil
	})
	must(t, "UpdateUser", err)
	if !got.StatusChangedAt.Equal(u.StatusChangedAt) {
		t.Errorf("same status: StatusChangedAt %v, want %v", got.StatusChangedAt, u.StatusChangedAt)
	}
	at = at.Add(time.Hour)
	got, err = s.UpdateUser(ctx(t), u.ID, func(old store.User) (store.User, error) {
		old.Status, old.UpdatedAt = store.UserSuspended, at
		return old, nil
	})
	must(t, "UpdateUser", err)
	if !got.StatusChangedAt.Equal(at) {
		t.Errorf("new status: StatusChangedAt %v, want %v", got.StatusChangedAt, at)
	}
	at = at.Add(time.Hour)
	got, err = s.ChangePassword(ctx(t), u.ID, 0, func(old store.User) (store.User, error) {
		old.Status, old.PasswordHash, old.UpdatedAt = store.UserActive, "$argon2id$v=19$other", at
		return old, nil
	})
	must(t, "ChangePassword", err)
	if !got.StatusChangedAt.Equal(at) {
		t.Errorf("status changed with the password: StatusChangedAt %v, want %v", got.StatusChangedAt, at)
	}
}

func fullUser(id, login string) store.User {
	return store.User{
		ID:                id,
		Status:            store.UserActive,
		Login:             login,
		Email:             login,
		EmailVerified:     true,
		FirstName:         "Ada",
		LastName:          "Lovelace",
		Locale:            "en_GB",
		ZoneInfo:          "Europe/London",
		PasswordHash:      "$2a$10$abcdefghijklmnopqrstuu0123456789ABCDEFGHIJKLMNOPQRSTU",
		PasswordChangedAt: t0.Add(-48 * time.Hour),
		CreatedAt:         t0.Add(-72 * time.Hour),
		UpdatedAt:         t0,
		LastLoginAt:       t0.Add(time.Minute + 7*time.Millisecond),
		StatusChangedAt:   t0.Add(-24 * time.Hour),
		ActivatedAt:       t0.Add(-72 * time.Hour),
	}
}

func testUserRoundTrip(t *testing.T, s store.Store) {
	recs := []store.User{
		fullUser("00u1", "ada@example.com"),
		// Staged: nothing set but what creation needs; zero times throughout.
		{ID: "00u2", Status: store.UserStaged, Login: "zoë.łukasz@例え.jp", FirstName: "Zoë", LastName: "山田 🙂", Locale: "ja_JP"},
		{ID: "00u3", Status: store.UserLockedOut, Login: "Mixed.Case@Example.COM", EmailVerified: false, PasswordChangedAt: t0},
	}
	for _, u := range recs {
		must(t, "CreateUser", s.CreateUser(ctx(t), u))
	}
	for _, want := range recs {
		got, err := s.GetUser(ctx(t), want.ID)
		must(t, "GetUser", err)
		same(t, "GetUser "+want.ID, got, want)
		got, err = s.GetUserByLogin(ctx(t), want.Login)
		must(t, "GetUserByLogin", err)
		same(t, "GetUserByLogin "+want.Login, got, want)
	}
}

func testUserByLogin(t *testing.T, s store.Store) {
	want := fullUser("00u1", "Ada.Lovelace@Example.com")
	must(t, "CreateUser", s.CreateUser(ctx(t), want))
	other := fullUser("00u2", "ÅSA@example.com")
	must(t, "CreateUser", s.CreateUser(ctx(t), other))
	for _, login := range []string{"Ada.Lovelace@Example.com", "ada.lovelace@example.com", "ADA.LOVELACE@EXAMPLE.COM"} {
		got, err := s.GetUserByLogin(ctx(t), login)
		must(t, "GetUserByLogin "+login, err)
		same(t, "GetUserByLogin "+login, got, want) // the login keeps its case
	}
	got, err := s.GetUserByLogin(ctx(t), "åsa@EXAMPLE.com")
	must(t, "GetUserByLogin of a non-ASCII login in another case", err)
	if got.ID != other.ID {
		t.Errorf("GetUserByLogin found %q, want %q", got.ID, other.ID)
	}
	for _, login := range []string{"ada.lovelace@example.co", " ada.lovelace@example.com", ""} {
		_, err := s.GetUserByLogin(ctx(t), login)
		wantErr(t, "GetUserByLogin "+login, err, store.ErrNotFound)
	}
}

func testUserDuplicateID(t *testing.T, s store.Store) {
	orig := fullUser("00u1", "ada@example.com")
	must(t, "CreateUser", s.CreateUser(ctx(t), orig))
	wantErr(t, "CreateUser with a taken id", s.CreateUser(ctx(t), fullUser("00u1", "other@example.com")), store.ErrConflict)
	got, err := s.GetUser(ctx(t), orig.ID)
	must(t, "GetUser", err)
	same(t, "after the refused duplicate", got, orig)
	_, err = s.GetUserByLogin(ctx(t), "other@example.com")
	wantErr(t, "GetUserByLogin of the refused user", err, store.ErrNotFound)
}

func testUserDuplicateLogin(t *testing.T, s store.Store) {
	must(t, "CreateUser", s.CreateUser(ctx(t), fullUser("00u1", "ada@example.com")))
	for _, login := range []string{"ada@example.com", "ADA@example.com", "Ada@Example.Com"} {
		err := s.CreateUser(ctx(t), fullUser("00u2", login))
		wantErr(t, "CreateUser with login "+login, err, store.ErrConflict)
	}
	_, err := s.GetUser(ctx(t), "00u2")
	wantErr(t, "GetUser of the refused user", err, store.ErrNotFound)
}

func testUserMissing(t *testing.T, s store.Store) {
	must(t, "CreateUser", s.CreateUser(ctx(t), fullUser("00u1", "ada@example.com")))
	for _, id := range []string{"00u2", "00U1", ""} {
		_, err := s.GetUser(ctx(t), id)
		wantErr(t, "GetUser "+id, err, store.ErrNotFound)
	}
	_, err := s.GetUserByLogin(ctx(t), "bob@example.com")
	wantErr(t, "GetUserByLogin", err, store.ErrNotFound)
}

func testUserUpdate(t *testing.T, s store.Store) {
	orig := fullUser("00u1", "ada@example.com")
	must(t, "CreateUser", s.CreateUser(ctx(t), orig))
	want := store.User{
		ID:                orig.ID,
		Status:            store.UserSuspended,
		Login:             "countess@example.org",
		Email:             "countess+mail@example.org",
		EmailVerified:     false,
		FirstName:         "Augusta Ada",
		LastName:          "King",
		Locale:            "fr_FR",
		ZoneInfo:          "Europe/Paris",
		PasswordHash:      "$argon2id$v=19$new",
		PasswordChangedAt: t0.Add(time.Hour),
		CreatedAt:         orig.CreatedAt,
		UpdatedAt:         t0.Add(time.Hour),
		LastLoginAt:       time.Time{},
		StatusChangedAt:   t0.Add(30 * time.Minute),
		ActivatedAt:       t0.Add(time.Minute),
	}
	got, err := s.UpdateUser(ctx(t), orig.ID, func(old store.User) (store.User, error) {
		same(t, "closure's argument", old, orig)
		return want, nil
	})
	must(t, "UpdateUser", err)
	same(t, "UpdateUser's result", got, want)
	stored, err := s.GetUser(ctx(t), orig.ID)
	must(t, "GetUser", err)
	same(t, "GetUser after UpdateUser", stored, want)
}

func testUserUpdateLoginConflict(t *testing.T, s store.Store) {
	must(t, "CreateUser", s.CreateUser(ctx(t), fullUser("00u1", "ada@example.com")))
	bob := fullUser("00u2", "bob@example.com")
	must(t, "CreateUser", s.CreateUser(ctx(t), bob))
	_, err := s.UpdateUser(ctx(t), bob.ID, func(u store.User) (store.User, error) {
		u.Login = "ADA@example.com"
		u.FirstName = "taken"
		return u, nil
	})
	wantErr(t, "UpdateUser to a taken login", err, store.ErrConflict)
	got, err := s.GetUser(ctx(t), bob.ID)
	must(t, "GetUser", err)
	same(t, "after the refused update", got, bob)
	got, err = s.GetUserByLogin(ctx(t), "ada@example.com")
	must(t, "GetUserByLogin", err)
	if got.ID != "00u1" {
		t.Errorf("the login now belongs to %q, want 00u1", got.ID)
	}
}

func testUserUpdateLogin(t *testing.T, s store.Store) {
	must(t, "CreateUser", s.CreateUser(ctx(t), fullUser("00u1", "ada@example.com")))
	// Changing only the case of one's own login is no conflict.
	_, err := s.UpdateUser(ctx(t), "00u1", func(u store.User) (store.User, error) {
		u.Login = "Ada@Example.com"
		return u, nil
	})
	must(t, "UpdateUser to another case of the same login", err)
	got, err := s.GetUserByLogin(ctx(t), "ada@example.com")
	must(t, "GetUserByLogin", err)
	if got.Login != "Ada@Example.com" {
		t.Errorf("login: got %q, want %q", got.Login, "Ada@Example.com")
	}
	_, err = s.UpdateUser(ctx(t), "00u1", func(u store.User) (store.User, error) {
		u.Login = "countess@example.org"
		return u, nil
	})
	must(t, "UpdateUser to a new login", err)
	_, err = s.GetUserByLogin(ctx(t), "ada@example.com")
	wantErr(t, "GetUserByLogin of the old login", err, store.ErrNotFound)
	if got, err := s.GetUserByLogin(ctx(t), "COUNTESS@example.org"); err != nil || got.ID != "00u1" {
		t.Errorf("GetUserByLogin of the new login: got %q, %v; want 00u1", got.ID, err)
	}
	// The old login is free for someone else.
	must(t, "CreateUser with the freed login", s.CreateUser(ctx(t), fullUser("00u2", "ada@example.com")))
}

func testUserUpdateMissing(t *testing.T, s store.Store) {
	called := false
	_, err := s.UpdateUser(ctx(t), "00u404", func(u store.User) (store.User, error) {
		called = true
		return u, nil
	})
	wantErr(t, "UpdateUser of a missing user", err, store.ErrNotFound)
	if called {
		t.Error("UpdateUser ran the closure for a missing user")
	}
	if _, err := s.GetUser(ctx(t), "00u404"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("UpdateUser of a missing user created it (GetUser: %v)", err)
	}
}

func testUserUpdateAbort(t *testing.T, s store.Store) {
	orig := fullUser("00u1", "ada@example.com")
	must(t, "CreateUser", s.CreateUser(ctx(t), orig))
	_, err := s.UpdateUser(ctx(t), orig.ID, func(u store.User) (store.User, error) {
		u.Login = "changed@example.com"
		u.Status = store.UserLockedOut
		return u, errBoom
	})
	if err != errBoom {
		t.Fatalf("UpdateUser: got error %v, want the closure's error as is", err)
	}
	got, err := s.GetUser(ctx(t), orig.ID)
	must(t, "GetUser", err)
	same(t, "after the aborted update", got, orig)
	_, err = s.GetUserByLogin(ctx(t), "changed@example.com")
	wantErr(t, "GetUserByLogin of the aborted login", err, store.ErrNotFound)
}

func testUserUpdateID(t *testing.T, s store.Store) {
	orig := fullUser("00u1", "ada@example.com")
	must(t, "CreateUser", s.CreateUser(ctx(t), orig))
	got, err := s.UpdateUser(ctx(t), orig.ID, func(u store.User) (store.User, error) {
		u.ID = "00u2"
		u.FirstName = "Moved"
		return u, nil
	})
	must(t, "UpdateUser", err)
	if got.ID != orig.ID || got.FirstName != "Moved" {
		t.Errorf("UpdateUser returned id %q first name %q, want id %q first name Moved", got.ID, got.FirstName, orig.ID)
	}
	stored, err := s.GetUser(ctx(t), orig.ID)
	must(t, "GetUser of the original id", err)
	if stored.FirstName != "Moved" {
		t.Errorf("the update did not reach the original id: first name %q", stored.FirstName)
	}
	_, err = s.GetUser(ctx(t), "00u2")
	wantErr(t, "GetUser of the id the closure set", err, store.ErrNotFound)
}

func testUserPaging(t *testing.T, s store.Store) {
	for _, id := range creationOrder {
		must(t, "CreateUser", s.CreateUser(ctx(t), fullUser(id, id+"@example.com")))
	}
	checkPaging(t, func(p store.Page) ([]store.User, error) { return s.ListUsers(ctx(t), p) })
}
