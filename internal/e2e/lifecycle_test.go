package e2e

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/latchkey/latchkey/internal/app"
	"github.com/latchkey/latchkey/internal/provision"
	"github.com/latchkey/latchkey/internal/store"
	"github.com/latchkey/latchkey/verifier"
)

// refreshEnv is an env whose clients may refresh, on an injected clock.
type refreshEnv struct {
	*env
	clock *testClock
}

func newRefreshEnv(t *testing.T, mod func(*provision.ClientInput)) *refreshEnv {
	t.Helper()
	c := newTestClock()
	e := newEnvWith(t, app.Options{Now: c.Now}, nil)
	in := provision.ClientInput{Name: "refreshing app", GrantTypes: []string{"password", "refresh_token"}}
	if mod != nil {
		mod(&in)
	}
	cl, secret, err := e.app.Provision.CreateClient(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	e.clientID, e.clientSecret = cl.ID, secret
	return &refreshEnv{env: e, clock: c}
}

func (e *refreshEnv) auth() map[string]string {
	return map[string]string{"Authorization": basic(e.clientID, e.clientSecret)}
}

func (e *refreshEnv) refresh(rt string, scope string) response {
	f := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}}
	if scope != "" {
		f.Set("scope", scope)
	}
	return e.post(e.tokenURL, f.Encode(), e.auth())
}

func (e *refreshEnv) login(scope string) response {
	e.t.Helper()
	r := e.post(e.tokenURL, e.passwordForm(scope).Encode(), e.auth())
	if r.status != 200 {
		e.t.Fatalf("login: %d %s", r.status, r.raw)
	}
	return r
}

// TestRefreshWithOAuth2TokenSource: golang.org/x/oauth2's token source
// refreshes through the refresh grant when the access token expires.
func TestRefreshWithOAuth2TokenSource(t *testing.T) {
	e := newRefreshEnv(t, nil)
	ctx := context.Background()
	conf := &oauth2.Config{ClientID: e.clientID, ClientSecret: e.clientSecret,
		Endpoint: oauth2.Endpoint{TokenURL: e.tokenURL, AuthStyle: oauth2.AuthStyleInHeader}, Scopes: []string{"openid", "offline_access", "profile"}}
	tok, err := conf.PasswordCredentialsToken(ctx, e.username, e.password)
	if err != nil {
		t.Fatal(err)
	}
	if tok.RefreshToken == "" || len(tok.RefreshToken) < 43 {
		t.Fatalf("no refresh token (or too short): %q", tok.RefreshToken)
	}
	first := tok.RefreshToken
	// Pretend the access token expired; the source must refresh.
	tok.Expiry = time.Now().Add(-time.Minute)
	fresh, err := conf.TokenSource(ctx, tok).Token()
	if err != nil {
		t.Fatalf("refresh through oauth2: %v", err)
	}
	if fresh.AccessToken == tok.AccessToken || fresh.RefreshToken == "" || fresh.RefreshToken == first {
		t.Fatal("refresh did not rotate the tokens")
	}
	if id, _ := fresh.Extra("id_token").(string); id == "" {
		t.Fatal("no ID token on refresh with openid")
	}
	at := verifyJWT(t, e.env, fresh.AccessToken)
	if at["uid"] != e.userID || at["sub"] != e.username {
		t.Fatalf("refreshed access token claims %v", at)
	}
	// The stored record is a hash, never the value.
	rts, err := e.app.Store.GetRefreshToken(ctx, first)
	if err == nil || rts.ID != "" {
		t.Fatal("refresh token stored by its value")
	}
}

func TestRefreshNarrowsScope(t *testing.T) {
	e := newRefreshEnv(t, nil)
	r := e.login("openid offline_access profile email")
	n := e.refresh(r.body["refresh_token"].(string), "openid offline_access email")
	if n.status != 200 || n.body["scope"] != "openid offline_access email" || n.body["refresh_token"] == nil {
		t.Fatalf("%d %s", n.status, n.raw)
	}
	rt := n.body["refresh_token"].(string)
	wide := e.refresh(rt, "openid phone")
	if wide.status != 400 || wide.body["error"] != "invalid_scope" {
		t.Fatalf("widening: %d %s", wide.status, wide.raw)
	}
	// Without offline_access: an access token, no refresh token, and the
	// family is left as it was.
	only := e.refresh(rt, "openid")
	if only.status != 200 || only.body["scope"] != "openid" || only.body["refresh_token"] != nil {
		t.Fatalf("narrowed without offline_access: %d %s", only.status, only.raw)
	}
	if again := e.refresh(rt, ""); again.status != 200 || again.body["refresh_token"] == nil {
		t.Fatalf("the token stopped working after a narrowed refresh: %d %s", again.status, again.raw)
	}
}

// TestRefreshDropsDeletedScopes: a scope deleted from the server is no
// longer granted by refreshes of tokens that had it.
func TestRefreshDropsDeletedScopes(t *testing.T) {
	e := newRefreshEnv(t, nil)
	ctx := context.Background()
	if _, err := e.app.Provision.PutScope(ctx, provision.ScopeInput{AuthServerID: "default", Name: "payments:write"}); err != nil {
		t.Fatal(err)
	}
	rt := e.login("openid offline_access payments:write").body["refresh_token"].(string)
	if err := e.app.Store.DeleteScope(ctx, "default", "payments:write"); err != nil {
		t.Fatal(err)
	}
	r := e.refresh(rt, "")
	if r.status != 200 || r.body["scope"] != "openid offline_access" {
		t.Fatalf("%d %s", r.status, r.raw)
	}
	if scp := verifyJWT(t, e.env, r.body["access_token"].(string))["scp"].([]any); len(scp) != 2 {
		t.Fatalf("scp %v", scp)
	}
}

func TestNoRefreshTokenWithoutOfflineAccessOrGrant(t *testing.T) {
	e := newRefreshEnv(t, nil)
	if r := e.login("openid"); r.body["refresh_token"] != nil {
		t.Fatal("refresh token without offline_access")
	}
	plain := newRefreshEnv(t, func(in *provision.ClientInput) { in.GrantTypes = []string{"password"} })
	r := plain.login("openid offline_access")
	if r.body["refresh_token"] != nil || r.body["scope"] != "openid offline_access" {
		t.Fatalf("client without refresh_token grant: %s", r.raw)
	}
	if rr := plain.refresh("anything", ""); rr.status != 400 || rr.body["error"] != "unauthorized_client" {
		t.Fatalf("refresh grant not allowed: %d %s", rr.status, rr.raw)
	}
}

func TestStaticRefreshToken(t *testing.T) {
	e := newRefreshEnv(t, func(in *provision.ClientInput) { in.RefreshRotation = store.RotationStatic })
	rt := e.login("openid offline_access").body["refresh_token"].(string)
	for range 3 {
		r := e.refresh(rt, "")
		if r.status != 200 || r.body["refresh_token"] != rt {
			t.Fatalf("STATIC: %d %s", r.status, r.raw)
		}
	}
}

func TestRefreshIdleWindowAndUserStatus(t *testing.T) {
	e := newRefreshEnv(t, nil)
	rt := e.login("openid offline_access").body["refresh_token"].(string)
	e.clock.Advance(6 * 24 * time.Hour)
	r := e.refresh(rt, "")
	if r.status != 200 {
		t.Fatalf("inside the 7-day window: %d %s", r.status, r.raw)
	}
	rt = r.body["refresh_token"].(string)
	e.clock.Advance(7*24*time.Hour + time.Second)
	if r := e.refresh(rt, ""); r.status != 400 {
		t.Fatalf("idle past the window: %d %s", r.status, r.raw)
	}
	rt = e.login("openid offline_access").body["refresh_token"].(string)
	_, _ = e.app.Store.UpdateUser(context.Background(), e.userID, func(u store.User) (store.User, error) {
		u.Status = store.UserSuspended
		return u, nil
	})
	if r := e.refresh(rt, ""); r.status != 400 || r.body["error"] != "invalid_grant" {
		t.Fatalf("suspended user refreshed: %d %s", r.status, r.raw)
	}
}

func TestRefreshTokenOfAnotherClient(t *testing.T) {
	e := newRefreshEnv(t, nil)
	rt := e.login("openid offline_access").body["refresh_token"].(string)
	other, secret, _ := e.app.Provision.CreateClient(context.Background(), provision.ClientInput{Name: "other", GrantTypes: []string{"password", "refresh_token"}})
	r := e.post(e.tokenURL, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}}.Encode(), map[string]string{"Authorization": basic(other.ID, secret)})
	if r.status != 400 || r.body["error"] != "invalid_grant" {
		t.Fatalf("%d %s", r.status, r.raw)
	}
	// The owner's token still works: a foreign client cannot burn it.
	if r := e.refresh(rt, ""); r.status != 200 {
		t.Fatalf("owner: %d %s", r.status, r.raw)
	}
}

// customServer creates a custom authorization server with a scope, claims
// and a policy for client credentials and passwords.
func customServer(t *testing.T, e *env) store.AuthServer {
	t.Helper()
	ctx := context.Background()
	p := e.app.Provision
	as, err := p.CreateAuthServer(ctx, provision.AuthServerInput{Name: "billing", Audience: "api://billing"})
	if err != nil {
		t.Fatal(err)
	}
	for _, sc := range []provision.ScopeInput{
		{AuthServerID: as.ID, Name: "invoices:read", Default: true, Publish: true},
		{AuthServerID: as.ID, Name: "invoices:write"},
	} {
		if _, err := p.PutScope(ctx, sc); err != nil {
			t.Fatal(err)
		}
	}
	eng, err := p.CreateGroup(ctx, "Engineering", "")
	if err != nil {
		t.Fatal(err)
	}
	if err := e.app.Store.AddGroupMember(ctx, eng.ID, e.userID); err != nil {
		t.Fatal(err)
	}
	for _, c := range []provision.ClaimInput{
		{AuthServerID: as.ID, Name: "tenant", ClaimType: store.ClaimResource, Value: `"acme"`},
		{AuthServerID: as.ID, Name: "mail", ClaimType: store.ClaimResource, Value: "user.email", Scopes: []string{"invoices:write"}},
		{AuthServerID: as.ID, Name: "groups", ClaimType: store.ClaimIdentity, ValueType: store.ClaimGroups, GroupFilterType: "STARTS_WITH", Value: "Eng", AlwaysIncludeInToken: true},
		{AuthServerID: as.ID, Name: "nick", ClaimType: store.ClaimIdentity, Value: "user.firstName"},
	} {
		if _, err := p.PutClaim(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	pol, err := p.CreatePolicy(ctx, provision.PolicyInput{AuthServerID: as.ID, Name: "apps"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.CreateRule(ctx, provision.RuleInput{AuthServerID: as.ID, PolicyID: pol.ID, Name: "machines", GrantTypes: []string{"client_credentials"},
		Scopes: []string{"invoices:read", "invoices:write"}, AccessTokenLifetime: 30 * time.Minute}); err != nil {
		t.Fatal(err)
	}
	if _, err := p.CreateRule(ctx, provision.RuleInput{AuthServerID: as.ID, PolicyID: pol.ID, Name: "engineers", GrantTypes: []string{"password"},
		GroupIDs: []string{eng.ID}, AccessTokenLifetime: 2 * time.Hour}); err != nil {
		t.Fatal(err)
	}
	return as
}

// TestClientCredentialsOnCustomServer uses golang.org/x/oauth2's
// clientcredentials package and verifies the token with the verifier.
func TestClientCredentialsOnCustomServer(t *testing.T) {
	e := newEnv(t)
	as := customServer(t, e)
	ctx := context.Background()
	m, secret, err := e.app.Provision.CreateClient(ctx, provision.ClientInput{Name: "batch job", GrantTypes: []string{"client_credentials"}})
	if err != nil {
		t.Fatal(err)
	}
	issuer := e.srv.URL + "/oauth2/" + as.ID
	cc := clientcredentials.Config{ClientID: m.ID, ClientSecret: secret, TokenURL: issuer + "/v1/token", Scopes: []string{"invoices:write"}, AuthStyle: oauth2.AuthStyleInHeader}
	tok, err := cc.Token(ctx)
	if err != nil {
		t.Fatalf("client credentials: %v", err)
	}
	if tok.RefreshToken != "" || tok.Extra("id_token") != nil {
		t.Fatal("client credentials returned a refresh or ID token")
	}
	v, err := verifier.New(verifier.Config{Issuer: issuer, Audience: "api://billing", RequiredScopes: []string{"invoices:write"}})
	if err != nil {
		t.Fatal(err)
	}
	c, err := v.Verify(ctx, tok.AccessToken)
	if err != nil {
		t.Fatalf("verifier: %v", err)
	}
	if c.Subject != m.ID || c.ClientID != m.ID || c.UserID != "" || c.ExpiresAt.Sub(c.IssuedAt) != 30*time.Minute || c.Extra["tenant"] != "acme" {
		t.Fatalf("claims %+v", c)
	}
	if _, ok := c.Extra["mail"]; ok {
		t.Fatal("user claim in a client credentials token")
	}
	// Default scopes when none are asked for.
	cc.Scopes = nil
	if tok, err = cc.Token(ctx); err != nil {
		t.Fatal(err)
	} else if tok.Extra("scope") != "invoices:read" {
		t.Fatalf("default scope: %v", tok.Extra("scope"))
	}
	post := func(form url.Values) response {
		return e.post(issuer+"/v1/token", form.Encode(), map[string]string{"Authorization": basic(m.ID, secret)})
	}
	for _, sc := range []string{"openid", "invoices:read offline_access", "profile"} {
		r := post(url.Values{"grant_type": {"client_credentials"}, "scope": {sc}})
		if r.status != 400 || r.body["error"] != "invalid_scope" || r.body["error_description"] != "Client Credentials requests cannot contain OpenID scopes." {
			t.Fatalf("scope %q: %d %s", sc, r.status, r.raw)
		}
	}
	if r := post(url.Values{"grant_type": {"client_credentials"}, "scope": {"invoices:delete"}}); r.status != 400 || r.body["error"] != "invalid_scope" {
		t.Fatalf("unknown scope: %d %s", r.status, r.raw)
	}
	// The org server's client credentials grant is OAuth for Okta: okta.*
	// scopes only (a custom scope is unknown there), for private_key_jwt
	// clients granted them (package mgmtapi's tests).
	r := e.post(e.srv.URL+"/oauth2/v1/token", "grant_type=client_credentials&scope=invoices%3Aread", map[string]string{"Authorization": basic(m.ID, secret)})
	if r.status != 400 || r.body["error"] != "invalid_scope" {
		t.Fatalf("org server client credentials with a custom scope: %d %s", r.status, r.raw)
	}
	r = e.post(e.srv.URL+"/oauth2/v1/token", "grant_type=client_credentials&scope=okta.users.read", map[string]string{"Authorization": basic(m.ID, secret)})
	if r.status != 401 || r.body["error"] != "invalid_client" ||
		r.body["error_description"] != "Client Credentials requests to the Org Authorization Server must use the private_key_jwt token_endpoint_auth_method." {
		t.Fatalf("org server client credentials: %d %s", r.status, r.raw)
	}
}

// TestCustomServerPasswordGrantAndClaims: a second issuer with its own
// audience, keys and claims, verified by go-oidc through its own discovery.
func TestCustomServerPasswordGrantAndClaims(t *testing.T) {
	e := newEnv(t)
	as := customServer(t, e)
	ctx := context.Background()
	issuer := e.srv.URL + "/oauth2/" + as.ID
	provider, err := oidc.NewProvider(ctx, issuer)
	if err != nil {
		t.Fatal(err)
	}
	conf := &oauth2.Config{ClientID: e.clientID, ClientSecret: e.clientSecret, Endpoint: provider.Endpoint(), Scopes: []string{"openid", "invoices:write"}}
	conf.Endpoint.AuthStyle = oauth2.AuthStyleInHeader
	tok, err := conf.PasswordCredentialsToken(ctx, e.username, e.password)
	if err != nil {
		t.Fatal(err)
	}
	idt, err := provider.Verifier(&oidc.Config{ClientID: e.clientID}).Verify(ctx, tok.Extra("id_token").(string))
	if err != nil {
		t.Fatal(err)
	}
	var idc map[string]any
	_ = idt.Claims(&idc)
	if g, _ := idc["groups"].([]any); len(g) != 1 || g[0] != "Engineering" {
		t.Fatalf("groups claim %v", idc["groups"])
	}
	if _, ok := idc["nick"]; ok {
		t.Fatal("identity claim without alwaysIncludeInToken in the ID token")
	}
	// Userinfo has the custom identity claims, whether or not they are
	// always included in ID tokens, next to the standard ones.
	ui, err := provider.UserInfo(ctx, oauth2.StaticTokenSource(tok))
	if err != nil {
		t.Fatal(err)
	}
	var uic map[string]any
	_ = ui.Claims(&uic)
	if uic["nick"] != "Ada" || uic["sub"] != e.userID || uic["groups"] == nil {
		t.Fatalf("userinfo claims %v", uic)
	}
	v, _ := verifier.New(verifier.Config{Issuer: issuer, Audience: "api://billing"})
	c, err := v.Verify(ctx, tok.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	if c.Extra["mail"] != e.username || c.Extra["tenant"] != "acme" || c.ExpiresAt.Sub(c.IssuedAt) != 2*time.Hour {
		t.Fatalf("access claims %+v", c)
	}
	// The default server's keys are not this server's.
	if _, err := verifier.New(verifier.Config{Issuer: e.issuer, Audience: "api://billing"}); err == nil {
		dv, _ := verifier.New(verifier.Config{Issuer: e.issuer, Audience: "api://billing"})
		if _, err := dv.Verify(ctx, tok.AccessToken); err == nil {
			t.Fatal("a token of one server verified as another's")
		}
	}
}

// TestPolicyErrors asserts the policy rows of CONTRACT section 2.
func TestPolicyErrors(t *testing.T) {
	e := newEnv(t)
	as := customServer(t, e)
	ctx := context.Background()
	tokenURL := e.srv.URL + "/oauth2/" + as.ID + "/v1/token"
	h := map[string]string{"Authorization": basic(e.clientID, e.clientSecret)}
	// Ada is in Engineering: "engineers" allows every scope for passwords.
	f := e.passwordForm("openid invoices:read")
	if r := e.post(tokenURL, f.Encode(), h); r.status != 200 {
		t.Fatalf("engineer: %d %s", r.status, r.raw)
	}
	// Grace is not: no rule matches her.
	if _, err := e.app.Provision.CreateUser(ctx, provision.UserInput{Login: "grace@example.com", Password: e.password}); err != nil {
		t.Fatal(err)
	}
	f.Set("username", "grace@example.com")
	r := e.post(tokenURL, f.Encode(), h)
	if r.status != 401 || r.body["error"] != "access_denied" || r.body["error_description"] != "Policy evaluation failed for this request, please check the policy configurations." {
		t.Fatalf("no rule: %d %s", r.status, r.raw)
	}
	// A client credentials client asking for a scope its rule denies.
	m, secret, _ := e.app.Provision.CreateClient(ctx, provision.ClientInput{Name: "m", GrantTypes: []string{"client_credentials"}})
	if _, err := e.app.Provision.PutScope(ctx, provision.ScopeInput{AuthServerID: as.ID, Name: "admin"}); err != nil {
		t.Fatal(err)
	}
	r = e.post(tokenURL, "grant_type=client_credentials&scope=invoices%3Aread+admin", map[string]string{"Authorization": basic(m.ID, secret)})
	if r.status != 400 || r.body["error"] != "access_denied" || r.body["error_description"] != "Some of the requested scopes were denied by the policy. Denied scopes: [admin]" {
		t.Fatalf("denied scope: %d %s", r.status, r.raw)
	}
	// A policy for other clients only: no policy matches this client.
	as2, _ := e.app.Provision.CreateAuthServer(ctx, provision.AuthServerInput{Name: "empty", Audience: "api://empty"})
	r = e.post(e.srv.URL+"/oauth2/"+as2.ID+"/v1/token", e.passwordForm("openid").Encode(), h)
	if r.status != 401 || r.body["error"] != "access_denied" || r.header.Get("WWW-Authenticate") != `Basic realm="Latchkey"` {
		t.Fatalf("no policy: %d %s %v", r.status, r.raw, r.header)
	}
}

// TestAssignment: a user not assigned to the client gets access_denied
// (only after the password is right, so existence does not leak).
func TestAssignment(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c, secret, err := e.app.Provision.CreateClient(ctx, provision.ClientInput{Name: "restricted", NoEveryone: true})
	if err != nil {
		t.Fatal(err)
	}
	h := map[string]string{"Authorization": basic(c.ID, secret)}
	r := e.post(e.tokenURL, e.passwordForm("openid").Encode(), h)
	if r.status != 400 || r.body["error"] != "access_denied" || r.body["error_description"] != "User is not assigned to the client application." {
		t.Fatalf("unassigned: %d %s", r.status, r.raw)
	}
	wrong := e.passwordForm("openid")
	wrong.Set("password", "nope nope nope")
	if r := e.post(e.tokenURL, wrong.Encode(), h); r.body["error"] != "invalid_grant" {
		t.Fatalf("wrong password must not reveal the assignment: %s", r.raw)
	}
	if err := e.app.Store.AssignClient(ctx, c.ID, e.userID); err != nil {
		t.Fatal(err)
	}
	if r := e.post(e.tokenURL, e.passwordForm("openid").Encode(), h); r.status != 200 {
		t.Fatalf("assigned: %d %s", r.status, r.raw)
	}
}

// TestOrgAuthorizationServer: issuer {base}, endpoints {base}/oauth2/v1.
func TestOrgAuthorizationServer(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	provider, err := oidc.NewProvider(ctx, e.srv.URL)
	if err != nil {
		t.Fatalf("org discovery: %v", err)
	}
	if provider.Endpoint().TokenURL != e.srv.URL+"/oauth2/v1/token" {
		t.Fatalf("token endpoint %q", provider.Endpoint().TokenURL)
	}
	conf := &oauth2.Config{ClientID: e.clientID, ClientSecret: e.clientSecret, Endpoint: provider.Endpoint(), Scopes: []string{"openid", "email"}}
	conf.Endpoint.AuthStyle = oauth2.AuthStyleInHeader
	tok, err := conf.PasswordCredentialsToken(ctx, e.username, e.password)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := provider.Verifier(&oidc.Config{ClientID: e.clientID}).Verify(ctx, tok.Extra("id_token").(string)); err != nil {
		t.Fatal(err)
	}
	v, _ := verifier.New(verifier.Config{Issuer: e.srv.URL, Audience: e.srv.URL})
	if _, err := v.Verify(ctx, tok.AccessToken); err != nil {
		t.Fatalf("org access token: %v", err)
	}
	if r := e.get(e.srv.URL + "/oauth2/org/v1/keys"); r.status != http.StatusNotFound {
		t.Fatalf("the org record is reachable as a custom server: %d", r.status)
	}
	if !strings.HasPrefix(e.get(e.srv.URL+"/.well-known/oauth-authorization-server").raw, `{"issuer":"`+e.srv.URL+`"`) {
		t.Fatal("org OAuth metadata")
	}
}

// TestHousekeepingDeletesExpired: expired refresh tokens are deleted by
// the housekeeping pass that serve runs.
func TestHousekeepingDeletesExpired(t *testing.T) {
	e := newRefreshEnv(t, nil)
	ctx := context.Background()
	rt := e.login("openid offline_access").body["refresh_token"].(string)
	e.app.Housekeep(ctx)
	if r := e.refresh(rt, ""); r.status != 200 {
		t.Fatalf("a live token was deleted: %d %s", r.status, r.raw)
	}
	e.clock.Advance(8 * 24 * time.Hour)
	e.app.Housekeep(ctx)
	rows, err := e.app.Store.DeleteExpired(ctx, e.clock.Now())
	if err != nil || rows != 0 {
		t.Fatalf("housekeeping left %d expired rows (%v)", rows, err)
	}
}

// TestDeactivatedClientRetiresTokens: once a client is INACTIVE its access
// and ID tokens introspect inactive and userinfo refuses them.
func TestDeactivatedClientRetiresTokens(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	r := e.post(e.tokenURL, e.passwordForm("openid").Encode(), map[string]string{"Authorization": basic(e.clientID, e.clientSecret)})
	if r.status != 200 {
		t.Fatal(r.raw)
	}
	at, idt := r.body["access_token"].(string), r.body["id_token"].(string)
	// The post client introspects: a confidential client may introspect
	// other clients' access and ID tokens.
	introspect := func(tok string) response {
		return e.post(e.issuer+"/v1/introspect", url.Values{"token": {tok}, "client_id": {e.postClientID}, "client_secret": {e.postSecret}}.Encode(), nil)
	}
	if a, i := introspect(at), introspect(idt); a.body["active"] != true || i.body["active"] != true {
		t.Fatalf("before: %s %s", a.raw, i.raw)
	}
	if _, err := e.app.Store.UpdateClient(ctx, e.clientID, func(c store.Client) (store.Client, error) {
		c.Status = store.StatusInactive
		return c, nil
	}); err != nil {
		t.Fatal(err)
	}
	if a, i := introspect(at), introspect(idt); a.raw != "{\"active\":false}\n" || i.raw != "{\"active\":false}\n" {
		t.Fatalf("after: %s %s", a.raw, i.raw)
	}
	req, _ := http.NewRequest(http.MethodGet, e.issuer+"/v1/userinfo", nil)
	req.Header.Set("Authorization", "Bearer "+at)
	if u := e.do(req); u.status != 401 {
		t.Fatalf("userinfo: %d %s", u.status, u.raw)
	}
}

// TestReuseDetectedAfterHousekeeping: housekeeping keeps a rotated token
// while its family lives, so a late replay still revokes the family.
func TestReuseDetectedAfterHousekeeping(t *testing.T) {
	e := newRefreshEnv(t, nil)
	ctx := context.Background()
	a := e.login("openid offline_access").body["refresh_token"].(string)
	b := e.refresh(a, "").body["refresh_token"].(string)
	e.clock.Advance(6 * 24 * time.Hour)
	c := e.refresh(b, "")
	if c.status != 200 {
		t.Fatalf("%d %s", c.status, c.raw)
	}
	e.clock.Advance(2 * 24 * time.Hour) // a has been idle 8 days
	e.app.Housekeep(ctx)
	if r := e.refresh(a, ""); r.status != 400 {
		t.Fatalf("replay of a: %d %s", r.status, r.raw)
	}
	if r := e.refresh(c.body["refresh_token"].(string), ""); r.status != 400 {
		t.Fatalf("the family survived a replay after housekeeping: %d %s", r.status, r.raw)
	}
}
