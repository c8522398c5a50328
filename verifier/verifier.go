package verifier

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// Defaults applied by New to zero Config fields.
const (
	DefaultLeeway             = 2 * time.Minute
	DefaultMinRefetchInterval = 10 * time.Second
	DefaultKeySetTTL          = 10 * time.Minute
	DefaultFetchTimeout       = 10 * time.Second
	DefaultMaxKeyStaleness    = 24 * time.Hour
)

// MaxTokenSize bounds the tokens Verify looks at; longer input is ErrMalformed
// before any decoding.
const MaxTokenSize = 16 << 10

// asymmetricAlgorithms are the algorithms Config.Algorithms may list. HMAC
// (HS*) and "none" are never accepted: a resource server holds no shared
// secret, and an HMAC "key" would be the issuer's public key.
var asymmetricAlgorithms = map[string]jose.SignatureAlgorithm{
	"RS256": jose.RS256, "RS384": jose.RS384, "RS512": jose.RS512,
	"PS256": jose.PS256, "PS384": jose.PS384, "PS512": jose.PS512,
	"ES256": jose.ES256, "ES384": jose.ES384, "ES512": jose.ES512,
	"EdDSA": jose.EdDSA,
}

// Config configures a Verifier. Issuer and Audience are required; every
// other field has a strict default.
type Config struct {
	// Issuer is compared byte for byte with the token's "iss" and with the
	// "issuer" of the discovery document, e.g.
	// "https://auth.example.com/oauth2/default".
	Issuer string
	// Audience must be the token's "aud" or one element of it, e.g.
	// "api://default".
	Audience string
	// ClientIDs, when not empty, lists the accepted "cid" values.
	ClientIDs []string
	// RequiredScopes must all be in the token's "scp".
	RequiredScopes []string
	// Leeway absorbs clock skew in the exp, nbf and iat checks. Zero means
	// DefaultLeeway (2 minutes); a negative value means no leeway at all.
	Leeway time.Duration
	// Algorithms lists the accepted "alg" values; default ["RS256"], what
	// Okta and a Latchkey server by default sign with. List "ES256" or
	// "EdDSA" for an issuer that signs with them; within this list a token
	// is accepted only with the alg its key publishes. New refuses "none",
	// HS256/384/512 and unknown names.
	Algorithms []string

	// JWKSURL, when set, is used instead of discovering "jwks_uri".
	JWKSURL string
	// HTTPClient fetches discovery and the JWKS; default http.DefaultClient.
	HTTPClient *http.Client
	// Now is the clock; default time.Now.
	Now func() time.Time
	// MinRefetchInterval is the least time between two fetches of the JWKS
	// caused by unknown kids (and between retries after a failed fetch).
	// Default 10 seconds: a key rotated in without being published ahead is
	// seen within 10 seconds, and forged kids cost the issuer at most six
	// requests a minute per process.
	MinRefetchInterval time.Duration
	// DefaultKeySetTTL is how long the JWKS is cached when its response has
	// no Cache-Control max-age; default 10 minutes. A max-age is honoured
	// between MinRefetchInterval and 24 hours.
	DefaultKeySetTTL time.Duration
	// FetchTimeout bounds one discovery plus JWKS fetch; default 10 seconds.
	FetchTimeout time.Duration
	// MaxKeyStaleness is how long after the last successful JWKS fetch the
	// cached keys are still trusted; default 24 hours. While the issuer is
	// unreachable, known keys keep verifying so that an outage of the
	// issuer is not an outage of every API; but a key the issuer withdrew
	// (a compromised one) would keep verifying too, for as long as the
	// outage lasts. Past MaxKeyStaleness every token fails with
	// ErrKeysStale (the middleware answers 503) until a fetch succeeds.
	// A shorter value drops withdrawn keys sooner and turns a shorter
	// issuer outage into an API outage. It must not be negative.
	MaxKeyStaleness time.Duration

	// Introspector, when set, is asked after all local checks pass, so that
	// a revoked token is refused before it expires (ErrInactive).
	Introspector *Introspector
}

// Verifier validates access tokens. It is safe for concurrent use; build one
// per issuer and audience and share it.
type Verifier struct {
	issuer       string
	audience     string
	clientIDs    []string
	scopes       []string
	leeway       time.Duration
	algs         []jose.SignatureAlgorithm
	now          func() time.Time
	keys         *remoteKeySet
	introspector *Introspector
}

// New checks cfg and returns a Verifier. It does no I/O: discovery and the
// JWKS are fetched on the first Verify, so a resource server starts while its
// issuer is down. Call Prefetch to fail fast at start-up instead.
func New(cfg Config) (*Verifier, error) {
	if cfg.Issuer == "" {
		return nil, errors.New("verifier: Config.Issuer is required")
	}
	if err := checkHTTPURL("issuer", cfg.Issuer); err != nil {
		return nil, err
	}
	if cfg.Audience == "" {
		return nil, errors.New("verifier: Config.Audience is required")
	}
	if cfg.MaxKeyStaleness < 0 {
		return nil, errors.New("verifier: Config.MaxKeyStaleness must not be negative")
	}
	if cfg.JWKSURL != "" {
		if err := checkHTTPURL("JWKS URL", cfg.JWKSURL); err != nil {
			return nil, err
		}
	}
	names := cfg.Algorithms
	if len(names) == 0 {
		names = []string{"RS256"}
	}
	algs := make([]jose.SignatureAlgorithm, 0, len(names))
	for _, name := range names {
		alg, ok := asymmetricAlgorithms[name]
		if !ok {
			return nil, fmt.Errorf("verifier: algorithm %q is not accepted (only asymmetric signatures: RS*, PS*, ES*, EdDSA)", name)
		}
		algs = append(algs, alg)
	}
	v := &Verifier{
		issuer:       cfg.Issuer,
		audience:     cfg.Audience,
		clientIDs:    slices.Clone(cfg.ClientIDs),
		scopes:       slices.Clone(cfg.RequiredScopes),
		leeway:       orDefault(cfg.Leeway, DefaultLeeway),
		algs:         algs,
		now:          cfg.Now,
		introspector: cfg.Introspector,
	}
	if v.leeway < 0 {
		v.leeway = 0
	}
	if v.now == nil {
		v.now = time.Now
	}
	client := cfg.HTTPClient
	if client == nil {
		client = http.DefaultClient
	}
	resolve := func(context.Context) (string, error) { return cfg.JWKSURL, nil }
	if cfg.JWKSURL == "" {
		d := &discovery{issuer: cfg.Issuer, client: client}
		resolve = func(ctx context.Context) (string, error) {
			doc, err := d.metadata(ctx)
			if err != nil {
				return "", err
			}
			if err := checkHTTPURL("jwks_uri", doc.JWKSURI); err != nil {
				return "", fmt.Errorf("discovery: %w", err)
			}
			return doc.JWKSURI, nil
		}
	}
	v.keys = &remoteKeySet{
		client:       client,
		now:          v.now,
		resolve:      resolve,
		minRefetch:   orDefault(cfg.MinRefetchInterval, DefaultMinRefetchInterval),
		defaultTTL:   orDefault(cfg.DefaultKeySetTTL, DefaultKeySetTTL),
		fetchTimeout: orDefault(cfg.FetchTimeout, DefaultFetchTimeout),
		maxStale:     orDefault(cfg.MaxKeyStaleness, DefaultMaxKeyStaleness),
	}
	return v, nil
}

func orDefault(d, def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return d
}

// Issuer returns the configured issuer.
func (v *Verifier) Issuer() string { return v.issuer }

// Audience returns the configured audience.
func (v *Verifier) Audience() string { return v.audience }

// RequiredScopes returns the scopes every token must carry.
func (v *Verifier) RequiredScopes() []string { return slices.Clone(v.scopes) }

// Prefetch runs discovery and fetches the JWKS now, returning the error if
// that fails. Verify does the same lazily; Prefetch exists for resource
// servers that prefer to fail at start-up.
func (v *Verifier) Prefetch(ctx context.Context) error {
	if err := v.keys.refresh(ctx); err != nil {
		return &ValidationError{Check: CheckKeySet, Err: ErrKeySetUnavailable, Cause: err}
	}
	return nil
}

// header is the part of the JOSE header verifyGeneral checks itself,
// before go-jose parses the token again with the algorithm allowlist.
type header struct {
	Alg string
	Kid string
}

// Verify validates a compact JWS access token and returns its claims.
//
// The checks run cheapest first: the compact form, "alg" against the
// allowlist, "kid" present, then the signature with the key named by "kid",
// then iss, aud, exp, nbf, iat, cid and scp, then introspection if
// configured. When "kid" is not in the cached key set, the claim checks run
// before the JWKS is fetched, so that a token that would be refused anyway
// (another issuer, expired) never costs the issuer a request.
//
// Every rejection is a *ValidationError wrapping one of the Err… sentinels.
func (v *Verifier) Verify(ctx context.Context, rawToken string) (*Claims, error) {
	if err := checkCompactForm(rawToken); err != nil {
		return nil, err
	}
	tok, plain := parseCompact(rawToken)
	if !plain {
		return v.verifyGeneral(ctx, rawToken)
	}
	// The header means what parseHeader would read: the same checks, the
	// same answers.
	if !slices.Contains(v.algs, jose.SignatureAlgorithm(tok.alg)) {
		return nil, reject(CheckAlgorithm, ErrAlgorithm, fmt.Sprintf("alg %q", tok.alg))
	}
	if tok.kid == "" {
		return nil, reject(CheckKeyID, ErrMalformed, `no "kid" in the header`)
	}
	claims, err := parseClaims(tok.payload)
	if err != nil {
		return nil, &ValidationError{Check: CheckFormat, Err: ErrMalformed, Detail: "claims", Cause: err}
	}
	return v.verifyParsed(ctx, rawToken, tok.alg, tok.kid, claims, func(key any) error {
		return verifySignature(key, jose.SignatureAlgorithm(tok.alg), tok.signingInput, tok.signature)
	})
}

// verifyGeneral is Verify for tokens parseCompact leaves alone (unusual
// headers, non-canonical base64): the header is read with encoding/json,
// then go-jose parses the token again with the algorithm allowlist and
// checks the signature.
func (v *Verifier) verifyGeneral(ctx context.Context, rawToken string) (*Claims, error) {
	hdr, err := v.parseHeader(rawToken)
	if err != nil {
		return nil, err
	}
	jws, err := jose.ParseSignedCompact(rawToken, v.algs)
	if err != nil {
		var unexpected *jose.ErrUnexpectedSignatureAlgorithm
		if errors.As(err, &unexpected) {
			return nil, &ValidationError{Check: CheckAlgorithm, Err: ErrAlgorithm, Cause: err}
		}
		return nil, &ValidationError{Check: CheckFormat, Err: ErrMalformed, Cause: err}
	}
	claims, err := parseClaims(jws.UnsafePayloadWithoutVerification())
	if err != nil {
		return nil, &ValidationError{Check: CheckFormat, Err: ErrMalformed, Detail: "claims", Cause: err}
	}
	return v.verifyParsed(ctx, rawToken, hdr.Alg, hdr.Kid, claims, func(key any) error {
		_, err := jws.Verify(key)
		return err
	})
}

// verifyParsed runs the checks after parsing: the key named by kid (the
// claim checks first when it must be fetched), its "alg" against the
// header's, the signature (verify), the claims, then introspection.
func (v *Verifier) verifyParsed(ctx context.Context, rawToken, alg, kid string, claims *Claims, verify func(key any) error) (*Claims, error) {
	now := v.now()
	key, cached := v.keys.cached(kid)
	if !cached {
		if err := v.checkClaims(claims, now); err != nil {
			return nil, err
		}
		var err error
		if key, err = v.keys.key(ctx, kid); err != nil {
			return nil, err
		}
	}
	if key.alg != "" && key.alg != alg {
		return nil, reject(CheckAlgorithm, ErrAlgorithm, fmt.Sprintf("token alg %q, key %q is for %q", alg, kid, key.alg))
	}
	if err := verify(key.key); err != nil {
		return nil, &ValidationError{Check: CheckSignature, Err: ErrSignature, Detail: fmt.Sprintf("kid %q", kid)}
	}
	if cached {
		if err := v.checkClaims(claims, now); err != nil {
			return nil, err
		}
	}
	if v.introspector != nil {
		if _, err := v.introspector.Introspect(ctx, rawToken); err != nil {
			return nil, err
		}
	}
	return claims, nil
}

// checkCompactForm is the first check of every token: its size and three
// dot-separated parts.
func checkCompactForm(raw string) error {
	if len(raw) > MaxTokenSize {
		return reject(CheckFormat, ErrMalformed, fmt.Sprintf("longer than %d bytes", MaxTokenSize))
	}
	if strings.Count(raw, ".") != 2 {
		return reject(CheckFormat, ErrMalformed, "not a compact JWS (three dot-separated parts)")
	}
	return nil
}

// parseHeader checks the compact form and the header fields Verify relies
// on, with precise errors, before any signature work.
func (v *Verifier) parseHeader(raw string) (*header, error) {
	if err := checkCompactForm(raw); err != nil {
		return nil, err
	}
	encoded, _, _ := strings.Cut(raw, ".")
	decoded, err := base64.RawURLEncoding.DecodeString(encoded)
	if err != nil {
		return nil, &ValidationError{Check: CheckFormat, Err: ErrMalformed, Detail: "header", Cause: err}
	}
	var fields struct {
		Alg  string          `json:"alg"`
		Kid  string          `json:"kid"`
		Crit json.RawMessage `json:"crit"`
	}
	if err := json.Unmarshal(decoded, &fields); err != nil {
		return nil, &ValidationError{Check: CheckFormat, Err: ErrMalformed, Detail: "header", Cause: err}
	}
	if fields.Crit != nil {
		return nil, reject(CheckFormat, ErrMalformed, `"crit" header not supported`)
	}
	h := header{Alg: fields.Alg, Kid: fields.Kid}
	if !slices.Contains(v.algs, jose.SignatureAlgorithm(h.Alg)) {
		return nil, reject(CheckAlgorithm, ErrAlgorithm, fmt.Sprintf("alg %q", h.Alg))
	}
	if h.Kid == "" {
		return nil, reject(CheckKeyID, ErrMalformed, `no "kid" in the header`)
	}
	return &h, nil
}

// checkClaims runs the claim checks in order: iss, aud, exp, nbf, iat, cid,
// scp.
func (v *Verifier) checkClaims(c *Claims, now time.Time) error {
	if c.Issuer == "" {
		return reject(CheckIssuer, ErrMalformed, `no "iss" claim`)
	}
	if c.Issuer != v.issuer {
		return reject(CheckIssuer, ErrIssuer, fmt.Sprintf("got %q, want %q", c.Issuer, v.issuer))
	}
	if len(c.Audience) == 0 {
		return reject(CheckAudience, ErrMalformed, `no "aud" claim`)
	}
	if !slices.Contains(c.Audience, v.audience) {
		return reject(CheckAudience, ErrAudience, fmt.Sprintf("got %q, want %q", c.Audience, v.audience))
	}
	if c.ExpiresAt.IsZero() {
		return reject(CheckExpiry, ErrMalformed, `no "exp" claim`)
	}
	if !now.Before(c.ExpiresAt.Add(v.leeway)) {
		return reject(CheckExpiry, ErrExpired, fmt.Sprintf("expired at %s, now %s, leeway %s", stamp(c.ExpiresAt), stamp(now), v.leeway))
	}
	if !c.NotBefore.IsZero() && now.Add(v.leeway).Before(c.NotBefore) {
		return reject(CheckNotBefore, ErrNotYetValid, fmt.Sprintf("valid from %s, now %s, leeway %s", stamp(c.NotBefore), stamp(now), v.leeway))
	}
	if c.IssuedAt.IsZero() {
		return reject(CheckIssuedAt, ErrMalformed, `no "iat" claim`)
	}
	if now.Add(v.leeway).Before(c.IssuedAt) {
		return reject(CheckIssuedAt, ErrIssuedInFuture, fmt.Sprintf("issued at %s, now %s, leeway %s", stamp(c.IssuedAt), stamp(now), v.leeway))
	}
	if len(v.clientIDs) > 0 && !slices.Contains(v.clientIDs, c.ClientID) {
		return reject(CheckClientID, ErrClientID, fmt.Sprintf("cid %q", c.ClientID))
	}
	if missing := missingScopes(c.Scopes, v.scopes); len(missing) > 0 {
		return reject(CheckScope, ErrScope, fmt.Sprintf("missing %s", strings.Join(missing, " ")))
	}
	return nil
}

func missingScopes(have, want []string) []string {
	var missing []string
	for _, s := range want {
		if !slices.Contains(have, s) {
			missing = append(missing, s)
		}
	}
	return missing
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }
