package e2e

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"golang.org/x/oauth2"

	"github.com/latchkey/latchkey/internal/app"
	"github.com/latchkey/latchkey/internal/config"
	"github.com/latchkey/latchkey/internal/provision"
)

const jwtBearer = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

// assertionClaims are the claims of a valid client assertion for the env's
// token endpoint (RFC 7523 section 3).
func (e *env) assertionClaims(clientID string) map[string]any {
	now := time.Now()
	jti := make([]byte, 16)
	_, _ = rand.Read(jti)
	return map[string]any{"iss": clientID, "sub": clientID, "aud": e.tokenURL, "iat": now.Unix(),
		"exp": now.Add(5 * time.Minute).Unix(), "jti": base64.RawURLEncoding.EncodeToString(jti)}
}

// signAssertion signs claims as a compact JWS, as a client library would.
func signAssertion(t *testing.T, alg jose.SignatureAlgorithm, key any, kid string, claims map[string]any) string {
	t.Helper()
	opts := (&jose.SignerOptions{}).WithType("JWT")
	if kid != "" {
		opts = opts.WithHeader("kid", kid)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, opts)
	if err != nil {
		t.Fatal(err)
	}
	payload, _ := json.Marshal(claims)
	jws, err := signer.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	out, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// changed returns a copy of claims with key set to v, or removed when v is nil.
func changed(claims map[string]any, key string, v any) map[string]any {
	out := map[string]any{}
	for k, val := range claims {
		out[k] = val
	}
	if v == nil {
		delete(out, key)
	} else {
		out[key] = v
	}
	return out
}

// assertionGrant posts the password grant authenticated by a client assertion.
func (e *env) assertionGrant(assertion string, header map[string]string) response {
	e.t.Helper()
	f := e.passwordForm("openid")
	f.Set("client_assertion_type", jwtBearer)
	f.Set("client_assertion", assertion)
	return e.post(e.tokenURL, f.Encode(), header)
}

// wantTokensFor checks a 200 whose access token was issued to clientID.
func wantTokensFor(t *testing.T, e *env, r response, clientID string) {
	t.Helper()
	if r.status != http.StatusOK {
		t.Fatalf("%d %s", r.status, r.raw)
	}
	at := verifyJWT(t, e, r.body["access_token"].(string))
	if at["cid"] != clientID || at["sub"] != e.username {
		t.Fatalf("access token cid %v sub %v, want %s %s", at["cid"], at["sub"], clientID, e.username)
	}
}

// jwksPublic is the public JWK Set of keys by kid.
func jwksPublic(t *testing.T, keys map[string]any) []byte {
	t.Helper()
	var set jose.JSONWebKeySet
	for kid, k := range keys {
		jwk := jose.JSONWebKey{Key: k, KeyID: kid, Use: "sig"}
		set.Keys = append(set.Keys, jwk.Public())
	}
	b, err := json.Marshal(set)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestClientSecretJWT(t *testing.T) {
	e := newEnv(t)
	c, secret, err := e.app.Provision.CreateClient(context.Background(), provision.ClientInput{Name: "jwt app", AuthMethod: "client_secret_jwt"})
	if err != nil {
		t.Fatal(err)
	}
	if len(secret) < 32 {
		t.Fatalf("secret of %d characters", len(secret))
	}
	r := e.assertionGrant(signAssertion(t, jose.HS256, []byte(secret), "", e.assertionClaims(c.ID)), nil)
	wantTokensFor(t, e, r, c.ID)
	// The secret itself is refused in Basic or the body: the client is held
	// to its method.
	if r := e.post(e.tokenURL, e.passwordForm("openid").Encode(), map[string]string{"Authorization": basic(c.ID, secret)}); r.status != 401 || r.body["error"] != "invalid_client" {
		t.Fatalf("client_secret_jwt client with Basic: %d %s", r.status, r.raw)
	}
}

func TestPrivateKeyJWT(t *testing.T) {
	// The client's JWKS is served over http on loopback: only the
	// development setting lets a jwks_uri reach it.
	e := newEnvConfig(t, func(c *config.Config) { c.Clients.AllowInsecureJWKSURI = true }, app.Options{}, nil)
	ctx := context.Background()
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	set := jwksPublic(t, map[string]any{"rsa-1": rsaKey, "ec-1": ecKey})
	var fetches atomic.Int32
	jwksSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fetches.Add(1)
		w.Header().Set("Content-Type", "application/jwk-set+json")
		w.Header().Set("Cache-Control", "public, max-age=600")
		_, _ = w.Write(set)
	}))
	t.Cleanup(jwksSrv.Close)

	inline, _, err := e.app.Provision.CreateClient(ctx, provision.ClientInput{Name: "inline keys", AuthMethod: "private_key_jwt", JWKS: set})
	if err != nil {
		t.Fatal(err)
	}
	byURL, _, err := e.app.Provision.CreateClient(ctx, provision.ClientInput{Name: "keys by URL", AuthMethod: "private_key_jwt", JWKSURI: jwksSrv.URL + "/jwks.json"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		client string
		alg    jose.SignatureAlgorithm
		key    any
		kid    string
	}{
		{"RS256 inline JWKS", inline.ID, jose.RS256, rsaKey, "rsa-1"},
		{"ES256 inline JWKS", inline.ID, jose.ES256, ecKey, "ec-1"},
		{"RS256 JWKS URL", byURL.ID, jose.RS256, rsaKey, "rsa-1"},
		{"ES256 JWKS URL", byURL.ID, jose.ES256, ecKey, "ec-1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.assertionGrant(signAssertion(t, tc.alg, tc.key, tc.kid, e.assertionClaims(tc.client)), nil)
			wantTokensFor(t, e, r, tc.client)
		})
	}
	if n := fetches.Load(); n != 1 {
		t.Fatalf("the JWKS URL was fetched %d times, want once (cached for its max-age)", n)
	}
}

// TestPublicClient: a client configured with "none" authenticates by its
// client_id alone, as golang.org/x/oauth2 sends it with an empty secret.
func TestPublicClient(t *testing.T) {
	e := newEnv(t)
	c, secret, err := e.app.Provision.CreateClient(context.Background(), provision.ClientInput{Name: "spa", AuthMethod: "none"})
	if err != nil {
		t.Fatal(err)
	}
	if cs, err := e.app.Store.ListClientSecrets(context.Background(), c.ID); secret != "" || len(cs) != 0 || err != nil {
		t.Fatal("a public client got a secret")
	}
	conf := &oauth2.Config{ClientID: c.ID, Endpoint: oauth2.Endpoint{TokenURL: e.tokenURL, AuthStyle: oauth2.AuthStyleInParams}, Scopes: []string{"openid"}}
	tok, err := conf.PasswordCredentialsToken(context.Background(), e.username, e.password)
	if err != nil {
		t.Fatalf("PasswordCredentialsToken: %v", err)
	}
	if at := verifyJWT(t, e, tok.AccessToken); at["cid"] != c.ID {
		t.Fatalf("cid %v", at["cid"])
	}
	// Only clients configured with none may leave the secret out.
	conf.ClientID = e.postClientID
	if _, err := conf.PasswordCredentialsToken(context.Background(), e.username, e.password); err == nil || !strings.Contains(err.Error(), "invalid_client") {
		t.Fatalf("confidential client without its secret: %v", err)
	}
}

// TestClientAssertionErrors asserts the contract's client-authentication
// rows for assertions: status, error, error_description and headers.
func TestClientAssertionErrors(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	jc, secret, err := e.app.Provision.CreateClient(ctx, provision.ClientInput{Name: "jwt app", AuthMethod: "client_secret_jwt"})
	if err != nil {
		t.Fatal(err)
	}
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	kc, _, err := e.app.Provision.CreateClient(ctx, provision.ClientInput{Name: "key app", AuthMethod: "private_key_jwt", JWKS: jwksPublic(t, map[string]any{"k1": rsaKey})})
	if err != nil {
		t.Fatal(err)
	}
	pub, _, err := e.app.Provision.CreateClient(ctx, provision.ClientInput{Name: "public app", AuthMethod: "none"})
	if err != nil {
		t.Fatal(err)
	}
	hs := func(claims map[string]any) string { return signAssertion(t, jose.HS256, []byte(secret), "", claims) }
	now := time.Now()
	none := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`)) + "." +
		base64.RawURLEncoding.EncodeToString(must(json.Marshal(e.assertionClaims(jc.ID)))) + "."
	replayed := hs(e.assertionClaims(jc.ID))
	if r := e.assertionGrant(replayed, nil); r.status != http.StatusOK {
		t.Fatalf("first use: %d %s", r.status, r.raw)
	}
	// An assertion without a jti is accepted once, as Okta accepts it
	// (Okta's Go SDK sends none): its hash stands for the jti.
	noJTI := hs(changed(e.assertionClaims(jc.ID), "jti", nil))
	if r := e.assertionGrant(noJTI, nil); r.status != http.StatusOK {
		t.Fatalf("first use of an assertion without a jti: %d %s", r.status, r.raw)
	}

	const (
		clientFailed = "Client authentication failed. Either the client or the client credentials are invalid."
		multiple     = "Cannot supply multiple client credentials. Use one of the following: credentials in the Authorization header, credentials in the post body, or a client_assertion in the post body."
	)
	form := func(mod func(url.Values)) string {
		f := e.passwordForm("openid")
		f.Set("client_assertion_type", jwtBearer)
		mod(f)
		return f.Encode()
	}
	assertion := func(a string) string { return form(func(f url.Values) { f.Set("client_assertion", a) }) }
	cases := []struct {
		name      string
		body      string
		header    map[string]string
		status    int
		err, desc string
		basicChal bool
	}{
		{name: "wrong aud", body: assertion(hs(changed(e.assertionClaims(jc.ID), "aud", e.issuer))), status: 401, err: "invalid_client", desc: clientFailed},
		{name: "expired", body: assertion(hs(changed(e.assertionClaims(jc.ID), "exp", now.Add(-5*time.Minute).Unix()))), status: 401, err: "invalid_client", desc: clientFailed},
		{name: "exp more than an hour ahead", body: assertion(hs(changed(e.assertionClaims(jc.ID), "exp", now.Add(2*time.Hour).Unix()))), status: 401, err: "invalid_client", desc: clientFailed},
		{name: "no exp", body: assertion(hs(changed(e.assertionClaims(jc.ID), "exp", nil))), status: 401, err: "invalid_client", desc: clientFailed},
		{name: "nbf in the future", body: assertion(hs(changed(e.assertionClaims(jc.ID), "nbf", now.Add(10*time.Minute).Unix()))), status: 401, err: "invalid_client", desc: clientFailed},
		{name: "replayed assertion without a jti", body: assertion(noJTI), status: 401, err: "invalid_client", desc: clientFailed},
		{name: "replayed jti", body: assertion(replayed), status: 401, err: "invalid_client", desc: clientFailed},
		{name: "sub is not iss", body: assertion(hs(changed(e.assertionClaims(jc.ID), "sub", e.clientID))), status: 401, err: "invalid_client", desc: clientFailed},
		{name: "iss and sub another client", body: assertion(hs(e.assertionClaims(e.clientID))), status: 401, err: "invalid_client", desc: clientFailed},
		{name: "iss and sub unknown", body: assertion(hs(e.assertionClaims("0oaUnknownUnknown123"))), status: 401, err: "invalid_client", desc: "Invalid value for 'client_id' parameter."},
		{name: "client_id is not iss", body: form(func(f url.Values) {
			f.Set("client_assertion", hs(e.assertionClaims(jc.ID)))
			f.Set("client_id", kc.ID)
		}), status: 401, err: "invalid_client", desc: clientFailed},
		{name: "alg none", body: assertion(none), status: 401, err: "invalid_client", desc: clientFailed},
		{name: "wrong secret", body: assertion(signAssertion(t, jose.HS256, []byte(strings.Repeat("x", 43)), "", e.assertionClaims(jc.ID))), status: 401, err: "invalid_client", desc: clientFailed},
		{name: "HS256 assertion for a private_key_jwt client", body: assertion(signAssertion(t, jose.HS256, []byte(secret), "k1", e.assertionClaims(kc.ID))), status: 401, err: "invalid_client", desc: clientFailed},
		{name: "RS256 assertion for a client_secret_jwt client", body: assertion(signAssertion(t, jose.RS256, rsaKey, "k1", e.assertionClaims(jc.ID))), status: 401, err: "invalid_client", desc: clientFailed},
		{name: "unknown kid", body: assertion(signAssertion(t, jose.RS256, rsaKey, "k2", e.assertionClaims(kc.ID))), status: 401, err: "invalid_client", desc: clientFailed},
		{name: "wrong client_assertion_type", body: form(func(f url.Values) {
			f.Set("client_assertion", hs(e.assertionClaims(jc.ID)))
			f.Set("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:saml2-bearer")
		}), status: 401, err: "invalid_client", desc: clientFailed},
		{name: "assertion too large", body: assertion(hs(changed(e.assertionClaims(jc.ID), "pad", strings.Repeat("p", 9000)))), status: 401, err: "invalid_client", desc: clientFailed},
		{name: "assertion plus Basic", body: assertion(hs(e.assertionClaims(jc.ID))), header: map[string]string{"Authorization": basic(e.clientID, e.clientSecret)},
			status: 401, err: "invalid_request", desc: multiple, basicChal: true},
		{name: "assertion plus client_secret", body: form(func(f url.Values) {
			f.Set("client_assertion", hs(e.assertionClaims(jc.ID)))
			f.Set("client_secret", secret)
		}), status: 401, err: "invalid_request", desc: multiple},
		{name: "public client with a secret", body: url.Values{"grant_type": {"password"}, "username": {e.username}, "password": {e.password}, "scope": {"openid"},
			"client_id": {pub.ID}, "client_secret": {"anything-at-all-here"}}.Encode(), status: 401, err: "invalid_client", desc: clientFailed},
		{name: "confidential client with no secret", body: url.Values{"grant_type": {"password"}, "username": {e.username}, "password": {e.password}, "scope": {"openid"},
			"client_id": {e.postClientID}}.Encode(), status: 401, err: "invalid_client", desc: clientFailed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := e.post(e.tokenURL, tc.body, tc.header)
			if r.status != tc.status || r.body["error"] != tc.err || r.body["error_description"] != tc.desc {
				t.Fatalf("got %d %s\nwant %d %s %q", r.status, r.raw, tc.status, tc.err, tc.desc)
			}
			if len(r.body) != 2 {
				t.Fatalf("body has extra members: %s", r.raw)
			}
			for k, v := range map[string]string{"Content-Type": "application/json", "Cache-Control": "no-store", "Pragma": "no-cache"} {
				if got := r.header.Get(k); got != v {
					t.Errorf("%s = %q, want %q", k, got, v)
				}
			}
			chal := r.header.Get("WWW-Authenticate")
			if tc.basicChal != (chal == `Basic realm="Latchkey"`) || (!tc.basicChal && chal != "") {
				t.Errorf("WWW-Authenticate = %q, want Basic challenge: %v", chal, tc.basicChal)
			}
		})
	}
	t.Run("assertion in the query", func(t *testing.T) {
		r := e.post(e.tokenURL+"?client_assertion="+hs(e.assertionClaims(jc.ID)), e.passwordForm("openid").Encode(), nil)
		if r.status != 400 || r.body["error"] != "invalid_request" || r.body["error_description"] != "Client credentials cannot be supplied via query parameters." {
			t.Fatalf("%d %s", r.status, r.raw)
		}
	})
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
