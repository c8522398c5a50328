package mgmtapi_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/okta/okta-sdk-golang/v2/okta"
	"github.com/okta/okta-sdk-golang/v2/okta/query"

	"github.com/latchkey/latchkey/internal/config"
	"github.com/latchkey/latchkey/internal/provision"
)

// newOIDCApp is the app Okta's SDK sends for a confidential client.
func newOIDCApp(label string, grants ...string) *okta.OpenIdConnectApplication {
	app := okta.NewOpenIdConnectApplication()
	app.Label = label
	app.Credentials = &okta.OAuthApplicationCredentials{OauthClient: &okta.ApplicationCredentialsOAuthClient{TokenEndpointAuthMethod: "client_secret_basic"}}
	var gts []*okta.OAuthGrantType
	for _, g := range grants {
		gt := okta.OAuthGrantType(g)
		gts = append(gts, &gt)
	}
	leeway := int64(10)
	app.Settings = &okta.OpenIdConnectApplicationSettings{OauthClient: &okta.OpenIdConnectApplicationSettingsClient{
		ApplicationType: "native", GrantTypes: gts,
		RefreshToken: &okta.OpenIdConnectApplicationSettingsRefreshToken{RotationType: "STATIC", LeewayPtr: &leeway}}}
	return app
}

// passwordToken asks the default server for a token with the password
// grant, the client authenticating with HTTP Basic; it returns the status
// and the access token, if any.
func (e *apiEnv) passwordToken(clientID, secret, login, pw string) (int, string) {
	e.t.Helper()
	form := url.Values{"grant_type": {"password"}, "username": {login}, "password": {pw}, "scope": {"openid"}}
	req, err := http.NewRequest("POST", e.base+"/oauth2/default/v1/token", strings.NewReader(form.Encode()))
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
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		e.t.Logf("token: %d %s", res.StatusCode, b)
		return res.StatusCode, ""
	}
	var body struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(b, &body); err != nil {
		e.t.Fatal(err)
	}
	return res.StatusCode, body.AccessToken
}

// userinfo is the status of the default server's userinfo for an access
// token: 200 while the token is active.
func (e *apiEnv) userinfo(at string) int {
	e.t.Helper()
	r := e.doAuth("Bearer "+at, "GET", "/oauth2/default/v1/userinfo", nil)
	return r.status
}

// TestAppsWithSDK drives the apps API with Okta's SDK, unchanged: create,
// get, list across pages, update, lifecycle, delete; secrets; assignments.
func TestAppsWithSDK(t *testing.T) {
	// Many password grants for one user within a second: lift the
	// per-username limit, which is not what this test is about.
	e := newAPIEnv(t, func(c *config.Config) { c.LoginProtection.RateLimits.Username.Requests = 1000 })
	ctx := context.Background()
	c := e.sdk()

	created, _, err := c.Application.CreateApplication(ctx, newOIDCApp("Payments", "password", "refresh_token"), nil)
	if err != nil {
		t.Fatal(err)
	}
	app := created.(*okta.OpenIdConnectApplication)
	oc := app.Credentials.OauthClient
	if !strings.HasPrefix(app.Id, "0oa") || oc.ClientId != app.Id || oc.ClientSecret == "" || app.Status != "ACTIVE" || app.Label != "Payments" ||
		app.Settings.OauthClient.RefreshToken.RotationType != "STATIC" || *app.Settings.OauthClient.RefreshToken.LeewayPtr != 10 {
		t.Fatalf("created app: %+v %+v", app, oc)
	}
	secret1 := oc.ClientSecret

	t.Run("Get", func(t *testing.T) {
		got, _, err := c.Application.GetApplication(ctx, app.Id, okta.NewOpenIdConnectApplication(), nil)
		if err != nil {
			t.Fatal(err)
		}
		g := got.(*okta.OpenIdConnectApplication)
		if g.Credentials.OauthClient.ClientSecret != "" || g.Label != "Payments" || len(g.Settings.OauthClient.GrantTypes) != 2 {
			t.Fatalf("get: %+v", g.Credentials.OauthClient)
		}
		_, _, err = c.Application.GetApplication(ctx, "0oanothere", okta.NewOpenIdConnectApplication(), nil)
		if sdkCode(err) != "E0000007" {
			t.Fatalf("missing app: %v", err)
		}
	})

	t.Run("ListPages", func(t *testing.T) {
		for _, l := range []string{"Payroll", "Billing"} {
			if _, _, err := c.Application.CreateApplication(ctx, newOIDCApp(l, "client_credentials"), nil); err != nil {
				t.Fatal(err)
			}
		}
		seen := map[string]bool{}
		apps, resp, err := c.Application.ListApplications(ctx, query.NewQueryParams(query.WithLimit(2)))
		if err != nil {
			t.Fatal(err)
		}
		pages := 1
		for _, a := range apps {
			seen[a.(*okta.Application).Label] = true
		}
		for resp.HasNextPage() {
			var next []okta.Application
			if resp, err = resp.Next(ctx, &next); err != nil {
				t.Fatal(err)
			}
			pages++
			for _, a := range next {
				seen[a.Label] = true
			}
		}
		// The SDK's service client from newAPIEnv does not exist here: the
		// three apps and nothing else.
		if pages != 2 || len(seen) != 3 || !seen["Payments"] || !seen["Payroll"] || !seen["Billing"] {
			t.Fatalf("%d pages, labels %v", pages, seen)
		}
		apps, _, err = c.Application.ListApplications(ctx, query.NewQueryParams(query.WithQ("pay")))
		if err != nil || len(apps) != 2 {
			t.Fatalf("q=pay: %d apps, %v", len(apps), err)
		}
	})

	t.Run("Update", func(t *testing.T) {
		got, _, err := c.Application.GetApplication(ctx, app.Id, okta.NewOpenIdConnectApplication(), nil)
		if err != nil {
			t.Fatal(err)
		}
		g := got.(*okta.OpenIdConnectApplication)
		g.Label = "Payments v2"
		g.Credentials.OauthClient.TokenEndpointAuthMethod = "client_secret_post"
		g.Settings.OauthClient.RefreshToken.RotationType = "ROTATE"
		updated, _, err := c.Application.UpdateApplication(ctx, app.Id, g)
		if err != nil {
			t.Fatal(err)
		}
		u := updated.(*okta.OpenIdConnectApplication)
		if u.Label != "Payments v2" || u.Credentials.OauthClient.TokenEndpointAuthMethod != "client_secret_post" ||
			u.Credentials.OauthClient.ClientSecret != "" || u.Settings.OauthClient.RefreshToken.RotationType != "ROTATE" {
			t.Fatalf("updated: %+v", u.Credentials.OauthClient)
		}
		stored, err := e.app.Store.GetClient(ctx, app.Id)
		if err != nil || stored.Name != "Payments v2" || stored.TokenEndpointAuthMethod != "client_secret_post" {
			t.Fatalf("stored: %+v %v", stored, err)
		}
		// Back to basic: the secret stays (basic <-> post keeps secrets).
		u.Credentials.OauthClient.TokenEndpointAuthMethod = "client_secret_basic"
		if _, _, err := c.Application.UpdateApplication(ctx, app.Id, u); err != nil {
			t.Fatal(err)
		}
	})

	// A user to get tokens for, assigned through Everyone.
	_, err = e.app.Provision.CreateUser(ctx, provision.UserInput{Login: "ada@example.com", Email: "ada@example.com", Password: "correct horse battery"})
	if err != nil {
		t.Fatal(err)
	}
	token := func(secret string) int {
		status, _ := e.passwordToken(app.Id, secret, "ada@example.com", "correct horse battery")
		return status
	}
	if s := token(secret1); s != http.StatusOK {
		t.Fatalf("token with the first secret: %d", s)
	}

	t.Run("SecretRotation", func(t *testing.T) {
		secrets, _, err := c.Application.ListClientSecretsForApplication(ctx, app.Id)
		if err != nil || len(secrets) != 1 || secrets[0].Status != "ACTIVE" || secrets[0].ClientSecret != "" || secrets[0].SecretHash == "" {
			t.Fatalf("secrets: %v %+v", err, secrets)
		}
		first := secrets[0]
		second, _, err := c.Application.CreateNewClientSecretForApplication(ctx, app.Id, okta.ClientSecretMetadata{})
		if err != nil || !strings.HasPrefix(second.Id, "ocs") || second.ClientSecret == "" || second.Status != "ACTIVE" {
			t.Fatalf("new secret: %v %+v", err, second)
		}
		// Both work during the overlap.
		if token(secret1) != http.StatusOK || token(second.ClientSecret) != http.StatusOK {
			t.Fatal("during the overlap both secrets must authenticate")
		}
		// A third is refused.
		_, _, err = c.Application.CreateNewClientSecretForApplication(ctx, app.Id, okta.ClientSecretMetadata{})
		if sdkCode(err) != "E0000001" {
			t.Fatalf("third secret: %v", err)
		}
		// An ACTIVE secret cannot be deleted.
		if _, err := c.Application.DeleteClientSecretForApplication(ctx, app.Id, first.Id); sdkCode(err) != "E0000001" {
			t.Fatalf("delete an ACTIVE secret: %v", err)
		}
		off, _, err := c.Application.DeactivateClientSecretForApplication(ctx, app.Id, first.Id)
		if err != nil || off.Status != "INACTIVE" {
			t.Fatalf("deactivate: %v %+v", err, off)
		}
		if token(secret1) != http.StatusUnauthorized || token(second.ClientSecret) != http.StatusOK {
			t.Fatal("after deactivating the first secret only the second may authenticate")
		}
		// The last ACTIVE secret cannot be deactivated.
		if _, _, err := c.Application.DeactivateClientSecretForApplication(ctx, app.Id, second.Id); sdkCode(err) != "E0000001" {
			t.Fatalf("deactivate the last ACTIVE secret: %v", err)
		}
		// Reactivated, the first works again; deactivated and deleted, it is gone.
		if on, _, err := c.Application.ActivateClientSecretForApplication(ctx, app.Id, first.Id); err != nil || on.Status != "ACTIVE" {
			t.Fatalf("activate: %v", err)
		}
		if token(secret1) != http.StatusOK {
			t.Fatal("a reactivated secret must authenticate")
		}
		if _, _, err := c.Application.DeactivateClientSecretForApplication(ctx, app.Id, first.Id); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Application.DeleteClientSecretForApplication(ctx, app.Id, first.Id); err != nil {
			t.Fatal(err)
		}
		secrets, _, err = c.Application.ListClientSecretsForApplication(ctx, app.Id)
		if err != nil || len(secrets) != 1 || secrets[0].Id != second.Id {
			t.Fatalf("after delete: %v %+v", err, secrets)
		}
		if _, _, err := c.Application.GetClientSecretForApplication(ctx, app.Id, first.Id); sdkCode(err) != "E0000007" {
			t.Fatalf("get a deleted secret: %v", err)
		}
		secret1 = second.ClientSecret
	})

	t.Run("Assignments", func(t *testing.T) {
		u, err := e.app.Provision.CreateUser(ctx, provision.UserInput{Login: "grace@example.com", Email: "grace@example.com"})
		if err != nil {
			t.Fatal(err)
		}
		g, err := e.app.Provision.CreateGroup(ctx, "finance", "")
		if err != nil {
			t.Fatal(err)
		}
		au, _, err := c.Application.AssignUserToApplication(ctx, app.Id, okta.AppUser{Id: u.ID})
		if err != nil || au.Id != u.ID || au.Scope != "USER" {
			t.Fatalf("assign user: %v %+v", err, au)
		}
		ag, _, err := c.Application.CreateApplicationGroupAssignment(ctx, app.Id, g.ID, okta.ApplicationGroupAssignment{})
		if err != nil || ag.Id != g.ID {
			t.Fatalf("assign group: %v %+v", err, ag)
		}
		users, _, err := c.Application.ListApplicationUsers(ctx, app.Id, nil)
		if err != nil || len(users) != 1 || users[0].Id != u.ID {
			t.Fatalf("users: %v %+v", err, users)
		}
		groups, _, err := c.Application.ListApplicationGroupAssignments(ctx, app.Id, nil)
		if err != nil || len(groups) != 2 { // Everyone and finance
			t.Fatalf("groups: %v %d", err, len(groups))
		}
		if _, err := c.Application.DeleteApplicationUser(ctx, app.Id, u.ID, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Application.DeleteApplicationUser(ctx, app.Id, u.ID, nil); sdkCode(err) != "E0000007" {
			t.Fatalf("delete again: %v", err)
		}
		if _, err := c.Application.DeleteApplicationGroupAssignment(ctx, app.Id, g.ID); err != nil {
			t.Fatal(err)
		}
		assigned, err := e.app.Store.ListClientAssignments(ctx, app.Id)
		if err != nil || len(assigned) != 1 {
			t.Fatalf("stored assignments: %v %v", assigned, err)
		}
	})

	t.Run("LifecycleAndDelete", func(t *testing.T) {
		// Active: refused.
		if _, err := c.Application.DeleteApplication(ctx, app.Id); sdkCode(err) != "E0000056" {
			t.Fatalf("delete an ACTIVE app: %v", err)
		}
		// A token issued before the deactivation stops working with it.
		_, at := e.passwordToken(app.Id, secret1, "ada@example.com", "correct horse battery")
		if e.userinfo(at) != http.StatusOK {
			t.Fatal("userinfo with a fresh token")
		}
		if _, err := c.Application.DeactivateApplication(ctx, app.Id); err != nil {
			t.Fatal(err)
		}
		if token(secret1) != http.StatusUnauthorized {
			t.Fatal("an INACTIVE app must not get tokens")
		}
		if e.userinfo(at) != http.StatusUnauthorized {
			t.Fatal("an INACTIVE app's token must be refused")
		}
		if _, err := c.Application.ActivateApplication(ctx, app.Id); err != nil {
			t.Fatal(err)
		}
		if token(secret1) != http.StatusOK || e.userinfo(at) != http.StatusOK {
			t.Fatal("a reactivated app gets tokens, and its unexpired tokens work again")
		}
		if _, err := c.Application.DeactivateApplication(ctx, app.Id); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Application.DeleteApplication(ctx, app.Id); err != nil {
			t.Fatal(err)
		}
		if _, _, err := c.Application.GetApplication(ctx, app.Id, okta.NewOpenIdConnectApplication(), nil); sdkCode(err) != "E0000007" {
			t.Fatalf("get a deleted app: %v", err)
		}
		secrets, err := e.app.Store.ListClientSecrets(ctx, app.Id)
		if err != nil || len(secrets) != 0 {
			t.Fatalf("a deleted app's secrets: %v %v", secrets, err)
		}
		if token(secret1) != http.StatusUnauthorized || e.userinfo(at) != http.StatusUnauthorized {
			t.Fatal("a deleted app must not get tokens, and its tokens must be refused")
		}
	})
}

// TestAppShapes: golden bodies of an app (create, get, list), a secret
// (create, list), and the assignments.
func TestAppShapes(t *testing.T) {
	e := newAPIEnv(t)
	body := map[string]any{"name": "oidc_client", "label": "Example App", "signOnMode": "OPENID_CONNECT",
		"credentials": map[string]any{"oauthClient": map[string]any{"token_endpoint_auth_method": "client_secret_post", "autoKeyRotation": true}},
		"settings": map[string]any{"oauthClient": map[string]any{"grant_types": []string{"password", "refresh_token"}, "application_type": "native",
			"refresh_token": map[string]any{"rotation_type": "ROTATE", "leeway": 30}}}}
	r := e.do("POST", "/api/v1/apps", body)
	if r.status != http.StatusOK {
		t.Fatalf("create: %d %s", r.status, r.raw)
	}
	var created struct {
		ID          string `json:"id"`
		Credentials struct {
			OAuthClient struct {
				ClientSecret string `json:"client_secret"`
			} `json:"oauthClient"`
		} `json:"credentials"`
	}
	r.decode(t, &created)
	secret := created.Credentials.OAuthClient.ClientSecret
	e.golden("app-create", []byte(strings.ReplaceAll(string(r.raw), secret, "SECRET")))
	r = e.do("GET", "/api/v1/apps/"+created.ID, nil)
	if strings.Contains(string(r.raw), secret) {
		t.Fatal("GET shows the secret")
	}
	e.golden("app-get", r.raw)
	r = e.do("POST", "/api/v1/apps/"+created.ID+"/lifecycle/deactivate", nil)
	if r.status != http.StatusOK || string(r.raw) != "{}\n" {
		t.Fatalf("deactivate: %d %s", r.status, r.raw)
	}
	r = e.do("GET", "/api/v1/apps?filter="+url.QueryEscape(`status eq "INACTIVE"`), nil)
	e.golden("app-list-inactive", r.raw)
	if r = e.do("GET", "/api/v1/apps?filter="+url.QueryEscape(`status eq "ACTIVE"`), nil); string(r.raw) != "[]\n" {
		t.Fatalf("ACTIVE apps: %s", r.raw)
	}

	r = e.do("POST", "/api/v1/apps/"+created.ID+"/credentials/secrets", nil)
	if r.status != http.StatusOK {
		t.Fatalf("create secret: %d %s", r.status, r.raw)
	}
	var cs struct {
		ClientSecret string `json:"client_secret"`
	}
	r.decode(t, &cs)
	if len(cs.ClientSecret) < 32 {
		t.Fatalf("new secret %q", cs.ClientSecret)
	}
	e.golden("app-secret-create", normaliseHashes([]byte(strings.ReplaceAll(string(r.raw), cs.ClientSecret, "SECRET"))))
	r = e.do("GET", "/api/v1/apps/"+created.ID+"/credentials/secrets", nil)
	if strings.Contains(string(r.raw), cs.ClientSecret) || strings.Contains(string(r.raw), secret) {
		t.Fatal("the list shows a secret")
	}
	e.golden("app-secret-list", normaliseHashes(r.raw))

	g, err := e.app.Provision.CreateGroup(context.Background(), "finance", "")
	if err != nil {
		t.Fatal(err)
	}
	u, err := e.app.Provision.CreateUser(context.Background(), provision.UserInput{Login: "grace@example.com", Email: "grace@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if r = e.do("PUT", "/api/v1/apps/"+created.ID+"/groups/"+g.ID, map[string]any{}); r.status != http.StatusOK {
		t.Fatalf("assign group: %d %s", r.status, r.raw)
	}
	if r = e.do("POST", "/api/v1/apps/"+created.ID+"/users", map[string]any{"id": u.ID}); r.status != http.StatusOK {
		t.Fatalf("assign user: %d %s", r.status, r.raw)
	}
	e.golden("app-user", r.raw)
	e.golden("app-users", e.do("GET", "/api/v1/apps/"+created.ID+"/users", nil).raw)
	e.golden("app-groups", e.do("GET", "/api/v1/apps/"+created.ID+"/groups", nil).raw)
}

// normaliseHashes replaces secret_hash values, which differ per run.
func normaliseHashes(raw []byte) []byte {
	return secretHashPattern.ReplaceAll(raw, []byte(`"secret_hash":"HASH"`))
}

var secretHashPattern = regexp.MustCompile(`"secret_hash":"[A-Za-z0-9_-]+"`)

// TestAppErrors: what the apps API refuses, in Okta's shape.
func TestAppErrors(t *testing.T) {
	e := newAPIEnv(t)
	ok := map[string]any{"name": "oidc_client", "label": "x", "signOnMode": "OPENID_CONNECT"}
	with := func(k string, v any) map[string]any {
		m := map[string]any{}
		for a, b := range ok {
			m[a] = b
		}
		m[k] = v
		return m
	}
	for name, tc := range map[string]struct {
		body   any
		status int
		code   string
		cause  string
	}{
		"SAML":         {with("signOnMode", "SAML_2_0"), 400, "E0000001", "OPENID_CONNECT"},
		"bookmark":     {with("name", "bookmark"), 400, "E0000001", "oidc_client"},
		"no label":     {with("label", ""), 400, "E0000001", "blank"},
		"client_id":    {with("credentials", map[string]any{"oauthClient": map[string]any{"client_id": "mine"}}), 400, "E0000001", "assigns client ids"},
		"bad grant":    {with("settings", map[string]any{"oauthClient": map[string]any{"grant_types": []string{"implicit"}}}), 400, "E0000001", "not supported"},
		"pkjwt no key": {with("credentials", map[string]any{"oauthClient": map[string]any{"token_endpoint_auth_method": "private_key_jwt"}}), 400, "E0000001", "JWKS"},
		"leeway":       {with("settings", map[string]any{"oauthClient": map[string]any{"refresh_token": map[string]any{"rotation_type": "ROTATE", "leeway": 61}}}), 400, "E0000001", "0 to 60"},
		"not JSON":     {"{", 400, "E0000003", ""},
	} {
		t.Run(name, func(t *testing.T) {
			m := wantError(t, e.do("POST", "/api/v1/apps", tc.body), tc.status, tc.code)
			if tc.cause != "" && !strings.Contains(m["errorCauses"].([]any)[0].(map[string]any)["errorSummary"].(string), tc.cause) {
				t.Fatalf("cause: %v", m["errorCauses"])
			}
		})
	}
	wantError(t, e.do("GET", "/api/v1/apps?filter=name+eq+%22x%22", nil), 400, "E0000001")
	wantError(t, e.do("GET", "/api/v1/apps/0oamissing/credentials/secrets", nil), 404, "E0000007")
	wantError(t, e.do("POST", "/api/v1/apps/0oamissing/lifecycle/activate", nil), 404, "E0000007")
	wantError(t, e.do("DELETE", "/api/v1/apps/0oamissing", nil), 404, "E0000007")

	// A private_key_jwt client has no secret to rotate.
	id, _ := e.serviceClient()
	wantError(t, e.do("POST", "/api/v1/apps/"+id+"/credentials/secrets", nil), 400, "E0000001")
	wantError(t, e.do("POST", "/api/v1/apps/"+id+"/credentials/secrets/ocsmissing/lifecycle/deactivate", nil), 404, "E0000007")
}

// TestAppScopes: every apps route refuses a Bearer token without its scope;
// the read scope reads, the manage scope writes (PrivateKey mode).
func TestAppScopes(t *testing.T) {
	e := newAPIEnv(t)
	id, key := e.serviceClient("okta.logs.read", "okta.apps.read", "okta.apps.manage")
	wrong := "Bearer " + e.orgToken(id, "okta.logs.read")
	base := "/api/v1/apps/" + id
	for _, rt := range []struct{ method, path string }{
		{"POST", "/api/v1/apps"}, {"GET", "/api/v1/apps"}, {"GET", base}, {"PUT", base}, {"DELETE", base},
		{"POST", base + "/lifecycle/activate"}, {"POST", base + "/lifecycle/deactivate"},
		{"GET", base + "/credentials/secrets"}, {"POST", base + "/credentials/secrets"},
		{"GET", base + "/credentials/secrets/ocs1"}, {"DELETE", base + "/credentials/secrets/ocs1"},
		{"POST", base + "/credentials/secrets/ocs1/lifecycle/activate"}, {"POST", base + "/credentials/secrets/ocs1/lifecycle/deactivate"},
		{"GET", base + "/users"}, {"POST", base + "/users"}, {"GET", base + "/users/00u1"}, {"POST", base + "/users/00u1"},
		{"PUT", base + "/users/00u1"}, {"DELETE", base + "/users/00u1"},
		{"GET", base + "/groups"}, {"GET", base + "/groups/00g1"}, {"PUT", base + "/groups/00g1"}, {"DELETE", base + "/groups/00g1"},
	} {
		wantError(t, e.doAuth(wrong, rt.method, rt.path, map[string]any{}), http.StatusForbidden, "E0000006")
	}
	// okta.apps.read reads but does not write.
	read := "Bearer " + e.orgToken(id, "okta.apps.read")
	if r := e.doAuth(read, "GET", base, nil); r.status != http.StatusOK {
		t.Fatalf("read: %d %s", r.status, r.raw)
	}
	wantError(t, e.doAuth(read, "POST", base+"/lifecycle/deactivate", nil), http.StatusForbidden, "E0000006")

	// The SDK in PrivateKey mode with okta.apps.manage creates an app.
	c := e.sdkOAuth(id, key, "okta.apps.manage")
	created, _, err := c.Application.CreateApplication(context.Background(), newOIDCApp("From OAuth", "client_credentials"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if created.(*okta.OpenIdConnectApplication).Credentials.OauthClient.ClientSecret == "" {
		t.Fatal("no secret in the create answer")
	}
}
