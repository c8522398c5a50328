package oauth

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// RemoteJWKSConfig tunes a RemoteJWKS; zero fields take the defaults.
type RemoteJWKSConfig struct {
	// AllowInsecure permits http URLs and loopback and private (RFC 1918,
	// RFC 4193) addresses, for development and tests only. Link-local
	// (the cloud metadata address), multicast and unspecified addresses
	// stay refused. Config: clients.allow_insecure_jwks_uri.
	AllowInsecure bool
	// Resolver resolves the URL's host (default net.DefaultResolver).
	Resolver Resolver
	// Dial connects to an address once it was checked (default a
	// net.Dialer whose Control checks the address again).
	Dial DialFunc
	// RootCAs verify the servers' certificates (default the system's).
	RootCAs *x509.CertPool
	// Timeout bounds one fetch (default 5 seconds).
	Timeout time.Duration
	// MinTTL is the floor of the time a fetched set is cached, whatever its
	// Cache-Control says (default 5 minutes).
	MinTTL time.Duration
	// MaxTTL caps it, so that a key the client withdraws is dropped within
	// that time (default 24 hours).
	MaxTTL time.Duration
	// DefaultTTL applies when the response has no max-age (default 1 hour).
	DefaultTTL time.Duration
	// RefetchInterval is the least time between two fetches of one URL:
	// an assertion naming an unknown kid refetches the set at most this
	// often, so a stream of forged kids cannot make Latchkey flood the
	// client's server; a failed fetch is retried no sooner (default 1 minute).
	RefetchInterval time.Duration
	// MaxEntries bounds the number of URLs cached (default 1024).
	MaxEntries int
	Now        func() time.Time
}

// RemoteJWKS fetches and caches the key sets that private_key_jwt clients
// publish at a URL (store.Client.JWKSURI). It is safe for concurrent use.
//
// A set is used while fresh (Cache-Control max-age, bounded by MinTTL and
// MaxTTL); after that, or when an assertion names a kid the set lacks, it
// is fetched again, at most once per RefetchInterval. A set that cannot be
// refreshed is not used past its expiry: client authentication fails
// closed. At most one fetch per URL is in flight; it runs with the
// caller's context values but not its cancellation, bounded by Timeout, so
// that a caller giving up does not fail the others waiting for it.
//
// A jwks_uri is chosen by whoever registers the client, so every fetch is
// guarded against server-side request forgery (jwks_dial.go): https only,
// public addresses only, checked on the address dialled, no proxy, and
// redirects only on the same host over https. Callers fetch only for an
// active private_key_jwt client named by an assertion that passed the
// claim checks (checkAssertion).
type RemoteJWKS struct {
	client *http.Client
	cfg    RemoteJWKSConfig

	mu   sync.Mutex
	sets map[string]*remoteSet
}

// remoteSet is the cache entry of one URL; guarded by RemoteJWKS.mu.
type remoteSet struct {
	keys        []clientKey
	expiry      time.Time // keys are usable before expiry
	lastAttempt time.Time // start of the latest fetch
	lastErr     error     // error of the latest fetch; nil after a success
	inflight    chan struct{}
}

// NewRemoteJWKS returns an empty cache.
func NewRemoteJWKS(cfg RemoteJWKSConfig) *RemoteJWKS {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&cfg.Timeout, 5*time.Second)
	def(&cfg.MinTTL, 5*time.Minute)
	def(&cfg.MaxTTL, 24*time.Hour)
	def(&cfg.DefaultTTL, time.Hour)
	def(&cfg.RefetchInterval, time.Minute)
	cfg.MaxTTL = max(cfg.MaxTTL, cfg.MinTTL)
	if cfg.MaxEntries <= 0 {
		cfg.MaxEntries = 1024
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	client := &http.Client{
		Transport:     newJWKSTransport(cfg),
		CheckRedirect: checkRedirect(cfg.AllowInsecure),
		Timeout:       cfg.Timeout,
	}
	return &RemoteJWKS{client: client, cfg: cfg, sets: map[string]*remoteSet{}}
}

// errUnknownKid means the client's key set has no key of that kid.
var errUnknownKid = errors.New("no key with this kid in the client's JWKS")

// keys returns the keys of the set at u named kid (all keys when kid is
// empty), fetching the set when it is stale or lacks kid.
func (r *RemoteJWKS) keys(ctx context.Context, u, kid string) ([]clientKey, error) {
	if !r.fetchable(u) {
		return nil, fmt.Errorf("JWKS URI %q is not an absolute https URL", truncate(u, 200))
	}
	r.mu.Lock()
	e := r.entryLocked(u)
	now := r.cfg.Now()
	if ks, ok := e.lookup(now, kid); ok {
		r.mu.Unlock()
		return ks, nil
	}
	wait := e.inflight
	if wait == nil {
		if !e.lastAttempt.IsZero() && now.Sub(e.lastAttempt) < r.cfg.RefetchInterval {
			err := e.missLocked(now, kid)
			r.mu.Unlock()
			return nil, err
		}
		wait = r.startFetchLocked(ctx, u, e, now)
	}
	r.mu.Unlock()

	select {
	case <-wait:
	case <-ctx.Done():
		return nil, fmt.Errorf("waiting for the JWKS at %s: %w", u, ctx.Err())
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	now = r.cfg.Now()
	if ks, ok := e.lookup(now, kid); ok {
		return ks, nil
	}
	return nil, e.missLocked(now, kid)
}

// lookup answers from a fresh set: the keys of kid, or all keys if kid is
// empty. ok is false when the set is stale or lacks kid.
func (e *remoteSet) lookup(now time.Time, kid string) ([]clientKey, bool) {
	if !now.Before(e.expiry) {
		return nil, false
	}
	if kid == "" {
		return e.keys, true
	}
	for _, k := range e.keys {
		if k.kid == kid {
			return []clientKey{k}, true
		}
	}
	return nil, false
}

func (e *remoteSet) missLocked(now time.Time, kid string) error {
	if !now.Before(e.expiry) {
		if e.lastErr != nil {
			return fmt.Errorf("client JWKS unavailable: %w", e.lastErr)
		}
		return errors.New("client JWKS unavailable")
	}
	return fmt.Errorf("%w: %q", errUnknownKid, truncate(kid, 64))
}

// entryLocked returns the entry of u, creating it and evicting others when
// the cache is full.
func (r *RemoteJWKS) entryLocked(u string) *remoteSet {
	if e, ok := r.sets[u]; ok {
		return e
	}
	if len(r.sets) >= r.cfg.MaxEntries {
		now := r.cfg.Now()
		for k, e := range r.sets {
			if e.inflight == nil && !now.Before(e.expiry) {
				delete(r.sets, k)
			}
		}
		for k, e := range r.sets {
			if len(r.sets) < r.cfg.MaxEntries {
				break
			}
			if e.inflight == nil {
				delete(r.sets, k)
			}
		}
	}
	e := &remoteSet{}
	r.sets[u] = e
	return e
}

// startFetchLocked starts the one fetch of e; r.mu must be held.
func (r *RemoteJWKS) startFetchLocked(ctx context.Context, u string, e *remoteSet, now time.Time) chan struct{} {
	done := make(chan struct{})
	e.inflight = done
	e.lastAttempt = now
	fetchCtx := context.WithoutCancel(ctx)
	go func() {
		defer close(done)
		ctx, cancel := context.WithTimeout(fetchCtx, r.cfg.Timeout)
		defer cancel()
		keys, ttl, err := r.fetch(ctx, u)

		r.mu.Lock()
		defer r.mu.Unlock()
		e.inflight = nil
		if err != nil {
			e.lastErr = err
			return
		}
		e.keys, e.lastErr = keys, nil
		e.expiry = r.cfg.Now().Add(ttl)
	}()
	return done
}

// fetch GETs the key set and returns its usable keys and how long to cache
// them.
func (r *RemoteJWKS) fetch(ctx context.Context, u string) ([]clientKey, time.Duration, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, 0, err
	}
	req.Header.Set("Accept", "application/jwk-set+json, application/json")
	resp, err := r.client.Do(req)
	if err != nil {
		return nil, 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, 0, fmt.Errorf("GET %s: status %s", u, resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxJWKSBytes+1))
	if err != nil {
		return nil, 0, fmt.Errorf("GET %s: reading the body: %w", u, err)
	}
	if len(body) > MaxJWKSBytes {
		return nil, 0, fmt.Errorf("GET %s: body larger than %d bytes", u, MaxJWKSBytes)
	}
	keys, err := parseClientJWKS(body, false)
	if err != nil {
		return nil, 0, fmt.Errorf("GET %s: %w", u, err)
	}
	return keys, r.ttl(resp.Header.Values("Cache-Control")), nil
}

// ttl reads max-age from Cache-Control (RFC 9111 section 5.2.2.1), bounded
// by MinTTL and MaxTTL. no-store and no-cache count as max-age=0 (so the
// floor applies); without max-age, DefaultTTL applies.
func (r *RemoteJWKS) ttl(cacheControl []string) time.Duration {
	ttl := r.cfg.DefaultTTL
	for _, directive := range strings.Split(strings.Join(cacheControl, ","), ",") {
		name, value, _ := strings.Cut(strings.TrimSpace(directive), "=")
		switch strings.ToLower(name) {
		case "no-store", "no-cache":
			return r.cfg.MinTTL
		case "max-age":
			n, err := strconv.ParseInt(strings.Trim(value, `"`), 10, 64)
			if err == nil && n >= 0 {
				ttl = time.Duration(min(n, int64(r.cfg.MaxTTL/time.Second))) * time.Second
			}
		}
	}
	return min(max(ttl, r.cfg.MinTTL), r.cfg.MaxTTL)
}

// fetchable accepts absolute https URLs, and http ones with AllowInsecure:
// what is fetched, even if a record was written without ValidateJWKSURI.
func (r *RemoteJWKS) fetchable(s string) bool {
	u, err := url.Parse(s)
	return err == nil && u.Host != "" && (u.Scheme == "https" || (r.cfg.AllowInsecure && u.Scheme == "http"))
}
