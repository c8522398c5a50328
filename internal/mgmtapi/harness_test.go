package mgmtapi_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/okta/okta-sdk-golang/v2/okta"

	"github.com/latchkey/latchkey/internal/app"
	"github.com/latchkey/latchkey/internal/config"
	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/keys"
	"github.com/latchkey/latchkey/internal/keys/keystest"
	"github.com/latchkey/latchkey/internal/provision"
	"github.com/latchkey/latchkey/internal/store/sqlite/sqlitetest"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

// apiEnv is one running server with an API token.
type apiEnv struct {
	t     testing.TB
	srv   *httptest.Server
	app   *app.App
	base  string
	token string // an API token: "SSWS " + token
	// keys are the PEM private keys of the service clients serviceClient made.
	keys map[string]string
}

// The package's test servers take their signing keys from keystest's pool.
func init() { keystest.Install() }

// newAPIEnv starts a server on a fresh SQLite file, bootstrapped, with an
// API token. edit may change the config first.
func newAPIEnv(t testing.TB, edit ...func(*config.Config)) *apiEnv {
	t.Helper()
	dir := t.TempDir()
	cfg := config.Default()
	cfg.DB = sqlitetest.PathIn(t, dir)
	cfg.MasterKeyFile = filepath.Join(dir, "master.key")
	if _, err := keys.CreateMasterKeyFile(cfg.MasterKeyFile); err != nil {
		t.Fatal(err)
	}
	cfg.Password.MemoryKiB, cfg.Password.Iterations = 64, 1
	for _, f := range edit {
		f(&cfg)
	}
	srv := httptest.NewUnstartedServer(nil)
	cfg.BaseURL = "http://" + srv.Listener.Addr().String()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	a, err := app.Open(context.Background(), cfg, app.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Bootstrap(context.Background()); err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = a.Handler
	srv.Start()
	t.Cleanup(func() { srv.Close(); a.Close() })
	_, token, err := a.Provision.CreateAPIToken(context.Background(), "tests", "Latchkey CLI")
	if err != nil {
		t.Fatal(err)
	}
	return &apiEnv{t: t, srv: srv, app: a, base: cfg.BaseURL, token: token, keys: map[string]string{}}
}

// resp is an answer.
type resp struct {
	status int
	header http.Header
	raw    []byte
}

// decode reads the body as JSON into v.
func (r resp) decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.raw, v); err != nil {
		t.Fatalf("body is not JSON (%v): %s", err, r.raw)
	}
}

// obj is the body as a JSON object.
func (r resp) obj(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	r.decode(t, &m)
	return m
}

// do sends a request with the env's API token. body is sent as JSON
// unless it is a string (sent as is) or nil.
func (e *apiEnv) do(method, path string, body any) resp {
	e.t.Helper()
	return e.doAuth("SSWS "+e.token, method, path, body)
}

// doAuth is do with an Authorization header of the caller's ("" for none).
func (e *apiEnv) doAuth(auth, method, path string, body any) resp {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	u := path
	if !strings.HasPrefix(u, "http") {
		u = e.base + path
	}
	req, err := http.NewRequest(method, u, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	res, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp{status: res.StatusCode, header: res.Header, raw: raw}
}

// wantError checks an answer in Okta's error shape.
func wantError(t testing.TB, r resp, status int, code string) map[string]any {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.raw)
	}
	m := r.obj(t)
	if m["errorCode"] != code || m["errorLink"] != code {
		t.Fatalf("errorCode %v, want %s: %s", m["errorCode"], code, r.raw)
	}
	for _, k := range []string{"errorSummary", "errorId"} {
		if s, _ := m[k].(string); s == "" {
			t.Fatalf("no %s: %s", k, r.raw)
		}
	}
	if _, ok := m["errorCauses"].([]any); !ok {
		t.Fatalf("errorCauses is not a list: %s", r.raw)
	}
	return m
}

// sdk is Okta's Go management SDK in SSWS mode against the env, used as a
// user of Okta would use it (only the org URL differs, and plain HTTP on
// loopback needs the SDK's testing switch).
func (e *apiEnv) sdk() *okta.Client {
	e.t.Helper()
	_, c, err := okta.NewClient(context.Background(),
		okta.WithOrgUrl(e.base), okta.WithToken(e.token),
		okta.WithTestingDisableHttpsCheck(true), okta.WithCache(false), okta.WithHttpClientPtr(e.srv.Client()),
		okta.WithRequestTimeout(10), okta.WithRateLimitMaxRetries(1))
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

// serviceClient creates a private_key_jwt service client granted scopes
// and returns its id and key (PKCS#1 PEM, as Okta's SDK wants it).
func (e *apiEnv) serviceClient(scopes ...string) (string, string) {
	e.t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		e.t.Fatal(err)
	}
	jwks, err := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: key.Public(), KeyID: "sdk", Algorithm: "RS256", Use: "sig"}}})
	if err != nil {
		e.t.Fatal(err)
	}
	ctx := context.Background()
	c, _, err := e.app.Provision.CreateClient(ctx, provision.ClientInput{Name: "provisioner", GrantTypes: []string{"client_credentials"},
		AuthMethod: "private_key_jwt", JWKS: jwks})
	if err != nil {
		e.t.Fatal(err)
	}
	if len(scopes) > 0 {
		if _, err := e.app.Provision.GrantClientScopes(ctx, provision.GrantInput{ClientID: c.ID, Scopes: scopes, Issuer: e.base}); err != nil {
			e.t.Fatal(err)
		}
	}
	pemKey := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	e.keys[c.ID] = string(pemKey)
	return c.ID, string(pemKey)
}

// sdkOAuth is Okta's Go SDK in its PrivateKey (OAuth for Okta) mode: it
// gets an org access token with scopes by the client credentials grant
// and calls the API with it.
func (e *apiEnv) sdkOAuth(clientID, pemKey string, scopes ...string) *okta.Client {
	e.t.Helper()
	_, c, err := okta.NewClient(context.Background(),
		okta.WithOrgUrl(e.base), okta.WithAuthorizationMode("PrivateKey"), okta.WithClientId(clientID),
		okta.WithScopes(scopes), okta.WithPrivateKey(pemKey), okta.WithPrivateKeyId("sdk"),
		okta.WithTestingDisableHttpsCheck(true), okta.WithCache(false), okta.WithHttpClientPtr(e.srv.Client()),
		okta.WithRequestTimeout(10), okta.WithRateLimitMaxRetries(1))
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

// Golden files: a body with its ids, times and base URL normalised,
// compared with testdata/golden/{name}.json (go test -update rewrites).
var (
	idPattern   = regexp.MustCompile(`\b(00u|00g|0oa|aus|00T|oag|00p|0pr|ocs|ocl|scp|00o|oae)[0-9A-Za-z]{14,17}\b`)
	timePattern = regexp.MustCompile(`\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})`)
)

func (e *apiEnv) normalise(raw []byte) []byte {
	s := strings.ReplaceAll(string(raw), e.base, "{orgUrl}")
	s = idPattern.ReplaceAllString(s, "${1}ID")
	s = timePattern.ReplaceAllString(s, "TIME")
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		e.t.Fatalf("not JSON: %v: %s", err, raw)
	}
	out, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		e.t.Fatal(err)
	}
	return append(out, '\n')
}

// golden compares a body with its golden file.
func (e *apiEnv) golden(name string, raw []byte) {
	e.t.Helper()
	got := e.normalise(raw)
	path := filepath.Join("testdata", "golden", name+".json")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			e.t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		e.t.Fatalf("%v (run go test -update to write it)", err)
	}
	if !bytes.Equal(got, want) {
		e.t.Fatalf("%s differs from %s:\n%s", name, path, got)
	}
}

// orgToken gets an org access token for a service client (as
// serviceClient made it, key id "sdk") with the client credentials grant
// and a private_key_jwt assertion sent in the form body.
func (e *apiEnv) orgToken(clientID string, scopes ...string) string {
	e.t.Helper()
	pemKey := e.keys[clientID]
	block, _ := pem.Decode([]byte(pemKey))
	if block == nil {
		e.t.Fatalf("no key for client %s", clientID)
	}
	key, err := x509.ParsePKCS1PrivateKey(block.Bytes)
	if err != nil {
		e.t.Fatal(err)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key}, (&jose.SignerOptions{}).WithHeader("kid", "sdk"))
	if err != nil {
		e.t.Fatal(err)
	}
	now := time.Now()
	claims, _ := json.Marshal(map[string]any{"iss": clientID, "sub": clientID, "aud": e.base + "/oauth2/v1/token",
		"iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix(), "jti": ids.Alnum(20)})
	jws, err := signer.Sign(claims)
	if err != nil {
		e.t.Fatal(err)
	}
	assertion, err := jws.CompactSerialize()
	if err != nil {
		e.t.Fatal(err)
	}
	form := url.Values{"grant_type": {"client_credentials"}, "scope": {strings.Join(scopes, " ")},
		"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}, "client_assertion": {assertion}}
	res, err := e.srv.Client().PostForm(e.base+"/oauth2/v1/token", form)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	var body map[string]any
	if err := json.NewDecoder(res.Body).Decode(&body); err != nil || res.StatusCode != http.StatusOK {
		e.t.Fatalf("org token: %d %v %v", res.StatusCode, body, err)
	}
	return body["access_token"].(string)
}

// sdkCode is the Okta errorCode (or the OAuth error) of an SDK error; ""
// when err is nil or not an answer of the API.
func sdkCode(err error) string {
	var oe *okta.Error
	if !errors.As(err, &oe) {
		return ""
	}
	if oe.ErrorCode != "" {
		return oe.ErrorCode
	}
	return oe.ErrorMessage
}
