package verifier

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Defaults applied by NewIntrospector.
const (
	DefaultIntrospectionCacheTTL = 30 * time.Second
	DefaultIntrospectionEntries  = 10000
)

// IntrospectorConfig configures an Introspector.
type IntrospectorConfig struct {
	// Issuer is the authorization server; its discovery document gives the
	// introspection_endpoint. Required unless Endpoint is set.
	Issuer string
	// Endpoint, when set, is used instead of discovery.
	Endpoint string
	// ClientID and ClientSecret are the resource server's own client
	// credentials, sent with HTTP Basic (client_secret_basic).
	ClientID     string
	ClientSecret string
	// CacheTTL is how long an answer is reused; default 30 seconds, never
	// beyond the token's "exp". A negative value disables the cache.
	CacheTTL time.Duration
	// MaxCacheEntries bounds the cache; default 10000.
	MaxCacheEntries int
	// HTTPClient makes the calls; default http.DefaultClient.
	HTTPClient *http.Client
	// Now is the clock; default time.Now.
	Now func() time.Time
}

// Introspection is an RFC 7662 answer for an active token.
type Introspection struct {
	Active    bool
	Scope     string // space-separated
	ClientID  string
	Username  string
	TokenType string
	ExpiresAt time.Time
	IssuedAt  time.Time
	NotBefore time.Time
	Subject   string
	Audience  []string
	Issuer    string
	JTI       string
	UserID    string // Okta's "uid"
}

// Scopes splits Scope.
func (in *Introspection) Scopes() []string { return strings.Fields(in.Scope) }

// Introspector asks the issuer whether a token is active (RFC 7662). It is
// safe for concurrent use. Use it alone for opaque tokens, or set
// Config.Introspector so that Verify calls it after the local checks.
type Introspector struct {
	cfg       IntrospectorConfig
	client    *http.Client
	now       func() time.Time
	ttl       time.Duration
	discovery *discovery

	mu    sync.Mutex
	cache map[[sha256.Size]byte]cacheEntry
}

type cacheEntry struct {
	answer  *Introspection // nil: inactive
	expires time.Time
}

// NewIntrospector checks cfg. It does no I/O.
func NewIntrospector(cfg IntrospectorConfig) (*Introspector, error) {
	switch {
	case cfg.Endpoint != "":
		if err := checkHTTPURL("introspection endpoint", cfg.Endpoint); err != nil {
			return nil, err
		}
	case cfg.Issuer != "":
		if err := checkHTTPURL("issuer", cfg.Issuer); err != nil {
			return nil, err
		}
	default:
		return nil, errors.New("verifier: IntrospectorConfig needs Issuer or Endpoint")
	}
	if cfg.ClientID == "" {
		return nil, errors.New("verifier: IntrospectorConfig.ClientID is required")
	}
	in := &Introspector{
		cfg:    cfg,
		client: cfg.HTTPClient,
		now:    cfg.Now,
		ttl:    orDefault(cfg.CacheTTL, DefaultIntrospectionCacheTTL),
		cache:  make(map[[sha256.Size]byte]cacheEntry),
	}
	if in.client == nil {
		in.client = http.DefaultClient
	}
	if in.now == nil {
		in.now = time.Now
	}
	if in.cfg.MaxCacheEntries <= 0 {
		in.cfg.MaxCacheEntries = DefaultIntrospectionEntries
	}
	if cfg.Endpoint == "" {
		in.discovery = &discovery{issuer: cfg.Issuer, client: in.client}
	}
	return in, nil
}

// Introspect returns the issuer's answer for an active token. An inactive
// token is a *ValidationError wrapping ErrInactive; a failed call wraps
// ErrIntrospectionUnavailable. Answers are cached for CacheTTL, and an active
// answer never beyond its "exp".
func (in *Introspector) Introspect(ctx context.Context, token string) (*Introspection, error) {
	key := sha256.Sum256([]byte(token))
	now := in.now()
	if answer, ok := in.lookup(key, now); ok {
		return answerOrInactive(answer)
	}
	answer, err := in.call(ctx, token)
	if err != nil {
		return nil, &ValidationError{Check: CheckIntrospection, Err: ErrIntrospectionUnavailable, Cause: err}
	}
	in.store(key, answer, now)
	return answerOrInactive(answer)
}

func answerOrInactive(answer *Introspection) (*Introspection, error) {
	if answer == nil {
		return nil, reject(CheckIntrospection, ErrInactive, "the issuer answered active: false")
	}
	// An active ID or refresh token is not a bearer credential for an API:
	// issuers (Okta, Latchkey) answer active for those too.
	if t := answer.TokenType; t != "" && !strings.EqualFold(t, "Bearer") && !strings.EqualFold(t, "access_token") {
		return nil, reject(CheckIntrospection, ErrInactive, "the token is not an access token (token_type "+t+")")
	}
	return answer, nil
}

func (in *Introspector) lookup(key [sha256.Size]byte, now time.Time) (*Introspection, bool) {
	if in.ttl < 0 {
		return nil, false
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	e, ok := in.cache[key]
	if !ok || !now.Before(e.expires) {
		return nil, false
	}
	return e.answer, true
}

func (in *Introspector) store(key [sha256.Size]byte, answer *Introspection, now time.Time) {
	if in.ttl < 0 {
		return
	}
	expires := now.Add(in.ttl)
	if answer != nil && !answer.ExpiresAt.IsZero() && answer.ExpiresAt.Before(expires) {
		expires = answer.ExpiresAt
	}
	if !now.Before(expires) {
		return
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	if len(in.cache) >= in.cfg.MaxCacheEntries {
		for k, e := range in.cache {
			if !now.Before(e.expires) {
				delete(in.cache, k)
			}
		}
		if len(in.cache) >= in.cfg.MaxCacheEntries {
			clear(in.cache) // full of live answers: start over rather than grow
		}
	}
	in.cache[key] = cacheEntry{answer: answer, expires: expires}
}

func (in *Introspector) endpoint(ctx context.Context) (string, error) {
	if in.discovery == nil {
		return in.cfg.Endpoint, nil
	}
	doc, err := in.discovery.metadata(ctx)
	if err != nil {
		return "", err
	}
	if err := checkHTTPURL("introspection_endpoint", doc.IntrospectionEndpoint); err != nil {
		return "", fmt.Errorf("discovery: %w", err)
	}
	return doc.IntrospectionEndpoint, nil
}

// call implements RFC 7662 section 2.1, with client_secret_basic
// authentication (RFC 6749 section 2.3.1: id and secret form-urlencoded
// before base64). It returns nil for an inactive token.
func (in *Introspector) call(ctx context.Context, token string) (*Introspection, error) {
	endpoint, err := in.endpoint(ctx)
	if err != nil {
		return nil, err
	}
	form := url.Values{"token": {token}, "token_type_hint": {"access_token"}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	req.SetBasicAuth(url.QueryEscape(in.cfg.ClientID), url.QueryEscape(in.cfg.ClientSecret))
	resp, err := in.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxDocumentSize+1))
	if err != nil {
		return nil, fmt.Errorf("introspection: reading the body: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("introspection: %s answered %s", endpoint, resp.Status)
	}
	if len(body) > maxDocumentSize {
		return nil, fmt.Errorf("introspection: answer larger than %d bytes", maxDocumentSize)
	}
	return parseIntrospection(body)
}

func parseIntrospection(body []byte) (*Introspection, error) {
	raw, err := decodeObject(body)
	if err != nil {
		return nil, fmt.Errorf("introspection: %w", err)
	}
	active, ok := raw["active"].(bool)
	if !ok {
		return nil, errors.New(`introspection: the answer has no boolean "active"`)
	}
	if !active {
		return nil, nil
	}
	in := &Introspection{Active: true}
	str := func(name string) string { s, _ := raw[name].(string); return s }
	in.Scope = str("scope")
	in.ClientID = str("client_id")
	in.Username = str("username")
	in.TokenType = str("token_type")
	in.Subject = str("sub")
	in.Issuer = str("iss")
	in.JTI = str("jti")
	in.UserID = str("uid")
	if v, ok := raw["aud"]; ok {
		in.Audience, _ = stringOrStrings(v)
	}
	for name, dst := range map[string]*time.Time{"exp": &in.ExpiresAt, "iat": &in.IssuedAt, "nbf": &in.NotBefore} {
		if v, ok := raw[name]; ok {
			t, err := numericDate(v)
			if err != nil {
				return nil, fmt.Errorf("introspection: %s %w", name, err)
			}
			*dst = t
		}
	}
	return in, nil
}
