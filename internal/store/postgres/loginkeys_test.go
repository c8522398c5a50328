package postgres_test

import (
	"database/sql"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/pressly/goose/v3"

	"github.com/latchkey/latchkey/internal/store/postgres"
	"github.com/latchkey/latchkey/internal/store/sqlstore"
)

// oldDatabase makes a database at schema 7, whose login keys are
// lower(login), holding the users given as id → login.
func oldDatabase(t *testing.T, users [][2]string) string {
	t.Helper()
	ctx := t.Context()
	dsn := pg.NewDatabase(t)
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	p, err := goose.NewProvider(goose.DialectPostgres, db, os.DirFS("migrations"), goose.WithDisableGlobalRegistry(true))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.UpTo(ctx, 7); err != nil {
		t.Fatal(err)
	}
	for _, u := range users {
		if _, err := db.ExecContext(ctx, `INSERT INTO users (id, status, login, login_key, email, email_verified, first_name,
			last_name, locale, zone_info, password_hash, password_changed_at, created_at, updated_at, last_login_at)
			VALUES ($1, 'ACTIVE', $2, lower($2), '', false, '', '', '', '', '', 0, 1, 1, 0)`, u[0], u[1]); err != nil {
			t.Fatal(err)
		}
	}
	return dsn
}

// TestRekeyLogins: as on SQLite, opening a database keyed by lower()
// recomputes every key with the PRECIS normalisation once.
func TestRekeyLogins(t *testing.T) {
	dsn := oldDatabase(t, [][2]string{{"00u1", "ＡＤＡ@example.com"}, {"00u2", "jose\u0301"}})
	s := open(t, dsn)
	for login, id := range map[string]string{"ada@example.com": "00u1", "ＡＤＡ@EXAMPLE.COM": "00u1", "josé": "00u2", "JOSÉ": "00u2"} {
		u, err := s.GetUserByLogin(t.Context(), login)
		if err != nil || u.ID != id {
			t.Errorf("GetUserByLogin(%q) = %s, %v; want %s", login, u.ID, err, id)
		}
	}
}

// TestRekeyCollision: logins that become one refuse the database, naming
// the users and not the logins, and change nothing.
func TestRekeyCollision(t *testing.T) {
	dsn := oldDatabase(t, [][2]string{{"00uA", "admin"}, {"00uB", "ａdmin"}})
	_, err := postgres.Open(t.Context(), dsn, postgres.Options{})
	var ce *sqlstore.LoginCollisionError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "users 00uA and 00uB") || strings.Contains(err.Error(), "admin") {
		t.Fatalf("open: %v, want a *LoginCollisionError naming the users only", err)
	}
	if _, err := postgres.Open(t.Context(), dsn, postgres.Options{}); !errors.As(err, &ce) {
		t.Fatalf("second open: %v", err)
	}
}
