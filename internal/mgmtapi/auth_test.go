package mgmtapi_test

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/okta/okta-sdk-golang/v2/okta"

	"github.com/latchkey/latchkey/internal/config"
)

// TestAuthentication: no credential, a wrong one, a revoked one and an
// expired one are refused in Okta's shape; a valid API token is let in.
func TestAuthentication(t *testing.T) {
	e := newAPIEnv(t)
	wantError(t, e.doAuth("", "GET", "/api/v1/api-tokens", nil), http.StatusUnauthorized, "E0000005")
	for _, auth := range []string{"SSWS 00wrongwrongwrongwrongwrongwrongwrongwrong", "SSWS ", "Basic dXNlcjpwYXNz", "SSWS " + strings.Repeat("x", 5000),
		"Bearer not-a-jwt", "DPoP eyJhbGciOiJSUzI1NiJ9.e30.c2ln"} {
		r := e.doAuth(auth, "GET", "/api/v1/api-tokens", nil)
		wantError(t, r, http.StatusUnauthorized, "E0000011")
	}
	if r := e.do("GET", "/api/v1/api-tokens", nil); r.status != http.StatusOK {
		t.Fatalf("a valid API token: %d %s", r.status, r.raw)
	}

	// A token created and revoked through the service layer.
	ctx := context.Background()
	tok, value, err := e.app.Provision.CreateAPIToken(ctx, "short-lived", "Latchkey CLI")
	if err != nil {
		t.Fatal(err)
	}
	if r := e.doAuth("SSWS "+value, "GET", "/api/v1/api-tokens/"+tok.ID, nil); r.status != http.StatusOK {
		t.Fatalf("new token: %d %s", r.status, r.raw)
	}
	if r := e.do("DELETE", "/api/v1/api-tokens/"+tok.ID, nil); r.status != http.StatusNoContent {
		t.Fatalf("revoke: %d %s", r.status, r.raw)
	}
	wantError(t, e.doAuth("SSWS "+value, "GET", "/api/v1/api-tokens", nil), http.StatusUnauthorized, "E0000011")
	wantError(t, e.do("GET", "/api/v1/api-tokens/"+tok.ID, nil), http.StatusNotFound, "E0000007")

	// A token unused for its whole window stops working.
	tok, value, err = e.app.Provision.CreateAPIToken(ctx, "idle", "Latchkey CLI")
	if err != nil {
		t.Fatal(err)
	}
	if err := e.app.Store.TouchAPIToken(ctx, tok.ID, time.Now().Add(-31*24*time.Hour), time.Now().Add(-24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	wantError(t, e.doAuth("SSWS "+value, "GET", "/api/v1/api-tokens", nil), http.StatusUnauthorized, "E0000011")

	// DELETE /api-tokens/current revokes the caller's own token.
	_, value, err = e.app.Provision.CreateAPIToken(ctx, "self", "Latchkey CLI")
	if err != nil {
		t.Fatal(err)
	}
	if r := e.doAuth("SSWS "+value, "DELETE", "/api/v1/api-tokens/current", nil); r.status != http.StatusNoContent {
		t.Fatalf("revoke current: %d %s", r.status, r.raw)
	}
	wantError(t, e.doAuth("SSWS "+value, "GET", "/api/v1/api-tokens", nil), http.StatusUnauthorized, "E0000011")
}

// TestAPITokenShapes: the API token objects, never with the value or hash.
func TestAPITokenShapes(t *testing.T) {
	e := newAPIEnv(t)
	r := e.do("GET", "/api/v1/api-tokens", nil)
	if r.status != http.StatusOK {
		t.Fatalf("%d %s", r.status, r.raw)
	}
	if strings.Contains(string(r.raw), e.token) || strings.Contains(string(r.raw), "hmac") {
		t.Fatalf("the list shows a token value or hash: %s", r.raw)
	}
	e.golden("api-tokens-list", r.raw)
	var list []map[string]any
	r.decode(t, &list)
	r = e.do("GET", "/api/v1/api-tokens/"+list[0]["id"].(string), nil)
	e.golden("api-token", r.raw)
	wantError(t, e.do("GET", "/api/v1/api-tokens/00Tnothing", nil), http.StatusNotFound, "E0000007")
}

// TestUnknownRoute: an unknown /api/v1 path is Okta's 404.
func TestUnknownRoute(t *testing.T) {
	e := newAPIEnv(t)
	wantError(t, e.do("GET", "/api/v1/nothing-here", nil), http.StatusNotFound, "E0000007")
}

// TestRateLimit: X-Rate-Limit-* headers on every answer, and 429 E0000047
// with Retry-After past the limit of one credential; another credential
// is not affected.
func TestRateLimit(t *testing.T) {
	e := newAPIEnv(t, func(c *config.Config) {
		c.ManagementAPI.RateLimit = config.RateLimit{Requests: 3, Window: config.Duration{Duration: time.Hour}}
	})
	for i := range 3 {
		r := e.do("GET", "/api/v1/api-tokens", nil)
		if r.status != http.StatusOK || r.header.Get("X-Rate-Limit-Limit") != "3" || r.header.Get("X-Rate-Limit-Remaining") != itoa(2-i) ||
			r.header.Get("X-Rate-Limit-Reset") == "" {
			t.Fatalf("request %d: %d %v", i, r.status, r.header)
		}
	}
	r := e.do("GET", "/api/v1/api-tokens", nil)
	wantError(t, r, http.StatusTooManyRequests, "E0000047")
	if r.header.Get("Retry-After") == "" || r.header.Get("X-Rate-Limit-Remaining") != "0" {
		t.Fatalf("429 headers: %v", r.header)
	}
	_, other, err := e.app.Provision.CreateAPIToken(context.Background(), "other", "Latchkey CLI")
	if err != nil {
		t.Fatal(err)
	}
	if r := e.doAuth("SSWS "+other, "GET", "/api/v1/api-tokens", nil); r.status != http.StatusOK {
		t.Fatalf("another token: %d %s", r.status, r.raw)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// TestGrantsWithOktaSDK: okta.* scopes granted to a service client through
// /apps/{id}/grants with Okta's SDK in SSWS mode; the same SDK in
// PrivateKey mode then gets an org token with them and calls the API; a
// scope not granted is refused at the token endpoint, and a route needing
// a scope the token lacks answers 403 with the insufficient_scope
// challenge.
func TestGrantsWithOktaSDK(t *testing.T) {
	e := newAPIEnv(t)
	ctx := context.Background()
	admin := e.sdk()
	clientID, key := e.serviceClient()

	g, resp, err := admin.Application.GrantConsentToScope(ctx, clientID, okta.OAuth2ScopeConsentGrant{Issuer: e.base, ScopeId: "okta.apps.read"})
	if err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("grant: %v %v", err, resp)
	}
	if g.Id == "" || g.ScopeId != "okta.apps.read" || g.ClientId != clientID || g.Status != "ACTIVE" || g.Issuer != e.base {
		t.Fatalf("grant = %+v", g)
	}
	if _, _, err := admin.Application.GrantConsentToScope(ctx, clientID, okta.OAuth2ScopeConsentGrant{Issuer: e.base, ScopeId: "okta.nothing"}); sdkCode(err) != "E0000001" {
		t.Fatalf("grant of an unknown scope: %v", err)
	}
	if _, _, err := admin.Application.GrantConsentToScope(ctx, clientID, okta.OAuth2ScopeConsentGrant{Issuer: "https://elsewhere.example.com", ScopeId: "okta.users.read"}); err == nil {
		t.Fatal("a grant for another issuer was accepted")
	}
	grants, _, err := admin.Application.ListScopeConsentGrants(ctx, clientID, nil)
	if err != nil || len(grants) != 1 || grants[0].Id != g.Id {
		t.Fatalf("list grants: %v %+v", err, grants)
	}
	got := e.do("GET", "/api/v1/apps/"+clientID+"/grants/"+g.Id, nil)
	e.golden("grant", got.raw)

	// PrivateKey mode with the granted scope.
	svc := e.sdkOAuth(clientID, key, "okta.apps.read")
	list, _, err := svc.Application.ListScopeConsentGrants(ctx, clientID, nil)
	if err != nil || len(list) != 1 {
		t.Fatalf("PrivateKey mode: %v %+v", err, list)
	}
	// A route that needs okta.apps.manage: 403 with the challenge.
	res, err := svc.Application.RevokeScopeConsentGrant(ctx, clientID, g.Id)
	if err == nil || res == nil || res.StatusCode != http.StatusForbidden || !strings.Contains(err.Error(), "does not contain the required scopes") {
		t.Fatalf("revoke with a read scope: %v %v", err, res)
	}
	// A scope not granted: the token endpoint refuses it. (Another
	// client: the SDK's assertions carry no jti, so two of one client made
	// within the same second are the same assertion, and the second is
	// refused as a replay; docs/management-api.md.)
	other, otherKey := e.serviceClient("okta.apps.read")
	none := e.sdkOAuth(other, otherKey, "okta.users.manage")
	if _, _, err := none.Application.ListScopeConsentGrants(ctx, other, nil); !strings.Contains(fmt.Sprint(err), "not granted to the client: okta.users.manage") {
		t.Fatalf("a token for a scope not granted: %v", err)
	}
	if _, err := admin.Application.RevokeScopeConsentGrant(ctx, clientID, g.Id); err != nil {
		t.Fatalf("revoke: %v", err)
	}
	if grants, _, _ := admin.Application.ListScopeConsentGrants(ctx, clientID, nil); len(grants) != 0 {
		t.Fatalf("grants after revoke: %+v", grants)
	}
}

// TestBearerScopeChallenge: the exact 403 a token without the route's
// scope gets, and that a revoked org token is refused at once.
func TestBearerScopeChallenge(t *testing.T) {
	e := newAPIEnv(t)
	clientID, _ := e.serviceClient("okta.logs.read")
	tok := e.orgToken(clientID, "okta.logs.read")
	r := e.doAuth("Bearer "+tok, "GET", "/api/v1/api-tokens", nil)
	wantError(t, r, http.StatusForbidden, "E0000006")
	want := `Bearer authorization_uri="` + e.base + `/oauth2/v1/authorize", realm="` + e.base + `", scope="okta.apiTokens.read", error="insufficient_scope", error_description="The access token provided does not contain the required scopes.", resource="/api/v1/api-tokens"`
	if got := r.header.Get("WWW-Authenticate"); got != want {
		t.Fatalf("WWW-Authenticate:\n got %s\nwant %s", got, want)
	}
}
