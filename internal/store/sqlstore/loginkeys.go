package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/latchkey/latchkey/internal/store"
)

// LoginCollisionError is why a database whose logins were keyed by an
// earlier normalisation cannot be opened: under store.NormalizeLogin, the
// users UserIDs (two or more) have one login. Nothing is changed until an
// operator renames or deletes all but one of them; the logins themselves
// are left out of the message, which reaches logs.
type LoginCollisionError struct {
	Engine   string     // "sqlite" or "postgres"
	Database string     // the SQLite file, or the PostgreSQL database's name: never a DSN, which may hold a password
	UserIDs  [][]string // each entry: the ids of users sharing one login
}

func (e *LoginCollisionError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s: logins that were distinct are one login under %s (RFC 8265 PRECIS UsernameCaseMapped): ",
		e.Engine, e.Database, store.LoginNormalization)
	for i, ids := range e.UserIDs {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString("users " + strings.Join(ids, " and "))
	}
	b.WriteString(". Latchkey will not start until each group is down to one user: give the others another login " +
		"(UPDATE users SET login = 'NEW' WHERE id = 'ID') or delete them, then start again (docs/users.md)")
	return b.String()
}

// RekeyLogins recomputes users.login_key with store.NormalizeLogin when
// the keys were computed by another normalisation (the one recorded in
// login_key_version), and records the current one: a backend runs it after
// its migrations, once per database and again only when the normalisation
// changes (a new Unicode version, say). It works in tx, which the caller
// begins under its migration lock and commits. A collision is a
// *LoginCollisionError and changes nothing. The login guard's counters
// whose key changes are dropped: their failure counts and known sources
// restart. engine and database name the database in errors.
func RekeyLogins(ctx context.Context, tx *sql.Tx, engine, database string) error {
	var version string
	if err := tx.QueryRowContext(ctx, `SELECT version FROM login_key_version WHERE id = 1`).Scan(&version); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%s: %s: rekey logins: %w", engine, database, err)
	}
	if version == store.LoginNormalization {
		return nil
	}
	changed, err := newLoginKeys(ctx, tx, engine, database)
	if err != nil {
		return err
	}
	// Two steps, so that the unique index never sees two users with one
	// key while keys move between them: first a key no login has (it holds
	// a space), then the new one.
	for _, step := range []func(id, key string) string{
		func(id, _ string) string { return " rekey " + id },
		func(_, key string) string { return key },
	} {
		for id, key := range changed {
			if _, err := tx.ExecContext(ctx, `UPDATE users SET login_key = $1 WHERE id = $2`, step(id, key), id); err != nil {
				return fmt.Errorf("%s: %s: rekey user %s: %w", engine, database, id, err)
			}
		}
	}
	if err := dropRekeyedCounters(ctx, tx); err != nil {
		return fmt.Errorf("%s: %s: rekey login counters: %w", engine, database, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO login_key_version (id, version) VALUES (1, $1)
		ON CONFLICT (id) DO UPDATE SET version = excluded.version`, store.LoginNormalization); err != nil {
		return fmt.Errorf("%s: %s: rekey logins: %w", engine, database, err)
	}
	return nil
}

// newLoginKeys returns the users whose key changes, with their new key, or
// a *LoginCollisionError.
func newLoginKeys(ctx context.Context, tx *sql.Tx, engine, database string) (map[string]string, error) {
	rows, err := tx.QueryContext(ctx, `SELECT id, login, login_key FROM users ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("%s: %s: rekey logins: %w", engine, database, err)
	}
	defer rows.Close()
	owners := map[string][]string{}
	changed := map[string]string{}
	for rows.Next() {
		var id, login, old string
		if err := rows.Scan(&id, &login, &old); err != nil {
			return nil, fmt.Errorf("%s: %s: rekey logins: %w", engine, database, err)
		}
		key := store.NormalizeLogin(login)
		owners[key] = append(owners[key], id)
		if key != old {
			changed[id] = key
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s: %s: rekey logins: %w", engine, database, err)
	}
	var clash [][]string
	for _, ids := range owners {
		if len(ids) > 1 {
			clash = append(clash, ids)
		}
	}
	if len(clash) > 0 {
		slices.SortFunc(clash, func(a, b []string) int { return strings.Compare(a[0], b[0]) })
		return nil, &LoginCollisionError{Engine: engine, Database: database, UserIDs: clash}
	}
	return changed, nil
}

// dropRekeyedCounters deletes the login guard's counters whose key is not
// what store.NormalizeLogin makes of it.
func dropRekeyedCounters(ctx context.Context, tx *sql.Tx) error {
	rows, err := tx.QueryContext(ctx, `SELECT DISTINCT login_key FROM login_counters`)
	if err != nil {
		return err
	}
	var stale []string
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			rows.Close()
			return err
		}
		if store.NormalizeLogin(k) != k {
			stale = append(stale, k)
		}
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return err
	}
	for _, k := range stale {
		if _, err := tx.ExecContext(ctx, `DELETE FROM login_counters WHERE login_key = $1`, k); err != nil {
			return err
		}
	}
	return nil
}
