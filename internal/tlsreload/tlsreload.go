package tlsreload

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"sync/atomic"
	"time"
)

// Reloader holds the certificate pair being served. It is safe for
// concurrent use.
type Reloader struct {
	certFile, keyFile string
	logger            *slog.Logger
	now               func() time.Time
	cert              atomic.Pointer[tls.Certificate]
}

// New loads the pair from certFile (the certificate, then its chain) and
// keyFile; it fails unless both are readable and the key matches. logger
// receives reload warnings (nil discards them).
func New(certFile, keyFile string, logger *slog.Logger) (*Reloader, error) {
	if certFile == "" || keyFile == "" {
		return nil, errors.New("tlsreload: both a certificate file and a key file are required")
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	r := &Reloader{certFile: certFile, keyFile: keyFile, logger: logger, now: time.Now}
	c, err := r.load()
	if err != nil {
		return nil, err
	}
	r.cert.Store(c)
	return r, nil
}

// load reads and checks the pair.
func (r *Reloader) load() (*tls.Certificate, error) {
	c, err := tls.LoadX509KeyPair(r.certFile, r.keyFile)
	if err != nil {
		return nil, fmt.Errorf("tlsreload: load %s and %s: %w", r.certFile, r.keyFile, err)
	}
	if c.Leaf != nil && r.now().After(c.Leaf.NotAfter) {
		r.logger.Warn("TLS certificate has expired", "cert_file", r.certFile, "not_after", c.Leaf.NotAfter)
	}
	return &c, nil
}

// Reload loads the pair again and serves it from the next handshake on.
// When it fails, the current pair stays, a warning is logged and the error
// returned.
func (r *Reloader) Reload() error {
	c, err := r.load()
	if err != nil {
		r.logger.Warn("TLS certificate reload failed; still serving the previous certificate", "err", err)
		return err
	}
	r.cert.Store(c)
	attrs := []any{"cert_file", r.certFile}
	if c.Leaf != nil {
		attrs = append(attrs, "subject", c.Leaf.Subject.String(), "not_after", c.Leaf.NotAfter)
	}
	r.logger.Info("TLS certificate reloaded", attrs...)
	return nil
}

// Certificate returns the pair being served.
func (r *Reloader) Certificate() *tls.Certificate { return r.cert.Load() }

// GetCertificate is tls.Config's GetCertificate: the pair being served.
func (r *Reloader) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	return r.cert.Load(), nil
}

// Config returns a server tls.Config that serves the current pair, TLS 1.2
// at least.
func (r *Reloader) Config() *tls.Config {
	return &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: r.GetCertificate}
}

// ReloadOn calls Reload whenever the process receives one of sigs (serve
// uses SIGHUP) until ctx is done. The signals are caught from the moment
// ReloadOn returns: sending one before that may end the process. The
// goroutine it starts stops catching them when ctx is done; done is closed
// then.
func (r *Reloader) ReloadOn(ctx context.Context, sigs ...os.Signal) (done <-chan struct{}) {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, sigs...)
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		defer signal.Stop(ch)
		for {
			select {
			case <-ctx.Done():
				return
			case <-ch:
				_ = r.Reload() // logged
			}
		}
	}()
	return finished
}
