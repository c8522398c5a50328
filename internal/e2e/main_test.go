package e2e

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"

	"github.com/latchkey/latchkey/internal/keys/keystest"
	"github.com/latchkey/latchkey/internal/store/postgres/pgtest"
)

// TestMain runs the package's tests and benchmarks, then stops the
// throwaway PostgreSQL server if one of them started it (pgDatabase). The
// server starts only when a test or benchmark asks for it, so the e2e
// tests, which all run on SQLite, pay nothing for it.
func TestMain(m *testing.M) {
	keystest.Install()
	code := m.Run()
	if pg.srv != nil {
		if err := pg.srv.Stop(); err != nil {
			fmt.Fprintf(os.Stderr, "pgtest: stop: %v\n", err)
			if code == 0 {
				code = 1
			}
		}
	}
	os.Exit(code)
}

// pg is the package's throwaway PostgreSQL server, started on first use.
var pg struct {
	once sync.Once
	srv  *pgtest.Server
	err  error
}

// pgDatabase returns the DSN of a fresh PostgreSQL database for t, starting
// the package's throwaway server on first use. If the server cannot start,
// t fails and says why, unless LATCHKEY_SKIP_POSTGRES=1, which skips t.
func pgDatabase(t testing.TB) string {
	t.Helper()
	if os.Getenv(pgtest.SkipEnv) == "1" {
		t.Skip("PostgreSQL skipped: " + pgtest.SkipEnv + "=1")
	}
	pg.once.Do(func() { pg.srv, pg.err = pgtest.Start(context.Background()) })
	if pg.err != nil {
		t.Fatalf("cannot start a throwaway PostgreSQL: %v\n"+
			"Install PostgreSQL (Debian: apt-get install postgresql) or set %s=1 to skip.", pg.err, pgtest.SkipEnv)
	}
	return pg.srv.NewDatabase(t)
}
