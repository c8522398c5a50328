package e2e

import (
	"context"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/internal/app"
	"github.com/latchkey/latchkey/internal/provision"
)

const (
	trustedOrigin   = "https://app.example.com"
	untrustedOrigin = "https://evil.example.com"
)

// newBrowserEnv is newEnv with trustedOrigin configured for CORS.
func newBrowserEnv(t *testing.T) *env {
	t.Helper()
	cfg := testConfig(t, t.TempDir())
	cfg.CORS.TrustedOrigins = []string{trustedOrigin}
	return newEnvFrom(t, cfg, app.Options{}, nil)
}

// send sends a request with the given method, body and headers.
func (e *env) send(method, u, body string, header map[string]string) response {
	e.t.Helper()
	req, err := http.NewRequest(method, u, strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	return e.do(req)
}

// TestBrowserTokenRequestRefused: a token request from a browser (it has
// an Origin header) is refused as Okta refuses one without PKCE, trusted
// origin or not, with the Basic challenge for a Basic caller and no CORS.
func TestBrowserTokenRequestRefused(t *testing.T) {
	t.Parallel()
	e := newBrowserEnv(t)
	const desc = "Browser requests to the token endpoint must use Proof Key for Code Exchange."
	for _, tc := range []struct {
		name, origin, auth, body string
		challenge                bool
	}{
		{"basic, trusted origin", trustedOrigin, basic(e.clientID, e.clientSecret), e.passwordForm("openid").Encode(), true},
		{"basic, untrusted origin", untrustedOrigin, basic(e.clientID, e.clientSecret), e.passwordForm("openid").Encode(), true},
		{"post, null origin", "null", "", url.Values{"grant_type": {"password"}, "username": {e.username}, "password": {e.password},
			"scope": {"openid"}, "client_id": {e.postClientID}, "client_secret": {e.postSecret}}.Encode(), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := map[string]string{"Origin": tc.origin}
			if tc.auth != "" {
				h["Authorization"] = tc.auth
			}
			for _, tokenURL := range []string{e.tokenURL, e.srv.URL + "/oauth2/v1/token"} {
				r := e.send(http.MethodPost, tokenURL, tc.body, h)
				if r.status != http.StatusUnauthorized || r.body["error"] != "invalid_client" || r.body["error_description"] != desc {
					t.Fatalf("%s: %d %s", tokenURL, r.status, r.raw)
				}
				if got := r.header.Get("WWW-Authenticate"); (got == `Basic realm="Latchkey"`) != tc.challenge || (!tc.challenge && got != "") {
					t.Fatalf("WWW-Authenticate %q", got)
				}
				if r.header.Get("Access-Control-Allow-Origin") != "" || r.header.Get("Cache-Control") != "no-store" {
					t.Fatalf("headers %v", r.header)
				}
			}
		})
	}
	// Without Origin the same request gets tokens.
	if r := e.post(e.tokenURL, e.passwordForm("openid").Encode(), map[string]string{"Authorization": basic(e.clientID, e.clientSecret)}); r.status != http.StatusOK {
		t.Fatalf("without Origin: %d %s", r.status, r.raw)
	}
	// The token endpoint answers no preflight.
	r := e.send(http.MethodOptions, e.tokenURL, "", map[string]string{"Origin": trustedOrigin, "Access-Control-Request-Method": "POST"})
	if r.status == http.StatusNoContent || r.header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("token preflight: %d %v", r.status, r.header)
	}
}

// browserEndpoints are the endpoints a browser may call, with their methods.
func browserEndpoints(e *env) map[string]string {
	out := map[string]string{}
	for _, base := range []string{e.issuer + "/v1", e.srv.URL + "/oauth2/v1"} {
		out[base+"/keys"] = "GET"
		out[base+"/userinfo"] = "GET, POST"
		out[base+"/introspect"] = "POST"
		out[base+"/revoke"] = "POST"
	}
	for _, issuer := range []string{e.issuer, e.srv.URL} {
		out[issuer+"/.well-known/openid-configuration"] = "GET"
		out[issuer+"/.well-known/oauth-authorization-server"] = "GET"
	}
	out[e.srv.URL+"/.well-known/oauth-authorization-server/oauth2/default"] = "GET"
	return out
}

func TestCORSPreflight(t *testing.T) {
	t.Parallel()
	e := newBrowserEnv(t)
	for u, methods := range browserEndpoints(e) {
		method, _, _ := strings.Cut(methods, ",")
		h := map[string]string{"Origin": trustedOrigin, "Access-Control-Request-Method": method,
			"Access-Control-Request-Headers": "authorization,content-type,x-okta-user-agent-extended"}
		r := e.send(http.MethodOptions, u, "", h)
		got := r.header
		if r.status != http.StatusNoContent || got.Get("Access-Control-Allow-Origin") != trustedOrigin ||
			got.Get("Access-Control-Allow-Methods") != methods || got.Get("Access-Control-Max-Age") == "" ||
			got.Get("Access-Control-Allow-Headers") != "Authorization, Content-Type, Accept, X-Requested-With, X-Okta-User-Agent-Extended" ||
			got.Get("Access-Control-Allow-Credentials") != "" || got.Get("Vary") != "Origin" {
			t.Errorf("trusted preflight %s: %d %v", u, r.status, got)
		}
		h["Origin"] = untrustedOrigin
		r = e.send(http.MethodOptions, u, "", h)
		if r.status != http.StatusForbidden || r.body["errorCode"] != "E0000006" || r.header.Get("Access-Control-Allow-Origin") != "" ||
			r.header.Get("Access-Control-Allow-Methods") != "" {
			t.Errorf("untrusted preflight %s: %d %v %s", u, r.status, r.header, r.raw)
		}
	}
}

// TestCORSSimpleRequests: the answers themselves carry CORS headers for a
// trusted origin only, whatever their status.
func TestCORSSimpleRequests(t *testing.T) {
	t.Parallel()
	e := newBrowserEnv(t)
	for _, u := range []string{e.issuer + "/v1/keys", e.srv.URL + "/oauth2/v1/keys", e.issuer + "/.well-known/openid-configuration"} {
		r := e.send(http.MethodGet, u, "", map[string]string{"Origin": trustedOrigin})
		if r.status != http.StatusOK || r.header.Get("Access-Control-Allow-Origin") != trustedOrigin || r.header.Get("Vary") != "Origin" ||
			r.header.Get("Access-Control-Expose-Headers") != "X-Rate-Limit-Limit, X-Rate-Limit-Remaining, X-Rate-Limit-Reset, WWW-Authenticate" ||
			r.header.Get("Access-Control-Allow-Credentials") != "" {
			t.Errorf("trusted GET %s: %d %v", u, r.status, r.header)
		}
		for _, origin := range []string{untrustedOrigin, "HTTPS://APP.EXAMPLE.COM.evil.com", "null", ""} {
			h := map[string]string{}
			if origin != "" {
				h["Origin"] = origin
			}
			r := e.send(http.MethodGet, u, "", h)
			if r.status != http.StatusOK || r.header.Get("Access-Control-Allow-Origin") != "" || r.header.Get("Access-Control-Expose-Headers") != "" ||
				r.header.Get("Vary") != "Origin" {
				t.Errorf("GET %s from %q: %d %v", u, origin, r.status, r.header)
			}
		}
	}
	// Case differs in scheme and host: still the trusted origin, echoed as sent.
	r := e.send(http.MethodGet, e.issuer+"/v1/keys", "", map[string]string{"Origin": "HTTPS://App.Example.com"})
	if r.header.Get("Access-Control-Allow-Origin") != "HTTPS://App.Example.com" {
		t.Errorf("mixed case origin: %v", r.header)
	}
	// A refusal can be read by the page too: userinfo's 401 and its challenge.
	r = e.send(http.MethodGet, e.issuer+"/v1/userinfo", "", map[string]string{"Origin": trustedOrigin})
	if r.status != http.StatusUnauthorized || r.header.Get("Access-Control-Allow-Origin") != trustedOrigin || r.header.Get("WWW-Authenticate") == "" {
		t.Errorf("userinfo 401: %d %v", r.status, r.header)
	}
}

// TestPublicClientBasicID: a public client authenticates to revoke and
// introspect with Authorization: Basic base64(client_id), as Okta's
// JavaScript SDK does; a confidential client, and the token endpoint,
// refuse it as before.
func TestPublicClientBasicID(t *testing.T) {
	t.Parallel()
	e := newBrowserEnv(t)
	ctx := context.Background()
	pub, _, err := e.app.Provision.CreateClient(ctx, provision.ClientInput{Name: "spa", AuthMethod: "none"})
	if err != nil {
		t.Fatal(err)
	}
	idOnly := func(id string) string { return "Basic " + base64.StdEncoding.EncodeToString([]byte(id)) }
	form := e.passwordForm("openid")
	form.Set("client_id", pub.ID)
	tok := e.post(e.tokenURL, form.Encode(), nil)
	if tok.status != http.StatusOK {
		t.Fatalf("public client token: %d %s", tok.status, tok.raw)
	}
	at := url.Values{"token": {tok.body["access_token"].(string)}, "token_type_hint": {"access_token"}}.Encode()

	// The token endpoint keeps refusing it.
	r := e.post(e.tokenURL, e.passwordForm("openid").Encode(), map[string]string{"Authorization": idOnly(pub.ID)})
	if r.status != http.StatusUnauthorized || r.body["error"] != "invalid_client" ||
		r.body["error_description"] != "Found Authentication header but was not valid client credentials." {
		t.Fatalf("token endpoint: %d %s", r.status, r.raw)
	}
	// A confidential client that sends it is refused, with the challenge.
	for _, ep := range []string{"/v1/introspect", "/v1/revoke"} {
		r := e.post(e.issuer+ep, at, map[string]string{"Authorization": idOnly(e.clientID)})
		if r.status != http.StatusUnauthorized || r.body["error"] != "invalid_client" ||
			r.body["error_description"] != "Found Authentication header but was not valid client credentials." ||
			r.header.Get("WWW-Authenticate") != `Basic realm="Latchkey"` {
			t.Fatalf("confidential %s: %d %v %s", ep, r.status, r.header, r.raw)
		}
		// An unknown id is the same refusal.
		if r := e.post(e.issuer+ep, at, map[string]string{"Authorization": idOnly("0oanosuchclient")}); r.status != http.StatusUnauthorized {
			t.Fatalf("unknown %s: %d %s", ep, r.status, r.raw)
		}
	}
	// The public client introspects and revokes its own token, from a
	// trusted page.
	h := map[string]string{"Authorization": idOnly(pub.ID), "Origin": trustedOrigin}
	r = e.post(e.issuer+"/v1/introspect", at, h)
	if r.status != http.StatusOK || r.body["active"] != true || r.body["client_id"] != pub.ID || r.header.Get("Access-Control-Allow-Origin") != trustedOrigin {
		t.Fatalf("introspect: %d %v %s", r.status, r.header, r.raw)
	}
	// A client_id in the body that differs from the header is refused.
	if r := e.post(e.issuer+"/v1/introspect", at+"&client_id="+e.clientID, h); r.status != http.StatusUnauthorized {
		t.Fatalf("two ids: %d %s", r.status, r.raw)
	}
	r = e.post(e.issuer+"/v1/revoke", at, h)
	if r.status != http.StatusOK || r.header.Get("Access-Control-Allow-Origin") != trustedOrigin {
		t.Fatalf("revoke: %d %v %s", r.status, r.header, r.raw)
	}
	r = e.post(e.issuer+"/v1/introspect", at, h)
	if r.status != http.StatusOK || r.body["active"] != false {
		t.Fatalf("introspect after revoke: %d %s", r.status, r.raw)
	}
}
