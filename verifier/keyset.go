package verifier

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// maxKeySetTTL caps the JWKS response's max-age, so that a key the issuer
// withdraws (a compromised one) is dropped within a day whatever the header.
const maxKeySetTTL = 24 * time.Hour

// minRSABits refuses RSA keys too short to trust.
const minRSABits = 2048

// publicKey is one usable JWKS entry.
type publicKey struct {
	key any    // *rsa.PublicKey, *ecdsa.PublicKey or ed25519.PublicKey
	alg string // the JWK "alg", may be empty
}

// remoteKeySet is the issuer's JWKS, cached.
//
// A key is served from the cache until the response's max-age passes; then
// the next lookup refetches, and keeps the old keys if that fails, but
// never longer than maxStale after the last successful fetch: past that the
// set is not used (ErrKeysStale) until a fetch succeeds again. An unknown
// kid refetches at most once per minRefetch. At most one fetch is in flight:
// concurrent lookups wait for it. The fetch runs in its own goroutine with a
// context detached from the caller's cancellation (but bounded by
// fetchTimeout), so that one caller giving up does not fail the others who
// wait for the same fetch; each waiter still returns when its own context
// ends. No context is kept in the struct.
type remoteKeySet struct {
	client       *http.Client
	now          func() time.Time
	resolve      func(ctx context.Context) (string, error) // the JWKS URL
	minRefetch   time.Duration
	defaultTTL   time.Duration
	fetchTimeout time.Duration
	maxStale     time.Duration

	mu          sync.RWMutex
	keys        map[string]publicKey
	fetched     bool      // a fetch has succeeded at least once
	lastSuccess time.Time // end of the latest successful fetch
	expiry      time.Time // keys are fresh before expiry
	lastAttempt time.Time // start of the latest fetch
	lastErr     error     // error of the latest fetch, nil after a success
	inflight    chan struct{}
}

// cached returns a fresh cached key without any I/O.
func (s *remoteKeySet) cached(kid string) (publicKey, bool) {
	now := s.now()
	s.mu.RLock()
	k, ok := s.keys[kid]
	fresh := now.Before(s.expiry) && !s.tooStaleLocked(now)
	s.mu.RUnlock()
	return k, ok && fresh
}

// tooStaleLocked reports whether the last successful fetch is more than
// maxStale ago: the set may hold keys the issuer withdrew since, so it is
// no longer used.
func (s *remoteKeySet) tooStaleLocked(now time.Time) bool {
	return s.fetched && now.Sub(s.lastSuccess) > s.maxStale
}

// key returns the key named kid, fetching the JWKS when the cache is stale or
// does not know kid (subject to the refetch floor).
func (s *remoteKeySet) key(ctx context.Context, kid string) (publicKey, error) {
	if k, ok := s.cached(kid); ok {
		return k, nil
	}
	s.mu.Lock()
	now := s.now()
	k, known := s.keys[kid]
	expired := !now.Before(s.expiry)
	tooStale := s.tooStaleLocked(now)
	if known && !expired && !tooStale {
		s.mu.Unlock()
		return k, nil
	}
	wait := s.inflight
	if wait == nil {
		floorPassed := s.lastAttempt.IsZero() || now.Sub(s.lastAttempt) >= s.minRefetch
		if !expired && !floorPassed {
			// An unknown kid, or a set past its staleness limit, within
			// the floor: answer from what we know, so a stream of forged
			// kids or an unreachable issuer is not flooded with requests.
			err := s.missLocked(now, kid)
			s.mu.Unlock()
			return publicKey{}, err
		}
		wait = s.startFetchLocked(ctx, now)
	}
	s.mu.Unlock()

	select {
	case <-wait:
	case <-ctx.Done():
		return publicKey{}, &ValidationError{Check: CheckKeySet, Err: ErrKeySetUnavailable, Detail: "gave up waiting for the JWKS", Cause: ctx.Err()}
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	now = s.now()
	if k, ok := s.keys[kid]; ok && !s.tooStaleLocked(now) {
		return k, nil // fresh, or stale because the refresh failed: keep serving it
	}
	return publicKey{}, s.missLocked(now, kid)
}

// missLocked is the error for a kid the usable cache does not hold.
func (s *remoteKeySet) missLocked(now time.Time, kid string) error {
	switch {
	case !s.fetched:
		return &ValidationError{Check: CheckKeySet, Err: ErrKeySetUnavailable, Detail: "no key set fetched yet", Cause: s.lastErr}
	case s.tooStaleLocked(now):
		return &ValidationError{Check: CheckKeySet, Err: ErrKeysStale,
			Detail: fmt.Sprintf("last fetched %v ago, more than MaxKeyStaleness %v", now.Sub(s.lastSuccess).Round(time.Second), s.maxStale),
			Cause:  s.lastErr}
	}
	return reject(CheckKeyID, ErrUnknownKey, fmt.Sprintf("kid %q is not in the issuer's JWKS", kid))
}

// startFetchLocked starts the one fetch; s.mu must be held.
func (s *remoteKeySet) startFetchLocked(ctx context.Context, now time.Time) chan struct{} {
	done := make(chan struct{})
	s.inflight = done
	s.lastAttempt = now
	fetchCtx := context.WithoutCancel(ctx)
	go func() {
		ctx, cancel := context.WithTimeout(fetchCtx, s.fetchTimeout)
		defer cancel()
		keys, ttl, err := s.fetch(ctx)

		s.mu.Lock()
		now := s.now()
		if err != nil {
			s.lastErr = err
			// Keep the known keys; retry no sooner than the floor.
			if retry := now.Add(s.minRefetch); retry.After(s.expiry) {
				s.expiry = retry
			}
		} else {
			s.keys, s.fetched, s.lastErr = keys, true, nil
			s.expiry, s.lastSuccess = now.Add(ttl), now
		}
		s.inflight = nil
		s.mu.Unlock()
		close(done)
	}()
	return done
}

// refresh fetches the key set now, waiting for any fetch in flight.
func (s *remoteKeySet) refresh(ctx context.Context) error {
	s.mu.Lock()
	wait := s.inflight
	if wait == nil {
		wait = s.startFetchLocked(ctx, s.now())
	}
	s.mu.Unlock()
	select {
	case <-wait:
	case <-ctx.Done():
		return ctx.Err()
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.lastErr
}

// fetch GETs the JWKS and returns its usable keys and how long to cache them.
func (s *remoteKeySet) fetch(ctx context.Context) (map[string]publicKey, time.Duration, error) {
	u, err := s.resolve(ctx)
	if err != nil {
		return nil, 0, err
	}
	body, header, err := getDocument(ctx, s.client, u)
	if err != nil {
		return nil, 0, fmt.Errorf("jwks: %w", err)
	}
	keys, err := parseJWKS(body)
	if err != nil {
		return nil, 0, fmt.Errorf("jwks: %s: %w", u, err)
	}
	return keys, s.ttl(header.Get("Cache-Control")), nil
}

// ttl reads max-age from Cache-Control (RFC 9111 section 5.2.2.1), bounded
// below by the refetch floor and above by maxKeySetTTL. no-store and
// no-cache count as max-age=0; without max-age, defaultTTL applies.
func (s *remoteKeySet) ttl(cacheControl string) time.Duration {
	ttl := s.defaultTTL
	for _, directive := range strings.Split(cacheControl, ",") {
		name, value, _ := strings.Cut(strings.TrimSpace(directive), "=")
		switch strings.ToLower(name) {
		case "no-store", "no-cache":
			ttl = 0
		case "max-age":
			n, err := strconv.ParseInt(strings.Trim(value, `"`), 10, 64)
			if err == nil && n >= 0 {
				ttl = time.Duration(min(n, int64(maxKeySetTTL/time.Second))) * time.Second
			}
		}
		if ttl == 0 {
			break
		}
	}
	return min(max(ttl, s.minRefetch), maxKeySetTTL)
}

// parseJWKS keeps the signing keys of a JWK Set that carry a kid. Keys of
// unknown types, symmetric keys, keys with "use" other than "sig" and RSA
// keys shorter than 2048 bits are skipped (RFC 7517 section 5: ignore what is
// not understood). Private parameters, if an issuer leaks them, are dropped.
func parseJWKS(body []byte) (map[string]publicKey, error) {
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(body, &set); err != nil {
		return nil, err
	}
	if set.Keys == nil {
		return nil, fmt.Errorf(`no "keys" member`)
	}
	keys := make(map[string]publicKey, len(set.Keys))
	for _, raw := range set.Keys {
		var jwk jose.JSONWebKey
		if err := jwk.UnmarshalJSON(raw); err != nil {
			continue
		}
		if jwk.KeyID == "" || (jwk.Use != "" && jwk.Use != "sig") {
			continue
		}
		if _, dup := keys[jwk.KeyID]; dup {
			continue // the first key of a kid wins
		}
		var pub any
		switch k := jwk.Key.(type) {
		case *rsa.PublicKey:
			pub = k
		case *rsa.PrivateKey:
			pub = &k.PublicKey
		case *ecdsa.PublicKey:
			pub = k
		case *ecdsa.PrivateKey:
			pub = &k.PublicKey
		case ed25519.PublicKey:
			pub = k
		case ed25519.PrivateKey:
			pub = k.Public()
		default:
			continue
		}
		if rk, ok := pub.(*rsa.PublicKey); ok && rk.N.BitLen() < minRSABits {
			continue
		}
		keys[jwk.KeyID] = publicKey{key: pub, alg: jwk.Algorithm}
	}
	return keys, nil
}
