package app

import (
	"errors"
	"fmt"
	"net"
	"os"

	"github.com/latchkey/latchkey/internal/store/sqlite"
)

// ErrDatabaseNotFound is wrapped by CheckDatabase's error: a SQLite file
// named by --db, LATCHKEY_DB or db: does not exist. Opening it would
// create an empty database, so a misspelt path would look like a
// deployment that lost every record.
var ErrDatabaseNotFound = errors.New("database not found")

// DatabaseFile returns the SQLite file a DSN names, or "" for a PostgreSQL
// URL (and for a DSN OpenStore will refuse on its own).
func DatabaseFile(dsn string) string {
	if IsPostgres(dsn) {
		return ""
	}
	path, err := sqlite.FilePath(dsn)
	if err != nil {
		return ""
	}
	return path
}

// DatabaseExists reports whether the SQLite file a DSN names exists;
// always true for a PostgreSQL URL, which is not a file.
func DatabaseExists(dsn string) (bool, error) {
	path := DatabaseFile(dsn)
	if path == "" {
		return true, nil
	}
	_, err := os.Stat(path)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, os.ErrNotExist):
		return false, nil
	default:
		return false, fmt.Errorf("app: database %s: %w", path, err)
	}
}

// CheckDatabase refuses a SQLite file that does not exist with
// "database not found: PATH". Commands that work on an existing
// deployment call it before anything else, so that a misspelt --db is
// reported as such rather than as a missing master key.
func CheckDatabase(dsn string) error {
	ok, err := DatabaseExists(dsn)
	if err != nil || ok {
		return err
	}
	return fmt.Errorf("%w: %s (check --db, LATCHKEY_DB or db: in the config; only latchkey serve creates a new database)",
		ErrDatabaseNotFound, DatabaseFile(dsn))
}

// CheckBaseURL refuses to listen off loopback without a base URL. Every
// token carries the issuer {base_url}/oauth2/{id}, and the default base
// URL is built from the listen address: http://0.0.0.0:8080 is no address
// a client can reach, and tokens minted under it would not verify once
// base_url is set later. baseURL is the configured value, before any
// default is filled in.
func CheckBaseURL(addr, baseURL string) error {
	if baseURL != "" || isLoopback(addr) {
		return nil
	}
	return fmt.Errorf("base_url must be set when listening on %s: tokens carry the issuer {base_url}/oauth2/{id}, "+
		"and the default built from the listen address is no URL a client can reach "+
		"(set base_url, LATCHKEY_BASE_URL or --base-url to the public URL, e.g. https://auth.example.com)", addr)
}

// isLoopback reports whether addr listens on loopback only: localhost or
// a loopback IP. An empty host listens on every interface.
func isLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		host = addr
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
