package verifiertest_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/verifier/verifiertest"
)

func getJSON(t *testing.T, u string) (int, map[string]any, http.Header) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&body)
	return resp.StatusCode, body, resp.Header
}

func TestIssuerEndpoints(t *testing.T) {
	iss := verifiertest.NewIssuer(t, verifiertest.WithServerID("aus123"), verifiertest.WithKeysMaxAge(time.Minute))
	if !strings.HasSuffix(iss.Issuer(), "/oauth2/aus123") || !strings.HasPrefix(iss.Issuer(), "http://127.0.0.1:") {
		t.Errorf("Issuer() = %q", iss.Issuer())
	}
	for _, u := range []string{
		iss.Issuer() + "/.well-known/openid-configuration",
		iss.Issuer() + "/.well-known/oauth-authorization-server",
		iss.URL() + "/.well-known/oauth-authorization-server/oauth2/aus123",
	} {
		status, doc, _ := getJSON(t, u)
		if status != 200 || doc["issuer"] != iss.Issuer() || doc["jwks_uri"] != iss.JWKSURL() || doc["introspection_endpoint"] != iss.IntrospectionURL() {
			t.Errorf("%s: %d %v", u, status, doc)
		}
	}
	if iss.DiscoveryFetches() != 3 {
		t.Errorf("DiscoveryFetches = %d", iss.DiscoveryFetches())
	}

	status, jwks, h := getJSON(t, iss.JWKSURL())
	keys, _ := jwks["keys"].([]any)
	if status != 200 || len(keys) != 1 || h.Get("Cache-Control") != "max-age=60, must-revalidate" {
		t.Fatalf("JWKS: %d %v %q", status, jwks, h.Get("Cache-Control"))
	}
	key := keys[0].(map[string]any)
	if key["kid"] != iss.KeyID() || key["alg"] != "RS256" || key["use"] != "sig" || key["kty"] != "RSA" || key["d"] != nil {
		t.Errorf("key = %v", key)
	}
	old := iss.KeyID()
	iss.RotateKey()
	if _, jwks, _ := getJSON(t, iss.JWKSURL()); len(jwks["keys"].([]any)) != 2 {
		t.Errorf("after RotateKey: %v", jwks)
	}
	iss.Unpublish(old)
	if _, jwks, _ := getJSON(t, iss.JWKSURL()); len(jwks["keys"].([]any)) != 1 {
		t.Errorf("after Unpublish: %v", jwks)
	}
	if iss.JWKSFetches() != 3 {
		t.Errorf("JWKSFetches = %d", iss.JWKSFetches())
	}

	iss.SetDown(true)
	if status, _, _ := getJSON(t, iss.JWKSURL()); status != http.StatusServiceUnavailable {
		t.Errorf("down: %d", status)
	}
}

func TestIssuerIntrospect(t *testing.T) {
	iss := verifiertest.NewIssuer(t)
	introspect := func(id, secret, token string) (int, map[string]any) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, iss.IntrospectionURL(), strings.NewReader(url.Values{"token": {token}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(url.QueryEscape(id), url.QueryEscape(secret))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&body)
		return resp.StatusCode, body
	}
	token := iss.AccessToken(verifiertest.WithScopes("openid", "email"))
	if status, body := introspect(iss.ClientID(), iss.ClientSecret(), token); status != 200 || body["active"] != true || body["scope"] != "openid email" || body["client_id"] != iss.ClientID() {
		t.Errorf("active: %d %v", status, body)
	}
	if status, _ := introspect(iss.ClientID(), "wrong", token); status != http.StatusUnauthorized {
		t.Errorf("wrong secret: %d", status)
	}
	for name, tok := range map[string]string{
		"expired": iss.AccessToken(verifiertest.WithLifetime(-time.Minute)),
		"garbage": "garbage",
	} {
		if status, body := introspect(iss.ClientID(), iss.ClientSecret(), tok); status != 200 || body["active"] != false {
			t.Errorf("%s: %d %v", name, status, body)
		}
	}
	iss.Revoke(token)
	if _, body := introspect(iss.ClientID(), iss.ClientSecret(), token); body["active"] != false {
		t.Errorf("revoked: %v", body)
	}
	if iss.IntrospectionRequests() != 5 {
		t.Errorf("IntrospectionRequests = %d", iss.IntrospectionRequests())
	}
}
