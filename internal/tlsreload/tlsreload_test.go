package tlsreload_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/latchkey/latchkey/internal/tlsreload"
	"github.com/latchkey/latchkey/internal/tlsreload/tlsreloadtest"
)

func files(t *testing.T) (string, string) {
	dir := t.TempDir()
	return filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
}

func TestNewRefusesABadPair(t *testing.T) {
	t.Parallel()
	a, b := tlsreloadtest.NewPair(t, "a"), tlsreloadtest.NewPair(t, "b")
	certFile, keyFile := files(t)
	cases := map[string]func(){
		"missing files": func() {},
		"key of another certificate": func() {
			a.Write(t, certFile, keyFile)
			if err := os.WriteFile(keyFile, b.KeyPEM, 0o600); err != nil {
				t.Fatal(err)
			}
		},
		"not PEM": func() {
			if err := os.WriteFile(certFile, []byte("hello"), 0o644); err != nil {
				t.Fatal(err)
			}
		},
	}
	for name, prepare := range cases {
		prepare()
		if _, err := tlsreload.New(certFile, keyFile, nil); err == nil {
			t.Errorf("%s: New accepted the pair", name)
		}
	}
	if _, err := tlsreload.New(certFile, "", nil); err == nil {
		t.Error("New accepted a missing key file name")
	}
}

func TestReloadSwapsOrKeeps(t *testing.T) {
	t.Parallel()
	a, b := tlsreloadtest.NewPair(t, "a"), tlsreloadtest.NewPair(t, "b")
	certFile, keyFile := files(t)
	a.Write(t, certFile, keyFile)
	r, err := tlsreload.New(certFile, keyFile, nil)
	if err != nil {
		t.Fatal(err)
	}
	serving := func() string {
		c, err := r.GetCertificate(nil)
		if err != nil {
			t.Fatal(err)
		}
		return c.Leaf.Subject.CommonName
	}
	if got := serving(); got != "a" {
		t.Fatalf("serving %q, want a", got)
	}
	// A half-replaced pair (new certificate, old key) is refused: a stays.
	if err := os.WriteFile(certFile, b.CertPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := r.Reload(); err == nil {
		t.Fatal("Reload accepted a certificate with the key of another")
	}
	if got := serving(); got != "a" {
		t.Fatalf("after a failed reload serving %q, want a", got)
	}
	b.Write(t, certFile, keyFile)
	if err := r.Reload(); err != nil {
		t.Fatal(err)
	}
	if got := serving(); got != "b" {
		t.Fatalf("after reload serving %q, want b", got)
	}
	if cfg := r.Config(); cfg.MinVersion != 0x0303 {
		t.Fatalf("MinVersion %x, want TLS 1.2", cfg.MinVersion)
	}
}
