package sqlite

import (
	"errors"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pressly/goose/v3"

	"github.com/latchkey/latchkey/internal/store"
	"github.com/latchkey/latchkey/internal/store/sqlstore"
)

// oldDatabase makes a database at schema 7, whose login keys are
// lower(login), holding the users given as id → login.
func oldDatabase(t *testing.T, users [][2]string) string {
	t.Helper()
	ctx := t.Context()
	d, err := parseDSN(filepath.Join(t.TempDir(), "old.db"))
	if err != nil {
		t.Fatal(err)
	}
	db, err := d.openWriter()
	if err != nil {
		t.Fatal(err)
	}
	fsys, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		t.Fatal(err)
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, db, fsys, goose.WithDisableGlobalRegistry(true))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.UpTo(ctx, 7); err != nil {
		t.Fatal(err)
	}
	for _, u := range users {
		if _, err := db.ExecContext(ctx, `INSERT INTO users (id, status, login, login_key, email, email_verified, first_name,
			last_name, locale, zone_info, password_hash, password_changed_at, created_at, updated_at, last_login_at)
			VALUES ($1, 'ACTIVE', $2, lower($2), '', 0, '', '', '', '', '', 0, 1, 1, 0)`, u[0], u[1]); err != nil {
			t.Fatal(err)
		}
	}
	// The guard's counters of a login whose key changes, and of one whose key stays.
	for _, k := range []string{"ａdmin", "ada@example.com"} {
		if _, err := db.ExecContext(ctx, `INSERT INTO login_counters VALUES ($1, '', 3, 0, 0, 1)`, k); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	return d.path
}

// TestRekeyLogins: opening a database keyed by lower() recomputes every
// key with the PRECIS normalisation once, so that look-alikes find the
// user, and drops the counters whose key changed.
func TestRekeyLogins(t *testing.T) {
	ctx := t.Context()
	path := oldDatabase(t, [][2]string{{"00u1", "ＡＤＡ@example.com"}, {"00u2", "jose\u0301"}, {"00u3", "ad\u200bmin"}})
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for login, id := range map[string]string{"ada@example.com": "00u1", "ＡＤＡ@EXAMPLE.COM": "00u1", "josé": "00u2", "JOSÉ": "00u2", "ad\u200bmin": "00u3"} {
		u, err := s.GetUserByLogin(ctx, login)
		if err != nil || u.ID != id {
			t.Errorf("GetUserByLogin(%q) = %s, %v; want %s", login, u.ID, err, id)
		}
	}
	if _, err := s.GetUserByLogin(ctx, "admin"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("admin finds the legacy zero-width login: %v", err)
	}
	if c, _ := s.ListLoginCounters(ctx, "ａdmin"); len(c) != 0 {
		t.Errorf("a counter under a stale key survived: %v", c)
	}
	if c, _ := s.ListLoginCounters(ctx, "ada@example.com"); len(c) != 1 {
		t.Errorf("a counter whose key stays was dropped: %v", c)
	}
	d, _ := parseDSN(path)
	db, err := d.openWriter()
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var version string
	if err := db.QueryRowContext(ctx, `SELECT version FROM login_key_version`).Scan(&version); err != nil || version != store.LoginNormalization {
		t.Errorf("version %q %v, want %q", version, err, store.LoginNormalization)
	}
}

// TestRekeyCollision: two users whose logins were distinct under lower()
// and are one login under PRECIS stop the database from opening, with an
// error naming both, and nothing changes; once an operator renames one,
// it opens.
func TestRekeyCollision(t *testing.T) {
	ctx := t.Context()
	path := oldDatabase(t, [][2]string{{"00uA", "admin"}, {"00uB", "ａdmin"}, {"00uC", "jose\u0301"}, {"00uD", "José"}, {"00uE", "ada"}})
	_, err := Open(ctx, path)
	var ce *sqlstore.LoginCollisionError
	if !errors.As(err, &ce) {
		t.Fatalf("open: %v, want a *LoginCollisionError", err)
	}
	for _, want := range []string{"users 00uA and 00uB", "users 00uC and 00uD", "will not start"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "admin") {
		t.Errorf("error %q holds a login", err)
	}
	// Still refused: nothing was recorded as done.
	if _, err := Open(ctx, path); !errors.As(err, &ce) {
		t.Fatalf("second open: %v", err)
	}
	d, _ := parseDSN(path)
	db, err := d.openWriter()
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{`UPDATE users SET login = 'admin2' WHERE id = '00uB'`, `DELETE FROM users WHERE id = '00uD'`} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatalf("open after the operator's fix: %v", err)
	}
	defer s.Close()
	if u, err := s.GetUserByLogin(ctx, "ＡＤＭＩＮ2"); err != nil || u.ID != "00uB" {
		t.Errorf("renamed user: %s %v", u.ID, err)
	}
}
