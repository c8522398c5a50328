package token

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// Errors of Verify. ErrExpired wraps ErrInvalid, so errors.Is(err,
// ErrInvalid) holds for every token Verify refuses; any other error is an
// internal failure (the key set could not be read).
var (
	ErrInvalid = errors.New("token: invalid")
	ErrExpired = fmt.Errorf("%w: expired", ErrInvalid)
)

// MaxSize bounds the tokens Verify looks at; longer input is ErrInvalid
// before any decoding.
const MaxSize = 16 << 10

// Defaults of the Verifier's key cache.
const (
	DefaultMinRefresh = 5 * time.Second
	DefaultKeyMaxAge  = time.Minute
)

// KeySource gives the published keys of an authorization server: ACTIVE,
// NEXT and EXPIRED, public parts only. *keys.Manager is one. It must be
// safe for concurrent use.
type KeySource interface {
	JWKS(ctx context.Context, authServerID string) (jose.JSONWebKeySet, error)
}

// Claims are the claims of a verified Latchkey access or ID token
// (CONTRACT section 3). Times are zero when the claim is absent.
type Claims struct {
	Ver       int
	JTI       string // "AT.…" for access tokens, "ID.…" for ID tokens
	Issuer    string
	Audience  string // the server's audience (access), the client id (ID)
	IssuedAt  time.Time
	ExpiresAt time.Time
	AuthTime  time.Time
	ClientID  string   // "cid", access tokens only
	UserID    string   // "uid", access tokens of a user only
	Scopes    []string // "scp", access tokens only
	Subject   string   // the login (access) or the user id (ID)
}

// IsAccess reports whether the claims are an access token's: an "AT." id
// and a client.
func (c *Claims) IsAccess() bool {
	return strings.HasPrefix(c.JTI, AccessPrefix) && c.ClientID != ""
}

// IsID reports whether the claims are an ID token's: an "ID." id, a subject
// and an audience.
func (c *Claims) IsID() bool {
	return strings.HasPrefix(c.JTI, IDPrefix) && c.Subject != "" && c.Audience != ""
}

// rawClaims is the JSON of a token. Latchkey writes aud as one string and
// times as whole seconds; anything else was not minted here.
type rawClaims struct {
	Ver      int      `json:"ver"`
	JTI      string   `json:"jti"`
	Iss      string   `json:"iss"`
	Aud      string   `json:"aud"`
	Iat      int64    `json:"iat"`
	Exp      int64    `json:"exp"`
	AuthTime int64    `json:"auth_time"`
	Cid      string   `json:"cid"`
	UID      string   `json:"uid"`
	Scp      []string `json:"scp"`
	Sub      string   `json:"sub"`
}

// Verifier verifies the JWTs Latchkey itself issued, for one authorization
// server at a time: RS256, ES256 or EdDSA, the algorithm of the key named
// by "kid" among the server's published keys, "iss" exactly, "exp" with no leeway (the issuer's clock
// is the one that counts). It does not look at revocation: that is the
// caller's, with the store's token records.
//
// Public keys are cached per server and kid. An unknown kid reloads the
// server's keys at most once per MinRefresh, so forged kids cost the store
// little; a cached set older than MaxAge is reloaded on its next use, so a
// deleted key stops verifying. Verifier is safe for concurrent use; the
// zero value of the optional fields means their default.
type Verifier struct {
	Keys KeySource
	Now  func() time.Time // time.Now when nil
	// MinRefresh is the least time between two loads of a server's keys
	// caused by unknown kids; DefaultMinRefresh when zero.
	MinRefresh time.Duration
	// MaxAge is how long a loaded key set is used; DefaultKeyMaxAge when zero.
	MaxAge time.Duration

	mu    sync.RWMutex
	sets  map[string]keySet      // by authorization server id
	loads map[string]*sync.Mutex // one load at a time per server
}

// keySet is one load of a server's keys; it is never modified after.
type keySet struct {
	keys   map[string]publicKey // by kid
	loaded time.Time
}

// publicKey is a published signing key and the one algorithm it verifies.
type publicKey struct {
	key any // *rsa.PublicKey, *ecdsa.PublicKey (P-256) or ed25519.PublicKey
	alg string
}

// signingAlgs are the algorithms Latchkey signs with (keys.Generate).
var signingAlgs = []jose.SignatureAlgorithm{jose.RS256, jose.ES256, jose.EdDSA}

// keyAlg returns the algorithm a published key verifies, "" for a key of a
// kind Latchkey does not sign with or whose "alg" does not fit it.
func keyAlg(k jose.JSONWebKey) string {
	var alg string
	switch pub := k.Key.(type) {
	case *rsa.PublicKey:
		alg = string(jose.RS256)
	case *ecdsa.PublicKey:
		if pub.Curve == elliptic.P256() {
			alg = string(jose.ES256)
		}
	case ed25519.PublicKey:
		alg = string(jose.EdDSA)
	}
	if k.Algorithm != alg {
		return ""
	}
	return alg
}

// Verify checks raw as a token of the authorization server authServerID
// whose issuer is issuer, and returns its claims. A refused token is an
// error wrapping ErrInvalid (ErrExpired when only its time is past).
func (v *Verifier) Verify(ctx context.Context, authServerID, issuer, raw string) (*Claims, error) {
	if len(raw) > MaxSize || strings.Count(raw, ".") != 2 {
		return nil, fmt.Errorf("%w: not a compact JWS", ErrInvalid)
	}
	jws, err := jose.ParseSignedCompact(raw, signingAlgs)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if len(jws.Signatures) != 1 {
		return nil, fmt.Errorf("%w: %d signatures", ErrInvalid, len(jws.Signatures))
	}
	hdr := jws.Signatures[0].Protected
	if hdr.KeyID == "" {
		return nil, fmt.Errorf("%w: header alg %q kid %q", ErrInvalid, hdr.Algorithm, hdr.KeyID)
	}
	// The claims are checked before the key is looked up, so that a token
	// that would be refused anyway never causes a read of the store. The
	// signature below covers these same bytes.
	var rc rawClaims
	if err := json.Unmarshal(jws.UnsafePayloadWithoutVerification(), &rc); err != nil {
		return nil, fmt.Errorf("%w: claims: %v", ErrInvalid, err)
	}
	if rc.Iss != issuer {
		return nil, fmt.Errorf("%w: iss %q, want %q", ErrInvalid, rc.Iss, issuer)
	}
	if rc.Exp == 0 {
		return nil, fmt.Errorf("%w: no exp", ErrInvalid)
	}
	exp := time.Unix(rc.Exp, 0)
	if !v.now().Before(exp) {
		return nil, fmt.Errorf("%w at %s", ErrExpired, exp.UTC().Format(time.RFC3339))
	}
	key, err := v.key(ctx, authServerID, hdr.KeyID)
	if err != nil {
		return nil, err
	}
	if key.alg != hdr.Algorithm {
		return nil, fmt.Errorf("%w: header alg %q, key %q is for %q", ErrInvalid, hdr.Algorithm, hdr.KeyID, key.alg)
	}
	if _, err := jws.Verify(key.key); err != nil {
		return nil, fmt.Errorf("%w: signature (kid %q)", ErrInvalid, hdr.KeyID)
	}
	c := &Claims{Ver: rc.Ver, JTI: rc.JTI, Issuer: rc.Iss, Audience: rc.Aud, IssuedAt: unixOrZero(rc.Iat),
		ExpiresAt: exp, AuthTime: unixOrZero(rc.AuthTime), ClientID: rc.Cid, UserID: rc.UID, Scopes: rc.Scp, Subject: rc.Sub}
	return c, nil
}

func unixOrZero(s int64) time.Time {
	if s == 0 {
		return time.Time{}
	}
	return time.Unix(s, 0)
}

func (v *Verifier) now() time.Time {
	if v.Now != nil {
		return v.Now()
	}
	return time.Now()
}

// key returns the public key kid of the server, loading the server's keys
// when the cache has none, is too old, or lacks kid and may be reloaded.
func (v *Verifier) key(ctx context.Context, authServerID, kid string) (publicKey, error) {
	now := v.now()
	set, ok := v.cached(authServerID)
	if ok && now.Sub(set.loaded) < orDefault(v.MaxAge, DefaultKeyMaxAge) {
		if k, ok := set.keys[kid]; ok {
			return k, nil
		}
		if now.Sub(set.loaded) < orDefault(v.MinRefresh, DefaultMinRefresh) {
			return publicKey{}, fmt.Errorf("%w: unknown kid %q", ErrInvalid, kid)
		}
	}
	set, err := v.load(ctx, authServerID, now)
	if err != nil {
		return publicKey{}, err
	}
	if k, ok := set.keys[kid]; ok {
		return k, nil
	}
	return publicKey{}, fmt.Errorf("%w: unknown kid %q", ErrInvalid, kid)
}

func (v *Verifier) cached(authServerID string) (keySet, bool) {
	v.mu.RLock()
	defer v.mu.RUnlock()
	set, ok := v.sets[authServerID]
	return set, ok
}

// load reads the server's keys, unless another caller loaded them while
// this one waited (concurrent loads of one server collapse into one).
func (v *Verifier) load(ctx context.Context, authServerID string, asked time.Time) (keySet, error) {
	v.mu.Lock()
	if v.loads == nil {
		v.loads = map[string]*sync.Mutex{}
	}
	lock := v.loads[authServerID]
	if lock == nil {
		lock = &sync.Mutex{}
		v.loads[authServerID] = lock
	}
	v.mu.Unlock()

	lock.Lock()
	defer lock.Unlock()
	if set, ok := v.cached(authServerID); ok && !set.loaded.Before(asked) {
		return set, nil
	}
	jwks, err := v.Keys.JWKS(ctx, authServerID)
	if err != nil {
		return keySet{}, fmt.Errorf("token: keys of %s: %w", authServerID, err)
	}
	set := keySet{keys: make(map[string]publicKey, len(jwks.Keys)), loaded: v.now()}
	for _, k := range jwks.Keys {
		alg := keyAlg(k)
		if alg == "" || k.KeyID == "" || (k.Use != "" && k.Use != "sig") {
			continue
		}
		set.keys[k.KeyID] = publicKey{key: k.Key, alg: alg}
	}
	v.mu.Lock()
	if v.sets == nil {
		v.sets = map[string]keySet{}
	}
	v.sets[authServerID] = set
	v.mu.Unlock()
	return set, nil
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}
