//go:build unix

package tlsreload_test

import (
	"context"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/tlsreload"
	"github.com/latchkey/latchkey/internal/tlsreload/tlsreloadtest"
)

// TestReloadOnSIGHUP sends a real SIGHUP to the test process. It is safe:
// ReloadOn has registered for SIGHUP before it returns, so the signal goes
// to its channel instead of ending the process, and the test waits for the
// reload before it stops catching.
func TestReloadOnSIGHUP(t *testing.T) {
	a, b := tlsreloadtest.NewPair(t, "a"), tlsreloadtest.NewPair(t, "b")
	certFile, keyFile := files(t)
	a.Write(t, certFile, keyFile)
	r, err := tlsreload.New(certFile, keyFile, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := r.ReloadOn(ctx, syscall.SIGHUP)
	defer func() { cancel(); <-done }()

	b.Write(t, certFile, keyFile)
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for r.Certificate().Leaf.Subject.CommonName != "b" {
		if time.Now().After(deadline) {
			t.Fatal("SIGHUP did not reload the pair within 10 s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
