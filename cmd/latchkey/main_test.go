package main

import (
	"os"
	"testing"

	"github.com/latchkey/latchkey/internal/keys/keystest"
	"github.com/latchkey/latchkey/internal/store/postgres/pgtest"
)

// pg is the throwaway PostgreSQL server of this test binary.
var pg *pgtest.Server

// TestMain lets a test run this very binary as the latchkey command (with
// LATCHKEY_TEST_RUN_MAIN=1 and the command's arguments after "--"), to see
// its exit status and its stderr as a user would. Otherwise it starts a
// throwaway PostgreSQL for the tests (package pgtest).
func TestMain(m *testing.M) {
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
