package oauth

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/keys"
	"github.com/latchkey/latchkey/internal/oautherr"
	"github.com/latchkey/latchkey/internal/policy"
	"github.com/latchkey/latchkey/internal/secrets"
	"github.com/latchkey/latchkey/internal/store"
	"github.com/latchkey/latchkey/internal/store/sqlite"
)

const (
	testTokenURL = "https://auth.example.com/oauth2/default/v1/token"
	clientFailed = "Client authentication failed. Either the client or the client credentials are invalid."
)

// authFixture is a Server over a real store with one client of each method.
type authFixture struct {
	s         *Server
	st        store.Store
	secretJWT store.Client // client_secret_jwt
	secret    string       // its secret
	keyJWT    store.Client // private_key_jwt, inline JWKS with rsa1 and ec1
	rsaKey    *rsa.PrivateKey
	ecKey     *ecdsa.PrivateKey
	basic     store.Client // client_secret_basic
	basicPass string
	public    store.Client // none
}

var (
	testRSAKey = mustRSA()
	testECKey  = mustEC()
)

func mustRSA() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
}

func mustEC() *ecdsa.PrivateKey {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	return k
}

// publicJWKS renders the public halves of keys as a JWK Set.
func publicJWKS(t testing.TB, keys map[string]any) []byte {
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

func newAuthFixture(t testing.TB) *authFixture {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "auth.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	mk := make([]byte, keys.MasterKeySize)
	_, _ = rand.Read(mk)
	sealer, err := keys.NewSealer(mk)
	if err != nil {
		t.Fatal(err)
	}
	hasher, err := secrets.NewHasher(mk)
	if err != nil {
		t.Fatal(err)
	}
	f := &authFixture{st: st, rsaKey: testRSAKey, ecKey: testECKey, secret: ids.Secret(32), basicPass: ids.Secret(32),
		s: &Server{Store: st, Secrets: hasher, Sealer: sealer, Realm: "Latchkey", Policy: &policy.Engine{BaseURL: "https://auth.example.com"},
			ClientJWKS: NewRemoteJWKS(RemoteJWKSConfig{AllowInsecure: true})}}
	mk2 := func(method string, mod func(*store.Client)) store.Client {
		c := store.Client{ID: ids.New(ids.Client), Name: method, TokenEndpointAuthMethod: method, GrantTypes: []string{"password"},
			Status: store.StatusActive, CreatedAt: time.Now(), UpdatedAt: time.Now()}
		mod(&c)
		if err := st.CreateClient(ctx, c); err != nil {
			t.Fatal(err)
		}
		return c
	}
	addSecret := func(c store.Client, secret string, sealed bool) {
		cs := store.ClientSecret{ID: ids.New(ids.ClientSecret), ClientID: c.ID, Status: store.StatusActive, Hash: hasher.Hash(secret)}
		if sealed {
			if cs.Sealed, err = sealer.Seal([]byte(secret), []byte(c.ID)); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := st.UpdateClientSecrets(ctx, c.ID, func(old []store.ClientSecret) ([]store.ClientSecret, error) {
			return append(old, cs), nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	f.secretJWT = mk2(AuthSecretJWT, func(*store.Client) {})
	addSecret(f.secretJWT, f.secret, true)
	f.keyJWT = mk2(AuthPrivateKeyJWT, func(c *store.Client) {
		c.JWKS = publicJWKS(t, map[string]any{"rsa1": f.rsaKey, "ec1": f.ecKey})
	})
	f.basic = mk2(AuthSecretBasic, func(*store.Client) {})
	addSecret(f.basic, f.basicPass, false)
	f.public = mk2(AuthNone, func(*store.Client) {})
	return f
}

// claims are the default claims of a valid assertion by client id.
func claims(id string) map[string]any {
	now := time.Now()
	return map[string]any{"iss": id, "sub": id, "aud": testTokenURL, "exp": now.Add(5 * time.Minute).Unix(),
		"iat": now.Unix(), "jti": ids.Secret(16)}
}

// sign makes a compact JWS of claims.
func sign(t testing.TB, alg jose.SignatureAlgorithm, key any, kid string, claims map[string]any) string {
	t.Helper()
	opts := (&jose.SignerOptions{}).WithType("JWT")
	if kid != "" {
		opts = opts.WithHeader("kid", kid)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, opts)
	if err != nil {
		t.Fatal(err)
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	s, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// unsigned is an "alg":"none" JWT of claims.
func unsigned(claims map[string]any) string {
	h := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`))
	p, _ := json.Marshal(claims)
	return h + "." + base64.RawURLEncoding.EncodeToString(p) + "."
}

func assertionForm(assertion string) url.Values {
	return url.Values{"client_assertion_type": {AssertionTypeJWTBearer}, "client_assertion": {assertion}}
}

// auth runs client authentication for the token endpoint.
func (f *authFixture) auth(form url.Values, header string) (store.Client, error) {
	r := httptest.NewRequest(http.MethodPost, "/oauth2/default/v1/token", nil)
	if header != "" {
		r.Header.Set("Authorization", header)
	}
	return f.s.authenticateClientFor(context.Background(), r, form, testTokenURL, false)
}

func with(m map[string]any, kv ...any) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		out[k] = v
	}
	for i := 0; i < len(kv); i += 2 {
		if kv[i+1] == nil {
			delete(out, kv[i].(string))
		} else {
			out[kv[i].(string)] = kv[i+1]
		}
	}
	return out
}

func TestClientAssertionChecks(t *testing.T) {
	t.Parallel()
	f := newAuthFixture(t)
	sj, kj := f.secretJWT.ID, f.keyJWT.ID
	hs := func(c map[string]any) string { return sign(t, jose.HS256, []byte(f.secret), "", c) }
	rs := func(c map[string]any) string { return sign(t, jose.RS256, f.rsaKey, "rsa1", c) }
	now := time.Now()
	otherRSA := mustRSA()
	basicHeader := "Basic " + base64.StdEncoding.EncodeToString([]byte(f.basic.ID+":"+f.basicPass))

	cases := []struct {
		name   string
		form   url.Values
		header string
		want   string // client id on success
		status int
		code   string
		desc   string
	}{
		{name: "client_secret_jwt HS256", form: assertionForm(hs(claims(sj))), want: sj},
		{name: "client_secret_jwt with matching client_id", form: with2(assertionForm(hs(claims(sj))), "client_id", sj), want: sj},
		{name: "private_key_jwt RS256", form: assertionForm(rs(claims(kj))), want: kj},
		{name: "private_key_jwt ES256", form: assertionForm(sign(t, jose.ES256, f.ecKey, "ec1", claims(kj))), want: kj},
		{name: "private_key_jwt without kid tries the fitting keys", form: assertionForm(sign(t, jose.ES256, f.ecKey, "", claims(kj))), want: kj},
		{name: "aud as an array", form: assertionForm(hs(with(claims(sj), "aud", []string{"https://other", testTokenURL}))), want: sj},
		{name: "exp just past, within the leeway", form: assertionForm(hs(with(claims(sj), "exp", now.Add(-30*time.Second).Unix()))), want: sj},

		{name: "wrong client_assertion_type", form: with2(assertionForm(hs(claims(sj))), "client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:saml2-bearer"), status: 401, code: "invalid_client", desc: clientFailed},
		{name: "no client_assertion_type", form: url.Values{"client_assertion": {hs(claims(sj))}}, status: 401, code: "invalid_client", desc: clientFailed},
		{name: "too large", form: assertionForm(hs(with(claims(sj), "pad", strings.Repeat("x", MaxAssertionBytes)))), status: 401, code: "invalid_client", desc: clientFailed},
		{name: "not a JWT", form: assertionForm("not-a-jwt"), status: 401, code: "invalid_client", desc: clientFailed},
		{name: "alg none", form: assertionForm(unsigned(claims(sj))), status: 401, code: "invalid_client", desc: clientFailed},
		{name: "alg outside the allowlist (RS384)", form: assertionForm(sign(t, jose.RS384, f.rsaKey, "rsa1", claims(kj))), status: 401, code: "invalid_client", desc: clientFailed},
		{name: "HS256 for a private_key_jwt client", form: assertionForm(sign(t, jose.HS256, []byte(f.secret), "rsa1", claims(kj))), status: 401, code: "invalid_client", desc: clientFailed},
		{name: "RS256 for a client_secret_jwt client", form: assertionForm(rs(claims(sj))), status: 401, code: "invalid_client", desc: clientFailed},
		{name: "wrong secret", form: assertionForm(sign(t, jose.HS256, []byte(ids.Secret(32)), "", claims(sj))), status: 401, code: "invalid_client", desc: clientFailed},
		{name: "wrong private key", form: assertionForm(sign(t, jose.RS256, otherRSA, "rsa1", claims(kj))), status: 401, code: "invalid_client", desc: clientFailed},
		{name: "unknown kid", form: assertionForm(sign(t, jose.RS256, f.rsaKey, "rsa9", claims(kj))), status: 401, code: "invalid_client", desc: clientFailed},
		{name: "RS256 with the kid of the EC key", form: assertionForm(sign(t, jose.RS256, f.rsaKey, "ec1", claims(kj))), status: 401, code: "invalid_client", desc: clientFailed},
		{name: "wrong aud", form: assertionForm(hs(with(claims(sj), "aud", "https://auth.example.com/oauth2/other/v1/token"))), status: 401, code: "invalid_client", desc: clientFailed},
		{name: "issuer as aud", form: assertionForm(hs(with(claims(sj), "aud", "https://auth.example.com/oauth2/default"))), status: 401, code: "invalid_client", desc: clientFailed},
		{name: "no aud", form: assertionForm(hs(with(claims(sj), "aud", nil))), status: 401, code: "invalid_client", desc: clientFailed},
		{name: "no exp", form: assertionForm(hs(with(claims(sj), "exp", nil))), status: 401, code: "invalid_client", desc: clientFailed},
		{name: "expired", form: assertionForm(hs(with(claims(sj), "exp", now.Add(-2*time.Minute).Unix()))), status: 401, code: "invalid_client", desc: clientFailed},
		{name: "exp more than an hour ahead", form: assertionForm(hs(with(claims(sj), "exp", now.Add(MaxAssertionLifetime+2*time.Minute).Unix()))), status: 401, code: "invalid_client", desc: clientFailed},
		{name: "exp not a number", form: assertionForm(hs(with(claims(sj), "exp", "tomorrow"))), status: 401, code: "invalid_client", desc: clientFailed},
		{name: "nbf in the future", form: assertionForm(hs(with(claims(sj), "nbf", now.Add(5*time.Minute).Unix()))), status: 401, code: "invalid_client", desc: clientFailed},
		{name: "iat in the future", form: assertionForm(hs(with(claims(sj), "iat", now.Add(5*time.Minute).Unix()))), status: 401, code: "invalid_client", desc: clientFailed},
		{name: "no jti: accepted once, by the assertion's hash", form: assertionForm(hs(with(with(claims(sj), "jti", nil), "iat", now.Unix()-7))), want: sj},
		{name: "jti too long", form: assertionForm(hs(with(claims(sj), "jti", strings.Repeat("j", maxJTILength+1)))), status: 401, code: "invalid_client", desc: clientFailed},
		{name: "no iss", form: assertionForm(hs(with(claims(sj), "iss", nil))), status: 401, code: "invalid_client", desc: clientFailed},
		{name: "sub is not iss", form: assertionForm(hs(with(claims(sj), "sub", kj))), status: 401, code: "invalid_client", desc: clientFailed},
		{name: "client_id is not iss", form: with2(assertionForm(hs(claims(sj))), "client_id", kj), status: 401, code: "invalid_client", desc: clientFailed},
		{name: "unknown client", form: assertionForm(hs(claims("0oaUnknownUnknown123"))), status: 401, code: "invalid_client", desc: "Invalid value for 'client_id' parameter."},
		{name: "assertion from a client_secret_basic client", form: assertionForm(sign(t, jose.HS256, []byte(f.basicPass), "", claims(f.basic.ID))), status: 401, code: "invalid_client", desc: clientFailed},
		{name: "assertion and client_secret", form: with2(assertionForm(hs(claims(sj))), "client_secret", f.secret), status: 401, code: "invalid_request", desc: multipleCredentials},
		{name: "assertion and Basic", form: assertionForm(hs(claims(sj))), header: basicHeader, status: 401, code: "invalid_request", desc: multipleCredentials},

		{name: "public client", form: url.Values{"client_id": {f.public.ID}}, want: f.public.ID},
		{name: "public client with a secret", form: url.Values{"client_id": {f.public.ID}, "client_secret": {f.basicPass}}, status: 401, code: "invalid_client", desc: clientFailed},
		{name: "public client in Basic", form: url.Values{}, header: "Basic " + base64.StdEncoding.EncodeToString([]byte(f.public.ID+":")), status: 401, code: "invalid_client", desc: clientFailed},
		{name: "confidential client without its secret", form: url.Values{"client_id": {f.basic.ID}}, status: 401, code: "invalid_client", desc: clientFailed},
		{name: "client_secret_jwt client with its secret in Basic", form: url.Values{}, header: "Basic " + base64.StdEncoding.EncodeToString([]byte(sj+":"+f.secret)), status: 401, code: "invalid_client", desc: clientFailed},
		{name: "basic client", form: url.Values{}, header: basicHeader, want: f.basic.ID},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := f.auth(tc.form, tc.header)
			if tc.want != "" {
				if err != nil || c.ID != tc.want {
					t.Fatalf("got %q, %v; want client %s", c.ID, err, tc.want)
				}
				return
			}
			var oe *oautherr.Error
			if !errors.As(err, &oe) || oe.Status != tc.status || oe.Code != tc.code || oe.Description != tc.desc {
				t.Fatalf("got %v (%#v); want %d %s %q", err, oe, tc.status, tc.code, tc.desc)
			}
			if tc.desc == clientFailed && oe.Debug == "" {
				t.Error("a generic refusal carries no debug detail")
			}
			if chal := oe.Header.Get("WWW-Authenticate"); (tc.header != "") != (chal != "") {
				t.Errorf("WWW-Authenticate %q with header %q", chal, tc.header)
			}
		})
	}
}

func with2(v url.Values, k, val string) url.Values {
	out := url.Values{}
	for kk, vv := range v {
		out[kk] = vv
	}
	out.Set(k, val)
	return out
}

func TestClientAssertionJTIIsSingleUse(t *testing.T) {
	t.Parallel()
	f := newAuthFixture(t)
	c := claims(f.secretJWT.ID)
	a := sign(t, jose.HS256, []byte(f.secret), "", c)
	if _, err := f.auth(assertionForm(a), ""); err != nil {
		t.Fatalf("first use: %v", err)
	}
	_, err := f.auth(assertionForm(a), "")
	var oe *oautherr.Error
	if !errors.As(err, &oe) || oe.Code != "invalid_client" || oe.Description != clientFailed || !strings.Contains(oe.Debug, "already used") {
		t.Fatalf("replay: %v", err)
	}
	// A new assertion reusing the jti is refused too; another client may use it.
	if _, err := f.auth(assertionForm(sign(t, jose.HS256, []byte(f.secret), "", with(c, "exp", time.Now().Add(10*time.Minute).Unix()))), ""); !errors.Is(err, oautherr.ErrInvalidClient) {
		t.Fatalf("same jti, new assertion: %v", err)
	}
	if _, err := f.auth(assertionForm(sign(t, jose.RS256, f.rsaKey, "rsa1", with(claims(f.keyJWT.ID), "jti", c["jti"]))), ""); err != nil {
		t.Fatalf("same jti, other client: %v", err)
	}
}

// TestClientAssertionForgeryBurnsNoJTI: the jti is recorded only after the
// signature is verified, so a forged assertion cannot spend a client's jti.
func TestClientAssertionForgeryBurnsNoJTI(t *testing.T) {
	t.Parallel()
	f := newAuthFixture(t)
	c := claims(f.secretJWT.ID)
	if _, err := f.auth(assertionForm(sign(t, jose.HS256, []byte(ids.Secret(32)), "", c)), ""); !errors.Is(err, oautherr.ErrInvalidClient) {
		t.Fatalf("forged: %v", err)
	}
	if _, err := f.auth(assertionForm(sign(t, jose.HS256, []byte(f.secret), "", c)), ""); err != nil {
		t.Fatalf("genuine after forgery: %v", err)
	}
}

func TestClientAssertionAudienceIsTheEndpointCalled(t *testing.T) {
	t.Parallel()
	f := newAuthFixture(t)
	introspect := "https://auth.example.com/oauth2/default/v1/introspect"
	a := sign(t, jose.HS256, []byte(f.secret), "", with(claims(f.secretJWT.ID), "aud", introspect))
	r := httptest.NewRequest(http.MethodPost, "/oauth2/default/v1/introspect", nil)
	if _, err := f.s.authenticateClient(context.Background(), r, assertionForm(a)); err != nil {
		t.Fatalf("introspection audience: %v", err)
	}
	b := sign(t, jose.HS256, []byte(f.secret), "", with(claims(f.secretJWT.ID), "aud", introspect))
	r = httptest.NewRequest(http.MethodPost, "/oauth2/default/v1/token", nil)
	if _, err := f.s.authenticateClient(context.Background(), r, assertionForm(b)); !errors.Is(err, oautherr.ErrInvalidClient) {
		t.Fatalf("introspection assertion at the token endpoint: %v", err)
	}
}

func TestClientAssertionWithJWKSURI(t *testing.T) {
	t.Parallel()
	f := newAuthFixture(t)
	jwks := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=300")
		_, _ = w.Write(publicJWKS(t, map[string]any{"rsa1": f.rsaKey}))
	}))
	t.Cleanup(jwks.Close)
	c := store.Client{ID: ids.New(ids.Client), Name: "uri", TokenEndpointAuthMethod: AuthPrivateKeyJWT, JWKSURI: jwks.URL + "/jwks.json",
		GrantTypes: []string{"password"}, Status: store.StatusActive}
	if err := f.st.CreateClient(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	if got, err := f.auth(assertionForm(sign(t, jose.RS256, f.rsaKey, "rsa1", claims(c.ID))), ""); err != nil || got.ID != c.ID {
		t.Fatalf("%v %v", got.ID, err)
	}
	if _, err := f.auth(assertionForm(sign(t, jose.RS256, f.rsaKey, "nope", claims(c.ID))), ""); !errors.Is(err, oautherr.ErrInvalidClient) {
		t.Fatalf("unknown kid: %v", err)
	}
}
