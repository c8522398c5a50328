package mgmtapi_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/okta/okta-sdk-golang/v2/okta"

	"github.com/latchkey/latchkey/internal/provision"
)

// secretClient creates a confidential client_credentials client and
// returns its id and secret.
func (e *apiEnv) secretClient() (string, string) {
	e.t.Helper()
	c, secret, err := e.app.Provision.CreateClient(context.Background(), provision.ClientInput{Name: "billing-batch",
		GrantTypes: []string{"client_credentials"}, AuthMethod: "client_secret_basic"})
	if err != nil {
		e.t.Fatal(err)
	}
	return c.ID, secret
}

// customToken asks a custom server for an access token by the client
// credentials grant; it returns the token, or "" and the error body.
func (e *apiEnv) customToken(issuer, clientID, secret, scope string) (string, map[string]any) {
	e.t.Helper()
	req, err := http.NewRequest(http.MethodPost, issuer+"/v1/token",
		strings.NewReader(url.Values{"grant_type": {"client_credentials"}, "scope": {scope}}.Encode()))
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(clientID), url.QueryEscape(secret))
	res, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	var body map[string]any
	if err := json.NewDecoder(res.Body).Decode(&body); err != nil {
		e.t.Fatal(err)
	}
	if res.StatusCode != http.StatusOK {
		return "", body
	}
	return body["access_token"].(string), body
}

// verify checks an access token as a resource server would, with go-oidc
// against the server's discovery document and JWKS (fetched afresh).
func (e *apiEnv) verify(issuer, audience, raw string) (map[string]any, error) {
	ctx := oidc.ClientContext(context.Background(), e.srv.Client())
	p, err := oidc.NewProvider(ctx, issuer)
	if err != nil {
		return nil, err
	}
	tok, err := p.Verifier(&oidc.Config{ClientID: audience}).Verify(ctx, raw)
	if err != nil {
		return nil, err
	}
	var claims map[string]any
	if err := tok.Claims(&claims); err != nil {
		return nil, err
	}
	return claims, nil
}

// kidOf is the kid in a JWT's header.
func kidOf(t *testing.T, raw string) string {
	t.Helper()
	h, err := base64.RawURLEncoding.DecodeString(strings.Split(raw, ".")[0])
	if err != nil {
		t.Fatal(err)
	}
	var hdr struct {
		Kid string `json:"kid"`
	}
	if err := json.Unmarshal(h, &hdr); err != nil {
		t.Fatal(err)
	}
	return hdr.Kid
}

func keyWith(keys []*okta.JsonWebKey, status string) string {
	for _, k := range keys {
		if k.Status == status {
			return k.Kid
		}
	}
	return ""
}

// TestAuthServersSDK configures a custom authorization server entirely
// through Okta's Go SDK (SSWS), gets a token from it by the client
// credentials grant, verifies it with go-oidc against the server's own
// discovery and JWKS, rotates its keys, deactivates, reactivates and
// deletes it.
func TestAuthServersSDK(t *testing.T) {
	e := newAPIEnv(t)
	ctx := context.Background()
	c := e.sdk()
	as := c.AuthorizationServer

	srv, _, err := as.CreateAuthorizationServer(ctx, okta.AuthorizationServer{Name: "Billing", Description: "Billing API",
		Audiences: []string{"api://billing"}})
	if err != nil {
		t.Fatal(err)
	}
	issuer := e.base + "/oauth2/" + srv.Id
	if !strings.HasPrefix(srv.Id, "aus") || srv.Issuer != issuer || srv.Status != "ACTIVE" || srv.IssuerMode != "ORG_URL" ||
		srv.Credentials == nil || srv.Credentials.Signing.Kid == "" || srv.Credentials.Signing.RotationMode != "AUTO" {
		t.Fatalf("created: %+v", srv)
	}
	got, _, err := as.GetAuthorizationServer(ctx, srv.Id)
	if err != nil || got.Name != "Billing" || got.Audiences[0] != "api://billing" {
		t.Fatalf("get: %+v %v", got, err)
	}
	list, _, err := as.ListAuthorizationServers(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	var listed []string
	for _, s := range list {
		listed = append(listed, s.Id)
	}
	if !slices.Contains(listed, srv.Id) || !slices.Contains(listed, "default") || slices.Contains(listed, "org") {
		t.Fatalf("list: %v", listed)
	}
	got.Description = "Invoices and payments"
	upd, _, err := as.UpdateAuthorizationServer(ctx, srv.Id, *got)
	if err != nil || upd.Description != "Invoices and payments" || upd.Name != "Billing" {
		t.Fatalf("update: %+v %v", upd, err)
	}

	scope, _, err := as.CreateOAuth2Scope(ctx, srv.Id, okta.OAuth2Scope{Name: "invoices:read", Description: "Read invoices",
		MetadataPublish: "ALL_CLIENTS"})
	if err != nil || !strings.HasPrefix(scope.Id, "scp") {
		t.Fatalf("scope: %+v %v", scope, err)
	}
	scopes, _, err := as.ListOAuth2Scopes(ctx, srv.Id, nil)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range scopes {
		names = append(names, s.Name)
	}
	if !slices.Contains(names, "openid") || !slices.Contains(names, "invoices:read") {
		t.Fatalf("scopes: %v", names)
	}
	if _, _, err := as.CreateOAuth2Claim(ctx, srv.Id, okta.OAuth2Claim{Name: "tenant", ClaimType: "RESOURCE", ValueType: "EXPRESSION",
		Value: `"acme"`, Conditions: &okta.OAuth2ClaimConditions{Scopes: []string{"invoices:read"}}}); err != nil {
		t.Fatal(err)
	}

	clientID, secret := e.secretClient()
	pol, _, err := as.CreateAuthorizationServerPolicy(ctx, srv.Id, okta.AuthorizationServerPolicy{Type: "OAUTH_AUTHORIZATION_POLICY",
		Name: "Batch jobs", Description: "Machine clients", Priority: 1, Status: "ACTIVE",
		Conditions: &okta.PolicyRuleConditions{Clients: &okta.ClientPolicyCondition{Include: []string{clientID}}}})
	if err != nil || !strings.HasPrefix(pol.Id, "00p") {
		t.Fatalf("policy: %+v %v", pol, err)
	}
	// A server with a policy but no rule issues nothing.
	if tok, body := e.customToken(issuer, clientID, secret, "invoices:read"); tok != "" {
		t.Fatalf("a token without a rule: %v", body)
	}
	rule, _, err := as.CreateAuthorizationServerPolicyRule(ctx, srv.Id, pol.Id, okta.AuthorizationServerPolicyRule{Name: "client credentials",
		Type: "RESOURCE_ACCESS", Priority: 1,
		Conditions: &okta.AuthorizationServerPolicyRuleConditions{GrantTypes: &okta.GrantTypePolicyRuleCondition{Include: []string{"client_credentials"}},
			Scopes: &okta.OAuth2ScopesMediationPolicyRuleCondition{Include: []string{"invoices:read"}},
			People: &okta.PolicyPeopleCondition{Groups: &okta.GroupCondition{Include: []string{"EVERYONE"}}}},
		Actions: &okta.AuthorizationServerPolicyRuleActions{Token: &okta.TokenAuthorizationServerPolicyRuleAction{AccessTokenLifetimeMinutes: 30}}})
	if err != nil || !strings.HasPrefix(rule.Id, "0pr") {
		t.Fatalf("rule: %+v %v", rule, err)
	}

	keys, _, err := as.ListAuthorizationServerKeys(ctx, srv.Id)
	if err != nil {
		t.Fatal(err)
	}
	active, next := keyWith(keys, "ACTIVE"), keyWith(keys, "NEXT")
	if active == "" || next == "" || len(keys) != 2 || active != srv.Credentials.Signing.Kid {
		t.Fatalf("keys: active %q next %q of %d", active, next, len(keys))
	}

	oldToken, body := e.customToken(issuer, clientID, secret, "invoices:read")
	if oldToken == "" {
		t.Fatalf("token: %v", body)
	}
	if body["expires_in"] != float64(1800) {
		t.Fatalf("the rule's 30-minute lifetime: %v", body["expires_in"])
	}
	claims, err := e.verify(issuer, "api://billing", oldToken)
	if err != nil {
		t.Fatal(err)
	}
	if claims["tenant"] != "acme" || claims["cid"] != clientID || kidOf(t, oldToken) != active {
		t.Fatalf("claims %v, kid %s (active %s)", claims, kidOf(t, oldToken), active)
	}

	rotated, _, err := as.RotateAuthorizationServerKeys(ctx, srv.Id, okta.JwkUse{Use: "sig"})
	if err != nil {
		t.Fatal(err)
	}
	if keyWith(rotated, "ACTIVE") != next || keyWith(rotated, "EXPIRED") != active || keyWith(rotated, "NEXT") == "" {
		t.Fatalf("after keyRotate: %+v", rotated)
	}
	newToken, body := e.customToken(issuer, clientID, secret, "invoices:read")
	if newToken == "" || kidOf(t, newToken) != next {
		t.Fatalf("after rotation the token is signed by %q, want %q: %v", kidOf(t, newToken), next, body)
	}
	for _, raw := range []string{oldToken, newToken} {
		if _, err := e.verify(issuer, "api://billing", raw); err != nil {
			t.Fatalf("after rotation: %v", err)
		}
	}

	// Deactivating the rule stops the tokens at once; activating it again
	// brings them back.
	if _, err := as.DeactivateAuthorizationServerPolicyRule(ctx, srv.Id, pol.Id, rule.Id); err != nil {
		t.Fatal(err)
	}
	if tok, body := e.customToken(issuer, clientID, secret, "invoices:read"); tok != "" {
		t.Fatalf("a token with the rule INACTIVE: %v", body)
	}
	if _, err := as.ActivateAuthorizationServerPolicyRule(ctx, srv.Id, pol.Id, rule.Id); err != nil {
		t.Fatal(err)
	}
	if tok, body := e.customToken(issuer, clientID, secret, "invoices:read"); tok == "" {
		t.Fatalf("no token with the rule ACTIVE again: %v", body)
	}

	// A deactivated server answers as an unknown one, discovery included.
	if _, err := as.DeactivateAuthorizationServer(ctx, srv.Id); err != nil {
		t.Fatal(err)
	}
	if r := e.doAuth("", "GET", "/oauth2/"+srv.Id+"/.well-known/openid-configuration", nil); r.status != http.StatusNotFound {
		t.Fatalf("discovery of an INACTIVE server: %d %s", r.status, r.raw)
	}
	if tok, _ := e.customToken(issuer, clientID, secret, "invoices:read"); tok != "" {
		t.Fatal("an INACTIVE server issued a token")
	}
	if got, _, err := as.GetAuthorizationServer(ctx, srv.Id); err != nil || got.Status != "INACTIVE" {
		t.Fatalf("get INACTIVE: %+v %v", got, err)
	}
	if _, err := as.ActivateAuthorizationServer(ctx, srv.Id); err != nil {
		t.Fatal(err)
	}
	if _, err := e.verify(issuer, "api://billing", newToken); err != nil {
		t.Fatalf("after reactivation: %v", err)
	}

	// Okta's rules for deleting: deactivate first; never the default server.
	if _, err := as.DeleteAuthorizationServer(ctx, srv.Id); sdkCode(err) != "E0000001" {
		t.Fatalf("delete ACTIVE: %v", err)
	}
	if _, err := as.DeactivateAuthorizationServer(ctx, srv.Id); err != nil {
		t.Fatal(err)
	}
	if _, err := as.DeleteAuthorizationServer(ctx, srv.Id); err != nil {
		t.Fatal(err)
	}
	if _, _, err := as.GetAuthorizationServer(ctx, srv.Id); sdkCode(err) != "E0000007" {
		t.Fatalf("get deleted: %v", err)
	}
	if _, err := as.DeactivateAuthorizationServer(ctx, "default"); err != nil {
		t.Fatal(err)
	}
	if _, err := as.DeleteAuthorizationServer(ctx, "default"); sdkCode(err) != "E0000001" {
		t.Fatalf("delete default: %v", err)
	}
	for _, id := range []string{"org", "aus0000000000000missing"} {
		if _, _, err := as.GetAuthorizationServer(ctx, id); sdkCode(err) != "E0000007" {
			t.Fatalf("get %s: %v", id, err)
		}
	}
}

// TestAuthServersOAuth: the SDK in its PrivateKey mode reads with
// okta.authorizationServers.read, is refused a change without .manage,
// and makes it with .manage.
func TestAuthServersOAuth(t *testing.T) {
	e := newAPIEnv(t)
	ctx := context.Background()
	reader, readerKey := e.serviceClient("okta.authorizationServers.read")
	rc := e.sdkOAuth(reader, readerKey, "okta.authorizationServers.read")
	if _, _, err := rc.AuthorizationServer.ListAuthorizationServers(ctx, nil); err != nil {
		t.Fatal(err)
	}
	_, res, err := rc.AuthorizationServer.CreateAuthorizationServer(ctx, okta.AuthorizationServer{Name: "x", Audiences: []string{"api://x"}})
	if err == nil || res == nil || res.StatusCode != http.StatusForbidden {
		t.Fatalf("create with read only: %v", err)
	}
	manager, managerKey := e.serviceClient("okta.authorizationServers.manage")
	mc := e.sdkOAuth(manager, managerKey, "okta.authorizationServers.manage")
	srv, _, err := mc.AuthorizationServer.CreateAuthorizationServer(ctx, okta.AuthorizationServer{Name: "Pipelines", Audiences: []string{"api://ci"}})
	if err != nil {
		t.Fatal(err)
	}
	if keys, _, err := mc.AuthorizationServer.RotateAuthorizationServerKeys(ctx, srv.Id, okta.JwkUse{Use: "sig"}); err != nil || len(keys) != 3 {
		t.Fatalf("rotate with manage: %d keys, %v", len(keys), err)
	}
	if _, _, err := mc.AuthorizationServer.GetAuthorizationServer(ctx, srv.Id); err != nil {
		t.Fatalf("manage satisfies read: %v", err)
	}
}
