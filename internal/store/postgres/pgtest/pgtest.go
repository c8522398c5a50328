// Package pgtest runs a throwaway PostgreSQL server for a test binary: a
// private cluster in a temporary directory, listening on 127.0.0.1 and a
// unix socket inside that directory, with a fresh database per test.
//
// Use it from TestMain:
//
//	var pg *pgtest.Server
//
//	func TestMain(m *testing.M) { os.Exit(pgtest.Main(m, &pg)) }
//
//	func TestX(t *testing.T) { dsn := pg.NewDatabase(t); … }
//
// NewMigratedDatabase gives a database with the schema already in place,
// copied from a template migrated once.
//
// The machine's PostgreSQL binaries are used (LATCHKEY_PG_BINDIR, else
// `pg_config --bindir`, else the newest /usr/lib/postgresql/*/bin, else
// PATH). PostgreSQL refuses to run as root, so a test binary running as
// root runs initdb and the server as the user nobody, which owns the
// temporary directory. The server is a child of the test binary that gets
// SIGQUIT if the binary dies, and Main stops it and removes the directory.
//
// If the server cannot start, Main fails the whole binary and says why: a
// PostgreSQL test is never skipped silently. Setting LATCHKEY_SKIP_POSTGRES=1
// is the one way to skip them (for developers without PostgreSQL).
package pgtest

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver
)

// SkipEnv is the environment variable that, set to 1, skips PostgreSQL
// tests instead of failing them when no server can start.
const SkipEnv = "LATCHKEY_SKIP_POSTGRES"

// Server is a running throwaway PostgreSQL cluster.
type Server struct {
	dir    string // temporary directory: data/, the socket, server.log
	bin    string // directory of the PostgreSQL binaries
	cred   *syscall.Credential
	port   int
	cmd    *exec.Cmd
	exited chan struct{}
	admin  *sql.DB // to the postgres database, for CREATE DATABASE
	n      atomic.Int64
	tmpl   struct { // the migrated template of NewMigratedDatabase
		once sync.Once
		name string
		err  error
	}
}

// Main starts a server into *srv, runs the tests and stops the server; it
// returns the exit code for os.Exit. With LATCHKEY_SKIP_POSTGRES=1 it
// starts nothing, and NewDatabase skips the tests that call it.
func Main(m *testing.M, srv **Server) int {
	if os.Getenv(SkipEnv) == "1" {
		return m.Run()
	}
	s, err := Start(context.Background())
	if err != nil {
		fmt.Fprintf(os.Stderr, "FAIL: cannot start a throwaway PostgreSQL for the tests: %v\n"+
			"Install PostgreSQL (Debian: apt-get install postgresql) or set %s=1 to skip these tests.\n", err, SkipEnv)
		return 1
	}
	*srv = s
	code := m.Run()
	if err := s.Stop(); err != nil {
		fmt.Fprintf(os.Stderr, "pgtest: stop: %v\n", err)
		if code == 0 {
			code = 1
		}
	}
	return code
}

// Start initialises a cluster in a new temporary directory and starts its
// server; it returns once the server accepts connections.
func Start(ctx context.Context) (_ *Server, err error) {
	bin, err := BinDir()
	if err != nil {
		return nil, err
	}
	cred, err := credential()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "latchkey-pg-")
	if err != nil {
		return nil, err
	}
	s := &Server{dir: dir, bin: bin, cred: cred}
	defer func() {
		if err != nil {
			_ = s.Stop()
		}
	}()
	if cred != nil {
		// os.MkdirTemp made dir 0700 and root's: hand it to the server's user.
		if err := os.Chown(dir, int(cred.Uid), int(cred.Gid)); err != nil {
			return nil, err
		}
	}
	initdb := exec.CommandContext(ctx, filepath.Join(bin, "initdb"), "-D", s.data(), "-U", "postgres",
		"-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions")
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	initdb.Env = append(os.Environ(), "LC_ALL=C")
	if out, err := initdb.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("initdb: %w\n%s", err, out)
	}
	for attempt := 0; ; attempt++ {
		err := s.startServer(ctx, 0)
		if err == nil {
			break
		}
		if attempt == 2 {
			return nil, err
		}
	}
	return s, nil
}

// startServer starts postgres on port (a free one when 0) and waits until
// it answers.
func (s *Server) startServer(ctx context.Context, port int) error {
	bin, cred := s.bin, s.cred
	if port == 0 {
		var err error
		if port, err = freePort(); err != nil {
			return err
		}
	}
	logFile, err := os.OpenFile(filepath.Join(s.dir, "server.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	defer logFile.Close()
	cmd := exec.Command(filepath.Join(bin, "postgres"), "-D", s.data(),
		"-h", "127.0.0.1", "-p", strconv.Itoa(port), "-k", s.dir,
		// A throwaway cluster: durability buys nothing here.
		"-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
		"-c", "max_connections=300", "-c", "shared_buffers=128MB")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Pdeathsig: syscall.SIGQUIT}
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	s.cmd, s.port, s.exited = cmd, port, make(chan struct{})
	go func() { _ = cmd.Wait(); close(s.exited) }()

	admin, err := sql.Open("pgx", s.dsn("postgres"))
	if err != nil {
		return err
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		pctx, cancel := context.WithTimeout(ctx, time.Second)
		err = admin.PingContext(pctx)
		cancel()
		if err == nil {
			s.admin = admin
			return nil
		}
		select {
		case <-s.exited:
			_ = admin.Close()
			s.cmd = nil
			return fmt.Errorf("postgres exited at start: %s", s.logTail())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			_ = admin.Close()
			return fmt.Errorf("postgres did not accept connections within 30s: %v\n%s", err, s.logTail())
		}
	}
}

// Restart stops the server with a fast shutdown (SIGINT: open sessions are
// cut, as in an operator's restart or a failover), keeps it down for down,
// and starts it again on the same port and data directory. It returns once
// the server accepts connections again. Databases and their data survive.
// Tests that call it must not run in parallel with other tests of the
// same binary, which would see the outage.
func (s *Server) Restart(ctx context.Context, down time.Duration) error {
	if s.cmd == nil {
		return errors.New("pgtest: restart: the server is not running")
	}
	if s.admin != nil {
		_ = s.admin.Close()
		s.admin = nil
	}
	_ = s.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-s.exited:
	case <-time.After(30 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.exited
	}
	s.cmd = nil
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(down):
	}
	return s.startServer(ctx, s.port)
}

// Stop stops the server (fast shutdown) and removes its directory.
func (s *Server) Stop() error {
	var errs []error
	if s.admin != nil {
		errs = append(errs, s.admin.Close())
		s.admin = nil
	}
	if s.cmd != nil {
		_ = s.cmd.Process.Signal(syscall.SIGINT)
		select {
		case <-s.exited:
		case <-time.After(30 * time.Second):
			_ = s.cmd.Process.Kill()
			<-s.exited
			errs = append(errs, errors.New("postgres did not stop within 30s; killed"))
		}
		s.cmd = nil
	}
	if s.dir != "" {
		errs = append(errs, os.RemoveAll(s.dir))
		s.dir = ""
	}
	return errors.Join(errs...)
}

// NewDatabase creates an empty database for t (from template0, so tests
// never see each other's data) and returns its DSN; the database is
// dropped when t ends, after the cleanups t registers later (its stores).
// Without a server (LATCHKEY_SKIP_POSTGRES=1), it skips t.
func (s *Server) NewDatabase(t testing.TB) string {
	t.Helper()
	if s == nil {
		if os.Getenv(SkipEnv) == "1" {
			t.Skip("PostgreSQL tests skipped: " + SkipEnv + "=1")
		}
		t.Fatal("pgtest: no server: call pgtest.Main from TestMain")
	}
	return s.createDatabase(t, "template0")
}

// NewMigratedDatabase is NewDatabase with a schema: the database is a copy
// (CREATE DATABASE … TEMPLATE) of a template database that migrate brought
// up to date once per server, which costs a fraction of migrating every
// test's database. migrate is postgres.Migrate (pgtest cannot import the
// package it tests); every call on one server must pass the same function.
// Tests of the migrations themselves use NewDatabase.
func (s *Server) NewMigratedDatabase(t testing.TB, migrate func(ctx context.Context, dsn string) ([]int64, error)) string {
	t.Helper()
	if s == nil {
		return s.NewDatabase(t) // skips or fails with NewDatabase's message
	}
	ctx := context.Background()
	s.tmpl.once.Do(func() {
		name := fmt.Sprintf("tmpl%d", os.Getpid())
		if _, err := s.admin.ExecContext(ctx, `CREATE DATABASE `+name+` TEMPLATE template0`); err != nil {
			s.tmpl.err = err
			return
		}
		if _, err := migrate(ctx, s.dsn(name)); err != nil {
			s.tmpl.err = err
			return
		}
		// No one connects to the template again: CREATE DATABASE refuses a
		// template that has sessions.
		if _, err := s.admin.ExecContext(ctx, `ALTER DATABASE `+name+` WITH ALLOW_CONNECTIONS false`); err != nil {
			s.tmpl.err = err
			return
		}
		s.tmpl.name = name
	})
	if s.tmpl.err != nil {
		t.Fatalf("pgtest: migrate the template database: %v", s.tmpl.err)
	}
	return s.createDatabase(t, s.tmpl.name)
}

// createDatabase creates a database for t as a copy of template, dropped
// when t ends, and returns its DSN.
func (s *Server) createDatabase(t testing.TB, template string) string {
	t.Helper()
	name := fmt.Sprintf("t%d_%d", os.Getpid(), s.n.Add(1))
	ctx := context.Background()
	if _, err := s.admin.ExecContext(ctx, `CREATE DATABASE `+name+` TEMPLATE `+template); err != nil {
		t.Fatalf("pgtest: create database: %v", err)
	}
	t.Cleanup(func() {
		if _, err := s.admin.ExecContext(ctx, `DROP DATABASE `+name+` WITH (FORCE)`); err != nil {
			t.Errorf("pgtest: drop database %s: %v", name, err)
		}
	})
	return s.dsn(name)
}

// dsn is the URL of database name over TCP.
func (s *Server) dsn(name string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", s.port, name)
}

func (s *Server) data() string { return filepath.Join(s.dir, "data") }

// logTail is the end of the server's log, for error messages.
func (s *Server) logTail() string {
	b, _ := os.ReadFile(filepath.Join(s.dir, "server.log"))
	lines := bytes.Split(bytes.TrimSpace(b), []byte("\n"))
	return string(bytes.Join(lines[max(0, len(lines)-20):], []byte("\n")))
}

// BinDir finds the directory holding initdb and postgres.
func BinDir() (string, error) {
	var candidates []string
	if d := os.Getenv("LATCHKEY_PG_BINDIR"); d != "" {
		candidates = append(candidates, d)
	}
	if out, err := exec.Command("pg_config", "--bindir").Output(); err == nil {
		candidates = append(candidates, strings.TrimSpace(string(out)))
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	slices.SortFunc(dirs, func(a, b string) int { return version(b) - version(a) }) // newest first
	candidates = append(candidates, dirs...)
	if p, err := exec.LookPath("postgres"); err == nil {
		candidates = append(candidates, filepath.Dir(p))
	}
	for _, d := range candidates {
		if isExec(filepath.Join(d, "initdb")) && isExec(filepath.Join(d, "postgres")) {
			return d, nil
		}
	}
	return "", fmt.Errorf("no PostgreSQL server binaries (initdb, postgres) in %v", candidates)
}

// version is the major version in a /usr/lib/postgresql/N/bin path.
func version(dir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(dir)))
	return n
}

func isExec(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0
}

// credential is who runs PostgreSQL: nil (this process's user) unless this
// process is root, which PostgreSQL refuses; then the user nobody.
func credential() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("nobody")
	if err != nil {
		return nil, fmt.Errorf("running as root and no user nobody to run PostgreSQL as: %w", err)
	}
	uid, err := strconv.ParseUint(u.Uid, 10, 32)
	if err != nil {
		return nil, err
	}
	gid, err := strconv.ParseUint(u.Gid, 10, 32)
	if err != nil {
		return nil, err
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: []uint32{}}, nil
}

// freePort asks the kernel for a free TCP port on 127.0.0.1.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
