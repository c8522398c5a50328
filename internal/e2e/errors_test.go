package e2e

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/provision"
	"github.com/latchkey/latchkey/internal/store"
)

// TestTokenErrors asserts every error row of CONTRACT section 2 that
// concerns the password grant and client authentication: status, error,
// error_description and headers.
func TestTokenErrors(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	// A client allowed only another grant type, stored as a later version of
	// Latchkey (or an import) would store it.
	ccClient, ccSecret, err := e.app.Provision.CreateClient(ctx, provision.ClientInput{Name: "machine"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.app.Store.UpdateClient(ctx, ccClient.ID, func(c store.Client) (store.Client, error) {
		c.GrantTypes = []string{"client_credentials"}
		return c, nil
	}); err != nil {
		t.Fatal(err)
	}
	inactive, inactiveSecret, _ := e.app.Provision.CreateClient(ctx, provision.ClientInput{Name: "inactive"})
	_, _ = e.app.Store.UpdateClient(ctx, inactive.ID, func(c store.Client) (store.Client, error) {
		c.Status = store.StatusInactive
		return c, nil
	})
	// A user locked out the way the login guard locks one: counters
	// locked in the store and the status it sets.
	locked, err := e.app.Provision.CreateUser(ctx, provision.UserInput{Login: store.UserLockedOut + "@example.com", Password: e.password})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.app.Store.UpdateLoginCounters(ctx, store.NormalizeLogin(locked.Login), "", func(shared, pair store.LoginCounter) (store.LoginCounter, store.LoginCounter, error) {
		shared.Failures, shared.LockedUntil, shared.UpdatedAt = 10, time.Now().Add(time.Hour), time.Now()
		return shared, pair, nil
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.app.Store.UpdateUser(ctx, locked.ID, func(u store.User) (store.User, error) {
		u.Status = store.UserLockedOut
		return u, nil
	}); err != nil {
		t.Fatal(err)
	}
	for _, st := range []string{store.UserSuspended, store.UserStaged, store.UserDeprovisioned, store.UserPasswordExpired, store.UserRecovery, store.UserProvisioned} {
		if _, err := e.app.Provision.CreateUser(ctx, provision.UserInput{Login: st + "@example.com", Password: e.password, Status: st}); err != nil {
			t.Fatal(err)
		}
	}

	good := basic(e.clientID, e.clientSecret)
	form := func(mod func(url.Values)) string {
		f := e.passwordForm("openid")
		if mod != nil {
			mod(f)
		}
		return f.Encode()
	}
	const (
		invalidCreds = "The credentials provided were invalid."
		clientFailed = "Client authentication failed. Either the client or the client credentials are invalid."
	)
	cases := []struct {
		name      string
		path      string // default the token URL
		body      string
		header    map[string]string
		status    int
		err, desc string
		basicChal bool // expect WWW-Authenticate: Basic
	}{
		{name: "no client credentials", body: form(nil), status: 401, err: "invalid_client", desc: "No client credentials found."},
		{name: "unknown client", body: form(nil), header: map[string]string{"Authorization": basic("0oaUnknownUnknown123", "secretsecretsecret")}, status: 401, err: "invalid_client", desc: "Invalid value for 'client_id' parameter.", basicChal: true},
		{name: "unknown client in post", body: form(func(f url.Values) { f.Set("client_id", "0oaUnknown"); f.Set("client_secret", "x") }), status: 401, err: "invalid_client", desc: "Invalid value for 'client_id' parameter."},
		{name: "inactive client", body: form(nil), header: map[string]string{"Authorization": basic(inactive.ID, inactiveSecret)}, status: 401, err: "invalid_client", desc: "Invalid value for 'client_id' parameter.", basicChal: true},
		{name: "wrong secret", body: form(nil), header: map[string]string{"Authorization": basic(e.clientID, e.clientSecret+"x")}, status: 401, err: "invalid_client", desc: "The client secret supplied for a confidential client is invalid.", basicChal: true},
		{name: "wrong secret in post", body: form(func(f url.Values) { f.Set("client_id", e.postClientID); f.Set("client_secret", "nope") }), status: 401, err: "invalid_client", desc: "The client secret supplied for a confidential client is invalid."},
		{name: "malformed basic: not base64", body: form(nil), header: map[string]string{"Authorization": "Basic !!!"}, status: 401, err: "invalid_client", desc: "Found Authentication header but was not valid client credentials.", basicChal: true},
		{name: "malformed basic: no colon", body: form(nil), header: map[string]string{"Authorization": "Basic Zm9v"}, status: 401, err: "invalid_client", desc: "Found Authentication header but was not valid client credentials.", basicChal: true},
		{name: "malformed basic: bad escape", body: form(nil), header: map[string]string{"Authorization": "Basic JXp6OnNlY3JldA=="}, status: 401, err: "invalid_client", desc: "Found Authentication header but was not valid client credentials.", basicChal: true},
		{name: "method not allowed for client", body: form(func(f url.Values) { f.Set("client_id", e.clientID); f.Set("client_secret", e.clientSecret) }), status: 401, err: "invalid_client", desc: clientFailed},
		{name: "client id without secret", body: form(func(f url.Values) { f.Set("client_id", e.postClientID) }), status: 401, err: "invalid_client", desc: clientFailed},
		{name: "credentials in two places", body: form(func(f url.Values) { f.Set("client_secret", e.clientSecret) }), header: map[string]string{"Authorization": good}, status: 401, err: "invalid_request",
			desc: "Cannot supply multiple client credentials. Use one of the following: credentials in the Authorization header, credentials in the post body, or a client_assertion in the post body.", basicChal: true},
		{name: "credentials in the query", path: "?client_secret=" + e.clientSecret, body: form(nil), header: map[string]string{"Authorization": good}, status: 400, err: "invalid_request", desc: "Client credentials cannot be supplied via query parameters."},
		{name: "password in the query", path: "?password=x", body: form(nil), header: map[string]string{"Authorization": good}, status: 400, err: "invalid_request", desc: "Client credentials cannot be supplied via query parameters."},
		{name: "no grant_type", body: form(func(f url.Values) { f.Del("grant_type") }), header: map[string]string{"Authorization": good}, status: 400, err: "invalid_request", desc: "The token request must specify a 'grant_type'. Valid values: [password, refresh_token, client_credentials, urn:okta:params:oauth:grant-type:mfa-otp, http://auth0.com/oauth/grant-type/mfa-otp, http://auth0.com/oauth/grant-type/mfa-recovery-code]"},
		{name: "missing username", body: form(func(f url.Values) { f.Del("username") }), header: map[string]string{"Authorization": good}, status: 400, err: "invalid_request", desc: "The required parameter 'username' is missing."},
		{name: "missing password", body: form(func(f url.Values) { f.Del("password") }), header: map[string]string{"Authorization": good}, status: 400, err: "invalid_request", desc: "The required parameter 'password' is missing."},
		{name: "empty password counts as missing", body: form(func(f url.Values) { f.Set("password", "") }), header: map[string]string{"Authorization": good}, status: 400, err: "invalid_request", desc: "The required parameter 'password' is missing."},
		{name: "unknown grant", body: form(func(f url.Values) { f.Set("grant_type", "urn:x:magic") }), header: map[string]string{"Authorization": good}, status: 400, err: "unsupported_grant_type", desc: "The authorization grant type is not supported by the authorization server. Configured grant types: [password, refresh_token, client_credentials, urn:okta:params:oauth:grant-type:mfa-otp, http://auth0.com/oauth/grant-type/mfa-otp, http://auth0.com/oauth/grant-type/mfa-recovery-code]."},
		{name: "grant not allowed for client", body: form(nil), header: map[string]string{"Authorization": basic(ccClient.ID, ccSecret)}, status: 400, err: "unauthorized_client", desc: "The client is not authorized to use the provided grant type. Configured grant types: [client_credentials]."},
		{name: "wrong password", body: form(func(f url.Values) { f.Set("password", "wrong password") }), header: map[string]string{"Authorization": good}, status: 400, err: "invalid_grant", desc: invalidCreds},
		{name: "unknown user", body: form(func(f url.Values) { f.Set("username", "nobody@example.com") }), header: map[string]string{"Authorization": good}, status: 400, err: "invalid_grant", desc: invalidCreds},
		{name: "locked out user", body: form(func(f url.Values) { f.Set("username", "LOCKED_OUT@example.com") }), header: map[string]string{"Authorization": good}, status: 400, err: "invalid_grant", desc: invalidCreds},
		{name: "suspended user", body: form(func(f url.Values) { f.Set("username", "SUSPENDED@example.com") }), header: map[string]string{"Authorization": good}, status: 400, err: "invalid_grant", desc: invalidCreds},
		{name: "staged user", body: form(func(f url.Values) { f.Set("username", "STAGED@example.com") }), header: map[string]string{"Authorization": good}, status: 400, err: "invalid_grant", desc: invalidCreds},
		{name: "provisioned user", body: form(func(f url.Values) { f.Set("username", "PROVISIONED@example.com") }), header: map[string]string{"Authorization": good}, status: 400, err: "invalid_grant", desc: invalidCreds},
		{name: "recovery user", body: form(func(f url.Values) { f.Set("username", "RECOVERY@example.com") }), header: map[string]string{"Authorization": good}, status: 400, err: "invalid_grant", desc: invalidCreds},
		{name: "deprovisioned user", body: form(func(f url.Values) { f.Set("username", "DEPROVISIONED@example.com") }), header: map[string]string{"Authorization": good}, status: 400, err: "invalid_grant", desc: invalidCreds},
		{name: "password expired", body: form(func(f url.Values) { f.Set("username", "PASSWORD_EXPIRED@example.com") }), header: map[string]string{"Authorization": good}, status: 400, err: "invalid_grant", desc: "Password has expired."},
		{name: "password expired, wrong password", body: form(func(f url.Values) { f.Set("username", "PASSWORD_EXPIRED@example.com"); f.Set("password", "nope nope") }), header: map[string]string{"Authorization": good}, status: 400, err: "invalid_grant", desc: invalidCreds},
		{name: "no scope", body: form(func(f url.Values) { f.Del("scope") }), header: map[string]string{"Authorization": good}, status: 400, err: "invalid_scope", desc: "No scopes were requested."},
		{name: "blank scope", body: form(func(f url.Values) { f.Set("scope", "   ") }), header: map[string]string{"Authorization": good}, status: 400, err: "invalid_scope", desc: "No scopes were requested."},
		{name: "unknown scope", body: form(func(f url.Values) { f.Set("scope", "openid wizardry") }), header: map[string]string{"Authorization": good}, status: 400, err: "invalid_scope", desc: "One or more scopes are not configured for the authorization server resource."},
		{name: "too many scopes", body: form(func(f url.Values) { f.Set("scope", "openid "+strings.Repeat("x ", 50)+manyScopes(100)) }), header: map[string]string{"Authorization": good}, status: 400, err: "invalid_scope", desc: "The request may name at most 100 scopes."},
		{name: "scope too long", body: form(func(f url.Values) { f.Set("scope", "openid "+strings.Repeat("x", 257)) }), header: map[string]string{"Authorization": good}, status: 400, err: "invalid_scope", desc: "A scope may be at most 256 characters long."},
		{name: "oidc scope without openid", body: form(func(f url.Values) { f.Set("scope", "profile email") }), header: map[string]string{"Authorization": good}, status: 400, err: "invalid_scope", desc: "Requests for ID tokens or access tokens with OpenID scopes require the 'openid' scope."},
		{name: "password grant without openid", body: form(func(f url.Values) { f.Set("scope", "offline_access") }), header: map[string]string{"Authorization": good}, status: 400, err: "invalid_scope", desc: "Requests for ID tokens or access tokens with OpenID scopes require the 'openid' scope."},
		{name: "duplicate parameter", body: form(nil) + "&scope=openid", header: map[string]string{"Authorization": good}, status: 400, err: "invalid_request", desc: "The parameter 'scope' must not be included more than once."},
		{name: "duplicate grant_type", body: form(nil) + "&grant_type=password", header: map[string]string{"Authorization": good}, status: 400, err: "invalid_request", desc: "The parameter 'grant_type' must not be included more than once."},
		{name: "wrong content type", body: form(nil), header: map[string]string{"Authorization": good, "Content-Type": "application/json"}, status: 400, err: "invalid_request", desc: "The request must be sent with Content-Type 'application/x-www-form-urlencoded'."},
		{name: "no content type", body: form(nil), header: map[string]string{"Authorization": good, "Content-Type": ""}, status: 400, err: "invalid_request", desc: "The request must be sent with Content-Type 'application/x-www-form-urlencoded'."},
		{name: "malformed form", body: "grant_type=password&%zz", header: map[string]string{"Authorization": good}, status: 400, err: "invalid_request", desc: "The request body is not valid form data."},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := e.post(e.tokenURL+tc.path, tc.body, tc.header)
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
			if tc.basicChal && chal != `Basic realm="Latchkey"` {
				t.Errorf("WWW-Authenticate = %q, want a Basic challenge", chal)
			}
			if !tc.basicChal && chal != "" {
				t.Errorf("unexpected WWW-Authenticate %q", chal)
			}
		})
	}
}

// TestUnknownUserLooksLikeWrongPassword: identical answers, and the same
// hashing work (a dummy hash of equal cost) whether or not the user exists.
func TestUnknownUserLooksLikeWrongPassword(t *testing.T) {
	e := newEnv(t)
	h := map[string]string{"Authorization": basic(e.clientID, e.clientSecret)}
	wrong := e.passwordForm("openid")
	wrong.Set("password", "not the password")
	unknown := e.passwordForm("openid")
	unknown.Set("username", "nobody@example.com")
	a := e.post(e.tokenURL, wrong.Encode(), h)
	b := e.post(e.tokenURL, unknown.Encode(), h)
	if a.status != b.status || a.raw != b.raw {
		t.Fatalf("wrong password: %d %s\nunknown user: %d %s", a.status, a.raw, b.status, b.raw)
	}
	for k := range a.header {
		if k == "Date" || k == "X-Request-Id" {
			continue
		}
		if a.header.Get(k) != b.header.Get(k) {
			t.Errorf("header %s differs: %q vs %q", k, a.header.Get(k), b.header.Get(k))
		}
	}
	if len(a.header) != len(b.header) {
		t.Errorf("header sets differ: %v vs %v", a.header, b.header)
	}
}

func TestUnknownAuthorizationServer(t *testing.T) {
	e := newEnv(t)
	for _, path := range []string{"/oauth2/ausNope/v1/token", "/oauth2/ausNope/v1/keys", "/oauth2/ausNope/.well-known/openid-configuration"} {
		var r response
		if path == "/oauth2/ausNope/v1/token" {
			r = e.post(e.srv.URL+path, e.passwordForm("openid").Encode(), map[string]string{"Authorization": basic(e.clientID, e.clientSecret)})
		} else {
			r = e.get(e.srv.URL + path)
		}
		if r.status != http.StatusNotFound || r.body["errorCode"] != "E0000007" || r.body["errorSummary"] != "Not found: Resource not found: ausNope (AuthorizationServer)" {
			t.Fatalf("%s: %d %s", path, r.status, r.raw)
		}
	}
}

func TestLoginIsCaseInsensitive(t *testing.T) {
	e := newEnv(t)
	f := e.passwordForm("openid")
	f.Set("username", "ADA@Example.COM")
	r := e.post(e.tokenURL, f.Encode(), map[string]string{"Authorization": basic(e.clientID, e.clientSecret)})
	if r.status != http.StatusOK {
		t.Fatalf("%d %s", r.status, r.raw)
	}
	if at := verifyJWT(t, e, r.body["access_token"].(string)); at["sub"] != e.username {
		t.Fatalf("sub = %v, want the stored login", at["sub"])
	}
}

// manyScopes is n distinct scope names, space-separated.
func manyScopes(n int) string {
	names := make([]string, n)
	for i := range names {
		names[i] = shortScopeName(i)
	}
	return strings.Join(names, " ")
}
