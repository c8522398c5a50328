// Package verifiertest starts an Okta-shaped test issuer for the tests of
// resource servers that use package verifier: discovery (both documents), a
// JWKS with Cache-Control, an introspection endpoint that knows which tokens
// the test revoked, and helpers that mint access tokens.
//
//	iss := verifiertest.NewIssuer(t)
//	v, _ := verifier.New(verifier.Config{Issuer: iss.Issuer(), Audience: iss.Audience()})
//	claims, err := v.Verify(ctx, iss.AccessToken(verifiertest.WithScopes("messages:read")))
//
// The server listens on 127.0.0.1 and is closed by t.Cleanup. It does not
// import package verifier, so that package's own tests can use it.
package verifiertest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// Defaults of a new Issuer.
const (
	DefaultAudience     = "api://default"
	DefaultServerID     = "default"
	DefaultClientID     = "0oaverifiertest00000"
	DefaultClientSecret = "verifiertest-client-secret"
	DefaultKeysMaxAge   = 5 * time.Minute
	DefaultLifetime     = time.Hour
)

// Option configures NewIssuer.
type Option func(*Issuer)

// WithAudience sets the audience of minted access tokens (default
// "api://default").
func WithAudience(aud string) Option { return func(i *Issuer) { i.audience = aud } }

// WithServerID sets the authorization server id in the issuer URL
// {server}/oauth2/{id} (default "default").
func WithServerID(id string) Option { return func(i *Issuer) { i.serverID = id } }

// WithClient sets the client credentials the introspection endpoint accepts
// (HTTP Basic, RFC 6749 section 2.3.1 encoding) and the default "cid".
func WithClient(id, secret string) Option {
	return func(i *Issuer) { i.clientID, i.clientSecret = id, secret }
}

// WithKeysMaxAge sets the JWKS Cache-Control max-age (default 5 minutes); a
// negative value sends no Cache-Control header at all.
func WithKeysMaxAge(d time.Duration) Option { return func(i *Issuer) { i.maxAge = d } }

// WithAlgorithm sets the algorithm of the issuer's signing keys: "RS256"
// (the default, 2048-bit RSA), "ES256" (P-256) or "EdDSA" (Ed25519), as a
// Latchkey authorization server's signing_alg does. NewIssuer fails the
// test on any other name.
func WithAlgorithm(alg string) Option { return func(i *Issuer) { i.alg = alg } }

// WithNow sets the clock used to mint tokens and to judge expiry in
// introspection (default time.Now).
func WithNow(now func() time.Time) Option { return func(i *Issuer) { i.now = now } }

// Issuer is a running test authorization server. Its methods are safe for
// concurrent use.
type Issuer struct {
	t            testing.TB
	srv          *httptest.Server
	issuer       string
	audience     string
	serverID     string
	clientID     string
	clientSecret string
	maxAge       time.Duration
	now          func() time.Time
	alg          string // of new keys

	mu      sync.Mutex
	keys    []*signingKey // published; the last one signs
	revoked map[string]bool
	down    bool

	jwksFetches      atomic.Int64
	discoveryFetches atomic.Int64
	introspections   atomic.Int64
}

type signingKey struct {
	kid    string
	alg    string
	priv   crypto.Signer
	signer jose.Signer
}

// NewIssuer starts an issuer with one signing key (RS256 unless
// WithAlgorithm says otherwise) and closes it when the test ends.
func NewIssuer(t testing.TB, opts ...Option) *Issuer {
	t.Helper()
	i := &Issuer{
		t:            t,
		audience:     DefaultAudience,
		serverID:     DefaultServerID,
		clientID:     DefaultClientID,
		clientSecret: DefaultClientSecret,
		maxAge:       DefaultKeysMaxAge,
		now:          time.Now,
		alg:          "RS256",
		revoked:      make(map[string]bool),
	}
	for _, opt := range opts {
		opt(i)
	}
	i.keys = []*signingKey{i.newKey(i.alg)}
	i.srv = httptest.NewServer(i.handler())
	t.Cleanup(i.srv.Close)
	i.issuer = i.srv.URL + "/oauth2/" + i.serverID
	return i
}

func (i *Issuer) newKey(alg string) *signingKey {
	var priv crypto.Signer
	var err error
	switch alg {
	case "RS256":
		priv, err = rsa.GenerateKey(rand.Reader, 2048)
	case "ES256":
		priv, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case "EdDSA":
		_, priv, err = ed25519.GenerateKey(rand.Reader)
	default:
		err = fmt.Errorf("algorithm %q is not RS256, ES256 or EdDSA", alg)
	}
	if err != nil {
		i.t.Fatalf("verifiertest: generating a key: %v", err)
	}
	kid := randomString(15)
	signer, err := jose.NewSigner(
		jose.SigningKey{Algorithm: jose.SignatureAlgorithm(alg), Key: jose.JSONWebKey{Key: priv, KeyID: kid}},
		(&jose.SignerOptions{}).WithType("JWT"),
	)
	if err != nil {
		i.t.Fatalf("verifiertest: making a signer: %v", err)
	}
	return &signingKey{kid: kid, alg: alg, priv: priv, signer: signer}
}

// Issuer returns the issuer URL, {server}/oauth2/{id}.
func (i *Issuer) Issuer() string { return i.issuer }

// URL returns the server's base URL.
func (i *Issuer) URL() string { return i.srv.URL }

// Audience returns the audience of minted tokens.
func (i *Issuer) Audience() string { return i.audience }

// JWKSURL returns the URL of the key set.
func (i *Issuer) JWKSURL() string { return i.issuer + "/v1/keys" }

// IntrospectionURL returns the URL of the introspection endpoint.
func (i *Issuer) IntrospectionURL() string { return i.issuer + "/v1/introspect" }

// ClientID returns the client id the introspection endpoint accepts, and the
// default "cid" of minted tokens.
func (i *Issuer) ClientID() string { return i.clientID }

// ClientSecret returns the client secret the introspection endpoint accepts.
func (i *Issuer) ClientSecret() string { return i.clientSecret }

// KeyID returns the kid of the signing key.
func (i *Issuer) KeyID() string {
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.keys[len(i.keys)-1].kid
}

// PublicKey returns the public half of the signing key when it is an RSA
// key, nil otherwise (see Public).
func (i *Issuer) PublicKey() *rsa.PublicKey {
	pub, _ := i.Public().(*rsa.PublicKey)
	return pub
}

// Public returns the public half of the signing key, whatever its type:
// *rsa.PublicKey, *ecdsa.PublicKey or ed25519.PublicKey.
func (i *Issuer) Public() crypto.PublicKey {
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.keys[len(i.keys)-1].priv.Public()
}

// Algorithm returns the algorithm of the signing key.
func (i *Issuer) Algorithm() string {
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.keys[len(i.keys)-1].alg
}

// RotateKey makes a new signing key of the signing key's algorithm and
// returns its kid. The previous keys stay published (Okta's EXPIRED state),
// so the tokens they signed still verify; Unpublish withdraws one.
func (i *Issuer) RotateKey() string {
	return i.RotateKeyTo(i.Algorithm())
}

// RotateKeyTo is RotateKey with a key of another algorithm ("RS256",
// "ES256" or "EdDSA"), as a server whose signing algorithm changed rotates.
func (i *Issuer) RotateKeyTo(alg string) string {
	k := i.newKey(alg)
	i.mu.Lock()
	defer i.mu.Unlock()
	i.keys = append(i.keys, k)
	return k.kid
}

// Unpublish removes the key kid from the JWKS; the signing key cannot be
// removed.
func (i *Issuer) Unpublish(kid string) {
	i.mu.Lock()
	defer i.mu.Unlock()
	for n, k := range i.keys[:len(i.keys)-1] {
		if k.kid == kid {
			i.keys = append(i.keys[:n], i.keys[n+1:]...)
			return
		}
	}
}

// SetDown makes every endpoint answer 503 (down) or work again.
func (i *Issuer) SetDown(down bool) {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.down = down
}

// Revoke makes the introspection endpoint answer {"active": false} for token.
func (i *Issuer) Revoke(token string) {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.revoked[token] = true
}

// JWKSFetches counts the GET requests the JWKS endpoint has served.
func (i *Issuer) JWKSFetches() int { return int(i.jwksFetches.Load()) }

// DiscoveryFetches counts the requests both discovery documents have served.
func (i *Issuer) DiscoveryFetches() int { return int(i.discoveryFetches.Load()) }

// IntrospectionRequests counts the requests the introspection endpoint has
// served, authenticated or not.
func (i *Issuer) IntrospectionRequests() int { return int(i.introspections.Load()) }

// Sign signs claims, as given, with the signing key: header alg of the key
// (RS256 by default), typ JWT, kid of the key.
func (i *Issuer) Sign(claims map[string]any) string {
	i.mu.Lock()
	k := i.keys[len(i.keys)-1]
	i.mu.Unlock()
	payload, err := json.Marshal(claims)
	if err != nil {
		i.t.Fatalf("verifiertest: encoding claims: %v", err)
	}
	jws, err := k.signer.Sign(payload)
	if err != nil {
		i.t.Fatalf("verifiertest: signing: %v", err)
	}
	token, err := jws.CompactSerialize()
	if err != nil {
		i.t.Fatalf("verifiertest: serializing: %v", err)
	}
	return token
}

// TokenOption changes the claims of AccessToken.
type TokenOption func(claims map[string]any)

// WithScopes sets "scp" (default ["openid"]).
func WithScopes(scopes ...string) TokenOption {
	return func(c map[string]any) { c["scp"] = scopes }
}

// WithClientID sets "cid" (default the issuer's client id).
func WithClientID(cid string) TokenOption { return func(c map[string]any) { c["cid"] = cid } }

// WithUserID sets "uid"; an empty uid removes the claim, as in a client
// credentials token.
func WithUserID(uid string) TokenOption {
	return func(c map[string]any) {
		if uid == "" {
			delete(c, "uid")
			return
		}
		c["uid"] = uid
	}
}

// WithSubject sets "sub" (default "user@example.com").
func WithSubject(sub string) TokenOption { return func(c map[string]any) { c["sub"] = sub } }

// WithLifetime sets "exp" to "iat" plus d (default one hour); a negative d
// makes an expired token.
func WithLifetime(d time.Duration) TokenOption {
	return func(c map[string]any) {
		iat, _ := c["iat"].(int64)
		c["exp"] = iat + int64(d/time.Second)
	}
}

// WithClaim sets any claim; a nil value removes it.
func WithClaim(name string, value any) TokenOption {
	return func(c map[string]any) {
		if value == nil {
			delete(c, name)
			return
		}
		c[name] = value
	}
}

// AccessToken mints an access token shaped like Okta's and Latchkey's: ver,
// jti "AT.…", iss, aud, iat, exp, cid, uid, scp, sub, auth_time.
func (i *Issuer) AccessToken(opts ...TokenOption) string {
	now := i.now().Unix()
	claims := map[string]any{
		"ver":       1,
		"jti":       "AT." + randomString(32),
		"iss":       i.issuer,
		"aud":       i.audience,
		"iat":       now,
		"exp":       now + int64(DefaultLifetime/time.Second),
		"cid":       i.clientID,
		"uid":       "00u" + randomString(17),
		"scp":       []string{"openid"},
		"sub":       "user@example.com",
		"auth_time": now,
	}
	for _, opt := range opts {
		opt(claims)
	}
	return i.Sign(claims)
}

func randomString(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)[:n]
}

func (i *Issuer) handler() http.Handler {
	mux := http.NewServeMux()
	prefix := "/oauth2/" + i.serverID
	mux.HandleFunc("GET "+prefix+"/.well-known/openid-configuration", i.serveDiscovery(true))
	mux.HandleFunc("GET "+prefix+"/.well-known/oauth-authorization-server", i.serveDiscovery(false))
	mux.HandleFunc("GET /.well-known/oauth-authorization-server"+prefix, i.serveDiscovery(false))
	mux.HandleFunc("GET "+prefix+"/v1/keys", i.serveKeys)
	mux.HandleFunc("POST "+prefix+"/v1/introspect", i.serveIntrospect)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i.mu.Lock()
		down := i.down
		i.mu.Unlock()
		if down {
			http.Error(w, "down for the test", http.StatusServiceUnavailable)
			return
		}
		mux.ServeHTTP(w, r)
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (i *Issuer) serveDiscovery(oidc bool) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		i.discoveryFetches.Add(1)
		doc := map[string]any{
			"issuer":                 i.issuer,
			"jwks_uri":               i.JWKSURL(),
			"introspection_endpoint": i.IntrospectionURL(),
			"introspection_endpoint_auth_methods_supported": []string{"client_secret_basic"},
			"response_types_supported":                      []string{"code"},
			"scopes_supported":                              []string{"openid"},
		}
		if oidc {
			doc["subject_types_supported"] = []string{"public"}
			var algs []string
			i.mu.Lock()
			for _, k := range i.keys {
				if !slices.Contains(algs, k.alg) {
					algs = append(algs, k.alg)
				}
			}
			i.mu.Unlock()
			doc["id_token_signing_alg_values_supported"] = algs
		}
		writeJSON(w, http.StatusOK, doc)
	}
}

func (i *Issuer) serveKeys(w http.ResponseWriter, _ *http.Request) {
	i.jwksFetches.Add(1)
	i.mu.Lock()
	set := jose.JSONWebKeySet{}
	for _, k := range i.keys {
		set.Keys = append(set.Keys, jose.JSONWebKey{Key: k.priv.Public(), KeyID: k.kid, Algorithm: k.alg, Use: "sig"})
	}
	i.mu.Unlock()
	if i.maxAge >= 0 {
		w.Header().Set("Cache-Control", fmt.Sprintf("max-age=%d, must-revalidate", int64(i.maxAge/time.Second)))
	}
	writeJSON(w, http.StatusOK, set)
}

// serveIntrospect implements RFC 7662 for the tokens this issuer signed.
func (i *Issuer) serveIntrospect(w http.ResponseWriter, r *http.Request) {
	i.introspections.Add(1)
	w.Header().Set("Cache-Control", "no-store")
	id, secret, ok := basicCredentials(r)
	if !ok || id != i.clientID || secret != i.clientSecret {
		w.Header().Set("WWW-Authenticate", `Basic realm="verifiertest"`)
		writeJSON(w, http.StatusUnauthorized, map[string]string{
			"error": "invalid_client", "error_description": "Client authentication failed.",
		})
		return
	}
	if err := r.ParseForm(); err != nil || r.PostForm.Get("token") == "" {
		writeJSON(w, http.StatusBadRequest, map[string]string{
			"error": "invalid_request", "error_description": "The required parameter 'token' is missing.",
		})
		return
	}
	claims, ok := i.check(r.PostForm.Get("token"))
	if !ok {
		writeJSON(w, http.StatusOK, map[string]bool{"active": false})
		return
	}
	answer := map[string]any{"active": true, "token_type": "Bearer"}
	for from, to := range map[string]string{
		"cid": "client_id", "sub": "username", "exp": "exp", "iat": "iat", "nbf": "nbf",
		"aud": "aud", "iss": "iss", "jti": "jti", "uid": "uid",
	} {
		if v, ok := claims[from]; ok {
			answer[to] = v
		}
	}
	if v, ok := claims["sub"]; ok {
		answer["sub"] = v
	}
	if scp, ok := claims["scp"].([]any); ok {
		parts := make([]string, 0, len(scp))
		for _, s := range scp {
			if s, ok := s.(string); ok {
				parts = append(parts, s)
			}
		}
		answer["scope"] = strings.Join(parts, " ")
	}
	writeJSON(w, http.StatusOK, answer)
}

// basicCredentials decodes client_secret_basic: base64 of the
// form-urlencoded id and secret joined by a colon (RFC 6749 section 2.3.1).
func basicCredentials(r *http.Request) (id, secret string, ok bool) {
	scheme, encoded, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	if !strings.EqualFold(scheme, "Basic") {
		return "", "", false
	}
	decoded, err := base64.StdEncoding.DecodeString(encoded)
	if err != nil {
		return "", "", false
	}
	rawID, rawSecret, ok := strings.Cut(string(decoded), ":")
	if !ok {
		return "", "", false
	}
	id, err1 := url.QueryUnescape(rawID)
	secret, err2 := url.QueryUnescape(rawSecret)
	return id, secret, err1 == nil && err2 == nil
}

// check reports whether token was signed by a published key, is unexpired
// and not revoked, and returns its claims.
func (i *Issuer) check(token string) (map[string]any, bool) {
	jws, err := jose.ParseSignedCompact(token, []jose.SignatureAlgorithm{jose.RS256, jose.ES256, jose.EdDSA})
	if err != nil || len(jws.Signatures) != 1 {
		return nil, false
	}
	kid, alg := jws.Signatures[0].Header.KeyID, jws.Signatures[0].Header.Algorithm
	i.mu.Lock()
	var pub crypto.PublicKey
	for _, k := range i.keys {
		if k.kid == kid && k.alg == alg {
			pub = k.priv.Public()
		}
	}
	revoked := i.revoked[token]
	i.mu.Unlock()
	if pub == nil || revoked {
		return nil, false
	}
	payload, err := jws.Verify(pub)
	if err != nil {
		return nil, false
	}
	var claims map[string]any
	if err := json.Unmarshal(payload, &claims); err != nil {
		return nil, false
	}
	exp, ok := claims["exp"].(float64)
	if !ok || float64(i.now().Unix()) >= exp {
		return nil, false
	}
	return claims, true
}
