package main

import (
	"os"
	"testing"

	"github.com/latchkey/latchkey/internal/keys/keystest"
	"github.com/latchkey/latchkey/internal/password"
	"github.com/latchkey/latchkey/internal/store/postgres/pgtest"
)

// pg is the throwaway PostgreSQL server of this test binary.
var pg *pgtest.Server

// TestMain lets a test run this very binary as the latchkey command (with
// LATCHKEY_TEST_RUN_MAIN=1 and the command's arguments after "--"), to see
// its exit status and its stderr as a user would. Otherwise it starts a
// throwaway PostgreSQL for the tests (package pgtest).
func TestMain(m *testing.M) {
	// Passwords are hashed at a test cost, not OWASP's (19 MiB, 2 passes),
	// by the tests and by this binary run as the command: under the race
	// detector the production cost was most of the package's CPU time. A
	// configuration with other parameters keeps them.
	password.SetDefaultParamsForTests(password.Params{MemoryKiB: 64, Iterations: 1, Parallelism: 1, SaltLen: 16, KeyLen: 32})
	if os.Getenv("LATCHKEY_TEST_RUN_MAIN") == "1" {
		for i, a := range os.Args {
			if a == "--" {
				os.Args = append([]string{"latchkey"}, os.Args[i+1:]...)
				break
			}
		}
		main()
		os.Exit(0)
	}
	keystest.Install()
	os.Exit(pgtest.Main(m, &pg))
}
