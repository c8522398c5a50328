package keys_test

import (
	"os"
	"testing"

	"github.com/latchkey/latchkey/internal/keys/keystest"
)

// TestMain makes the RSA keys of this test binary come from the pool of
// package keystest: generating 2048-bit keys under the race detector was
// most of the package's test time. The hook is process-wide, so the
// internal tests (package keys) get pool keys too; TestNewRSAKeyIsReal
// checks the real generation the server uses.
func TestMain(m *testing.M) {
	keystest.Install()
	os.Exit(m.Run())
}
