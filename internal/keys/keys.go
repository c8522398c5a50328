package keys

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/latchkey/latchkey/internal/store"
)

// RSABits is the size of generated RSA keys.
const RSABits = 2048

// Signer signs with one key.
type Signer struct {
	KeyID string
	Alg   string
	Key   crypto.Signer
	jose  jose.Signer
	// header is the base64url protected header {alg, kid, typ: JWT}, as
	// go-jose encodes it for this key, encoded once when the signer is
	// built; empty when Sign goes through go-jose.
	header string
}

// Sign returns the compact JWS of payload with header {kid, alg, typ: JWT}.
// The header is the one go-jose makes for the key, encoded once; the
// signature is computed over header.payload by crypto directly, as go-jose
// would (RFC 7515 and 7518: PKCS #1 v1.5 with SHA-256, ECDSA P-256 with
// SHA-256 as r||s, Ed25519).
func (s *Signer) Sign(payload []byte) (string, error) {
	if s.header == "" {
		jws, err := s.jose.Sign(payload)
		if err != nil {
			return "", err
		}
		return jws.CompactSerialize()
	}
	enc := base64.RawURLEncoding
	sigLen := s.sigLen()
	n := len(s.header) + 1 + enc.EncodedLen(len(payload))
	buf := make([]byte, n, n+1+enc.EncodedLen(sigLen))
	copy(buf, s.header)
	buf[len(s.header)] = '.'
	enc.Encode(buf[len(s.header)+1:], payload)
	sig, err := s.signInput(buf)
	if err != nil {
		return "", fmt.Errorf("keys: sign: %w", err)
	}
	buf = append(buf, '.')
	buf = enc.AppendEncode(buf, sig)
	return string(buf), nil
}

// sigLen is the length of the key's signatures.
func (s *Signer) sigLen() int {
	switch k := s.Key.(type) {
	case *rsa.PrivateKey:
		return k.Size()
	case *ecdsa.PrivateKey:
		return 64
	default:
		return ed25519.SignatureSize
	}
}

// signInput signs the JWS signing input with the key of the signer's alg
// (fitsAlg was checked when the signer was built).
func (s *Signer) signInput(input []byte) ([]byte, error) {
	switch k := s.Key.(type) {
	case *rsa.PrivateKey:
		d := sha256.Sum256(input)
		return rsa.SignPKCS1v15(rand.Reader, k, crypto.SHA256, d[:])
	case *ecdsa.PrivateKey:
		d := sha256.Sum256(input)
		r, ss, err := ecdsa.Sign(rand.Reader, k, d[:])
		if err != nil {
			return nil, err
		}
		out := make([]byte, 64)
		r.FillBytes(out[:32])
		ss.FillBytes(out[32:])
		return out, nil
	case ed25519.PrivateKey:
		return ed25519.Sign(k, input), nil
	}
	return nil, fmt.Errorf("a %T has no direct signature", s.Key)
}

// preparedHeader is the base64url protected header go-jose makes with js,
// taken from one signature of an empty payload; "" when the key is not
// one signInput signs.
func preparedHeader(js jose.Signer, priv crypto.Signer) (string, error) {
	switch k := priv.(type) {
	case *rsa.PrivateKey, ed25519.PrivateKey:
	case *ecdsa.PrivateKey:
		if k.Curve != elliptic.P256() {
			return "", nil
		}
	default:
		return "", nil
	}
	jws, err := js.Sign([]byte{})
	if err != nil {
		return "", err
	}
	compact, err := jws.CompactSerialize()
	if err != nil {
		return "", err
	}
	header, _, ok := strings.Cut(compact, ".")
	if !ok || header == "" {
		return "", errors.New("keys: go-jose made no protected header")
	}
	return header, nil
}

// Manager hands out signers and key sets. It is safe for concurrent use.
type Manager struct {
	store  store.Store
	sealer *Sealer
	now    func() time.Time
	// recheck is how long the ACTIVE key of a server is trusted before the
	// store is read again, so that a rotation made by another instance is
	// seen within that time.
	recheck time.Duration
	changed func(ctx context.Context, authServerID string)

	mu      sync.RWMutex
	signers map[string]*Signer // by kid
	active  map[string]activeEntry
	// gen counts this Manager's own key changes per server. A store read
	// that began before a change must not overwrite the cache entry the
	// change wrote, or a rotation made here would be seen only after the
	// next recheck.
	gen map[string]uint64
}

type activeEntry struct {
	kid    string
	loaded time.Time
}

// Config configures a Manager.
type Config struct {
	Store  store.Store
	Sealer *Sealer
	Now    func() time.Time // time.Now when nil
	// Recheck defaults to 30 seconds.
	Recheck time.Duration
	// Changed, when set, is called after this Manager changed the keys of
	// an authorization server in the store (keys made, rotated or pruned),
	// so that whatever serves them (the prepared JWKS of package oidc, on
	// this instance and others) drops its copy. It must return quickly.
	Changed func(ctx context.Context, authServerID string)
}

// NewManager returns a Manager.
func NewManager(cfg Config) *Manager {
	m := &Manager{store: cfg.Store, sealer: cfg.Sealer, now: cfg.Now, recheck: cfg.Recheck,
		changed: cfg.Changed,
		signers: map[string]*Signer{}, active: map[string]activeEntry{}, gen: map[string]uint64{}}
	if m.now == nil {
		m.now = time.Now
	}
	if m.recheck <= 0 {
		m.recheck = 30 * time.Second
	}
	return m
}

// ErrNoActiveKey means the authorization server has no ACTIVE key.
var ErrNoActiveKey = errors.New("keys: no active signing key")

// Generate makes a new key record of the given algorithm (store.AlgRS256,
// store.AlgES256 or store.AlgEdDSA; empty means RS256) in the given state,
// its private part sealed. It does not store it. The kid is the key's RFC
// 7638 thumbprint.
func (m *Manager) Generate(authServerID, alg, status string) (store.SigningKey, error) {
	if alg == "" {
		alg = store.AlgRS256
	}
	priv, err := newPrivateKey(alg)
	if err != nil {
		return store.SigningKey{}, err
	}
	pubJWK := jose.JSONWebKey{Key: priv.Public(), Algorithm: alg, Use: "sig"}
	thumb, err := pubJWK.Thumbprint(crypto.SHA256)
	if err != nil {
		return store.SigningKey{}, err
	}
	pubJWK.KeyID = base64.RawURLEncoding.EncodeToString(thumb)
	pubJSON, err := pubJWK.MarshalJSON()
	if err != nil {
		return store.SigningKey{}, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return store.SigningKey{}, err
	}
	sealed, err := m.sealer.Seal(der, []byte(pubJWK.KeyID))
	if err != nil {
		return store.SigningKey{}, err
	}
	now := m.now().UTC()
	k := store.SigningKey{ID: pubJWK.KeyID, AuthServerID: authServerID, Alg: alg,
		Status: status, PublicJWK: pubJSON, PrivateSealed: sealed, CreatedAt: now}
	if status == store.KeyActive {
		k.ActivatedAt = now
	}
	return k, nil
}

// ErrUnknownAlg means a signing algorithm Latchkey does not generate keys
// for.
var ErrUnknownAlg = errors.New("keys: unknown signing algorithm (RS256, ES256 or EdDSA)")

// newPrivateKey generates a private key for alg: RSA 2048 for RS256, EC
// P-256 for ES256, Ed25519 for EdDSA.
func newPrivateKey(alg string) (crypto.Signer, error) {
	switch alg {
	case store.AlgRS256:
		return newRSAKey()
	case store.AlgES256:
		return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case store.AlgEdDSA:
		_, priv, err := ed25519.GenerateKey(rand.Reader)
		return priv, err
	}
	return nil, fmt.Errorf("%w: %q", ErrUnknownAlg, alg)
}

// fitsAlg reports whether priv is a key of the kind alg signs with, so
// that a key record whose alg and key disagree is refused rather than
// signing tokens that no verifier accepts.
func fitsAlg(priv crypto.Signer, alg string) bool {
	switch k := priv.(type) {
	case *rsa.PrivateKey:
		return alg == store.AlgRS256
	case *ecdsa.PrivateKey:
		return alg == store.AlgES256 && k.Curve == elliptic.P256()
	case ed25519.PrivateKey:
		return alg == store.AlgEdDSA
	}
	return false
}

// SigningAlg is the algorithm of the keys generated for server: its
// SigningAlg, RS256 when unset.
func SigningAlg(server store.AuthServer) string {
	if server.SigningAlg == "" {
		return store.AlgRS256
	}
	return server.SigningAlg
}

// serverAlg reads the signing algorithm of the server authServerID from the
// store; a server without a record (keys made before it, in tests) gets
// RS256.
func (m *Manager) serverAlg(ctx context.Context, authServerID string) (string, error) {
	a, err := m.store.GetAuthServer(ctx, authServerID)
	if errors.Is(err, store.ErrNotFound) {
		return store.AlgRS256, nil
	}
	if err != nil {
		return "", fmt.Errorf("keys: read authorization server %s: %w", authServerID, err)
	}
	return SigningAlg(a), nil
}

// ActiveSigner returns the signer of the authorization server's ACTIVE key.
func (m *Manager) ActiveSigner(ctx context.Context, authServerID string) (*Signer, error) {
	now := m.now()
	m.mu.RLock()
	e, ok := m.active[authServerID]
	var s *Signer
	if ok {
		s = m.signers[e.kid]
	}
	gen := m.gen[authServerID]
	m.mu.RUnlock()
	if ok && s != nil && now.Sub(e.loaded) < m.recheck {
		return s, nil
	}
	ks, err := m.store.ListKeys(ctx, authServerID)
	if err != nil {
		return nil, fmt.Errorf("keys: list keys of %s: %w", authServerID, err)
	}
	active, _ := roles(ks)
	if active == nil {
		return nil, fmt.Errorf("%w for authorization server %s", ErrNoActiveKey, authServerID)
	}
	s, err = m.signer(*active)
	if err != nil {
		return nil, err
	}
	m.mu.Lock()
	if m.gen[authServerID] == gen {
		m.active[authServerID] = activeEntry{kid: active.ID, loaded: now}
	}
	m.mu.Unlock()
	if ok && e.kid != active.ID {
		// Another process rotated (the CLI over a SQLite file, heard of
		// by no notification): this instance is about to sign with a key
		// its published JWKS may not hold yet.
		m.notify(ctx, authServerID)
	}
	return s, nil
}

// noteActive records the ACTIVE key among ks, just written by this Manager,
// so that the next ActiveSigner uses it without waiting for a recheck.
func (m *Manager) noteActive(authServerID string, ks []store.SigningKey) {
	active, _ := roles(ks)
	m.mu.Lock()
	defer m.mu.Unlock()
	m.gen[authServerID]++
	if active == nil {
		delete(m.active, authServerID)
		return
	}
	m.active[authServerID] = activeEntry{kid: active.ID, loaded: m.now()}
}

// notify calls Config.Changed, if set, after a change of the server's keys.
func (m *Manager) notify(ctx context.Context, authServerID string) {
	if m.changed != nil {
		m.changed(ctx, authServerID)
	}
}

// roles returns the ACTIVE and the NEXT key of ks (nil when missing). ks is
// newest first, as ListKeys returns it, so should a store ever hold two
// keys in one role, the newest wins.
func roles(ks []store.SigningKey) (active, next *store.SigningKey) {
	for i := range ks {
		switch ks[i].Status {
		case store.KeyActive:
			if active == nil {
				active = &ks[i]
			}
		case store.KeyNext:
			if next == nil {
				next = &ks[i]
			}
		}
	}
	return active, next
}

// signer returns the cached signer of k, unsealing it on first use.
func (m *Manager) signer(k store.SigningKey) (*Signer, error) {
	m.mu.RLock()
	s := m.signers[k.ID]
	m.mu.RUnlock()
	if s != nil {
		return s, nil
	}
	der, err := m.sealer.Open(k.PrivateSealed, []byte(k.ID))
	if err != nil {
		return nil, fmt.Errorf("keys: key %s: %w", k.ID, err)
	}
	parsed, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("keys: key %s: parse: %w", k.ID, err)
	}
	priv, ok := parsed.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("keys: key %s: not a signing key", k.ID)
	}
	if !fitsAlg(priv, k.Alg) {
		return nil, fmt.Errorf("keys: key %s: a %T cannot sign %q", k.ID, priv, k.Alg)
	}
	alg := jose.SignatureAlgorithm(k.Alg)
	js, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: jose.JSONWebKey{Key: priv, KeyID: k.ID, Algorithm: k.Alg}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		return nil, fmt.Errorf("keys: key %s: %w", k.ID, err)
	}
	header, err := preparedHeader(js, priv)
	if err != nil {
		return nil, fmt.Errorf("keys: key %s: header: %w", k.ID, err)
	}
	s = &Signer{KeyID: k.ID, Alg: k.Alg, Key: priv, jose: js, header: header}
	m.mu.Lock()
	m.signers[k.ID] = s
	m.mu.Unlock()
	return s, nil
}

// JWKS returns the published keys of the authorization server: ACTIVE, NEXT
// and EXPIRED keys, public parts only, newest first.
func (m *Manager) JWKS(ctx context.Context, authServerID string) (jose.JSONWebKeySet, error) {
	ks, err := m.store.ListKeys(ctx, authServerID)
	if err != nil {
		return jose.JSONWebKeySet{}, fmt.Errorf("keys: list keys of %s: %w", authServerID, err)
	}
	set := jose.JSONWebKeySet{Keys: make([]jose.JSONWebKey, 0, len(ks))}
	for _, k := range ks {
		var jwk jose.JSONWebKey
		if err := json.Unmarshal(k.PublicJWK, &jwk); err != nil {
			return jose.JSONWebKeySet{}, fmt.Errorf("keys: key %s: public JWK: %w", k.ID, err)
		}
		if !jwk.IsPublic() {
			return jose.JSONWebKeySet{}, fmt.Errorf("keys: key %s: stored public JWK is not public", k.ID)
		}
		set.Keys = append(set.Keys, jwk)
	}
	return set, nil
}

// Algs returns the algorithms of the authorization server's published keys
// (ACTIVE, NEXT and EXPIRED), each once: the ACTIVE key's first, then the
// others newest first. Discovery lists them, so that a client that reads
// discovery once accepts the NEXT key's algorithm before it signs, and the
// EXPIRED keys' while their tokens live. A server without keys has
// ["RS256"].
func (m *Manager) Algs(ctx context.Context, authServerID string) ([]string, error) {
	ks, err := m.store.ListKeys(ctx, authServerID)
	if err != nil {
		return nil, fmt.Errorf("keys: list keys of %s: %w", authServerID, err)
	}
	var algs []string
	if active, _ := roles(ks); active != nil {
		algs = append(algs, active.Alg)
	}
	for _, k := range ks {
		if k.Alg != "" && !slices.Contains(algs, k.Alg) {
			algs = append(algs, k.Alg)
		}
	}
	if len(algs) == 0 {
		algs = []string{store.AlgRS256}
	}
	return algs, nil
}
