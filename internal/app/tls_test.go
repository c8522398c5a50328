package app_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"path/filepath"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/app"
	"github.com/latchkey/latchkey/internal/config"
	"github.com/latchkey/latchkey/internal/keys"
	"github.com/latchkey/latchkey/internal/tlsreload/tlsreloadtest"
)

// TestServeTLSReload serves HTTPS on 127.0.0.1:0, then replaces the pair
// on disk and reloads it the way SIGHUP does: a connection kept alive from
// before goes on with the old certificate, a new connection gets the new
// one, and every answer carries HSTS.
func TestServeTLSReload(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	a1, b1 := tlsreloadtest.NewPair(t, "first"), tlsreloadtest.NewPair(t, "second")
	cfg := config.Default()
	cfg.DB = filepath.Join(dir, "latchkey.db")
	cfg.MasterKeyFile = filepath.Join(dir, "master.key")
	cfg.TLS.CertFile, cfg.TLS.KeyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	cfg.Password.MemoryKiB, cfg.Password.Iterations = 64, 1
	a1.Write(t, cfg.TLS.CertFile, cfg.TLS.KeyFile)
	if _, err := keys.CreateMasterKeyFile(cfg.MasterKeyFile); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Addr = ln.Addr().String()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	if cfg.BaseURL != "https://"+cfg.Addr {
		t.Fatalf("base_url %q, want https://%s", cfg.BaseURL, cfg.Addr)
	}
	ctx, cancel := context.WithCancel(context.Background())
	a, err := app.Open(ctx, cfg, app.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	certs, err := a.LoadTLS()
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- a.ServeTLS(ctx, ln, certs, 5*time.Second) }()
	defer func() {
		cancel()
		if err := <-served; err != nil {
			t.Errorf("ServeTLS: %v", err)
		}
	}()

	roots := x509.NewCertPool()
	roots.AddCert(a1.Cert)
	roots.AddCert(b1.Cert)
	client := func() *http.Client {
		return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}}}
	}
	// get answers /healthz and says which certificate served it and
	// whether the connection was one kept alive.
	get := func(c *http.Client) (name string, reused bool) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, cfg.BaseURL+"/healthz", nil)
		req = req.WithContext(httptrace.WithClientTrace(req.Context(), &httptrace.ClientTrace{
			GotConn: func(info httptrace.GotConnInfo) { reused = info.Reused },
		}))
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		_, _ = io.Copy(io.Discard, resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET /healthz: %d", resp.StatusCode)
		}
		if h := resp.Header.Get("Strict-Transport-Security"); h != "max-age=31536000" {
			t.Fatalf("Strict-Transport-Security %q, want max-age=31536000", h)
		}
		if resp.TLS == nil || resp.TLS.Version < tls.VersionTLS12 {
			t.Fatalf("not TLS 1.2 or later: %+v", resp.TLS)
		}
		return resp.TLS.PeerCertificates[0].Subject.CommonName, reused
	}

	old := client()
	if name, _ := get(old); name != "first" {
		t.Fatalf("served %q, want first", name)
	}
	b1.Write(t, cfg.TLS.CertFile, cfg.TLS.KeyFile)
	if err := certs.Reload(); err != nil {
		t.Fatal(err)
	}
	if name, reused := get(old); name != "first" || !reused {
		t.Fatalf("kept-alive connection after reload: served %q, reused %v; want first on the same connection", name, reused)
	}
	if name, reused := get(client()); name != "second" || reused {
		t.Fatalf("new connection after reload: served %q, reused %v; want second", name, reused)
	}

	// TLS 1.1 is refused.
	conn, err := tls.Dial("tcp", cfg.Addr, &tls.Config{RootCAs: roots, MaxVersion: tls.VersionTLS11})
	if err == nil {
		conn.Close()
		t.Fatal("a TLS 1.1 handshake succeeded")
	}
}

// TestLoadTLSRefusesAMismatchedPair: serve checks the pair before it listens.
func TestLoadTLSRefusesAMismatchedPair(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg := config.Default()
	cfg.DB = filepath.Join(dir, "latchkey.db")
	cfg.MasterKeyFile = filepath.Join(dir, "master.key")
	cfg.TLS.CertFile, cfg.TLS.KeyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	tlsreloadtest.NewPair(t, "cert").Write(t, cfg.TLS.CertFile, filepath.Join(dir, "unused.pem"))
	tlsreloadtest.NewPair(t, "other").Write(t, filepath.Join(dir, "unused-cert.pem"), cfg.TLS.KeyFile)
	if _, err := keys.CreateMasterKeyFile(cfg.MasterKeyFile); err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	a, err := app.Open(context.Background(), cfg, app.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if _, err := a.LoadTLS(); err == nil {
		t.Fatal("LoadTLS accepted a key that does not match the certificate")
	}
}
