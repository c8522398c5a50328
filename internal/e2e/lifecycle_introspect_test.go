package e2e

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/latchkey/latchkey/internal/app"
	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/policy"
	"github.com/latchkey/latchkey/internal/provision"
	"github.com/latchkey/latchkey/internal/store"
	"github.com/latchkey/latchkey/internal/token"
	"github.com/latchkey/latchkey/verifier"
)

// newClockEnv is newEnv on a server whose clock the test controls.
func newClockEnv(t *testing.T) (*env, *testClock) {
	t.Helper()
	return newLifecycleEnv(t, nil)
}

// newLifecycleEnv is newClockEnv; configure, when set, may change the app
// before it serves its first request.
func newLifecycleEnv(t *testing.T, configure func(*app.App)) (*env, *testClock) {
	t.Helper()
	clk := newTestClock()
	return newEnvWith(t, app.Options{Now: clk.Now}, configure), clk
}

// caller is a client calling introspect or revoke with its own method.
type caller struct {
	id, secret string
	post       bool // client_secret_post, else Basic
}

func (e *env) basicCaller() caller { return caller{id: e.clientID, secret: e.clientSecret} }
func (e *env) postCaller() caller {
	return caller{id: e.postClientID, secret: e.postSecret, post: true}
}

// lifecycle posts token (and hint) to {issuer}/v1/{endpoint} as c.
func (e *env) lifecycle(issuer, endpoint string, c caller, tok, hint string) response {
	e.t.Helper()
	form := url.Values{}
	if tok != "" {
		form.Set("token", tok)
	}
	if hint != "" {
		form.Set("token_type_hint", hint)
	}
	h := map[string]string{}
	if c.post {
		form.Set("client_id", c.id)
		if c.secret != "" { // a public client sends its id alone
			form.Set("client_secret", c.secret)
		}
	} else {
		h["Authorization"] = basic(c.id, c.secret)
	}
	return e.post(issuer+"/v1/"+endpoint, form.Encode(), h)
}

func (e *env) introspect(c caller, tok, hint string) response {
	e.t.Helper()
	return e.lifecycle(e.issuer, "introspect", c, tok, hint)
}

func (e *env) revoke(c caller, tok, hint string) {
	e.t.Helper()
	r := e.lifecycle(e.issuer, "revoke", c, tok, hint)
	if r.status != http.StatusOK || r.raw != "" {
		e.t.Fatalf("revoke: %d %q, want 200 with an empty body", r.status, r.raw)
	}
}

// wantInactive asserts the exact RFC 7662 inactive answer.
func wantInactive(t *testing.T, what string, r response) {
	t.Helper()
	if r.status != http.StatusOK || strings.TrimSpace(r.raw) != `{"active":false}` {
		t.Fatalf("%s: %d %s, want 200 {\"active\":false}", what, r.status, r.raw)
	}
	wantNoStore(t, what, r)
}

func wantActive(t *testing.T, what string, r response) {
	t.Helper()
	if r.status != http.StatusOK || r.body["active"] != true {
		t.Fatalf("%s: %d %s, want active", what, r.status, r.raw)
	}
	wantNoStore(t, what, r)
}

func wantNoStore(t *testing.T, what string, r response) {
	t.Helper()
	if r.header.Get("Cache-Control") != "no-store" || r.header.Get("Pragma") != "no-cache" {
		t.Fatalf("%s: Cache-Control %q Pragma %q", what, r.header.Get("Cache-Control"), r.header.Get("Pragma"))
	}
}

// grant runs the password grant for the env's user as the Basic client.
func (e *env) grant(scope string) (access, id string) {
	e.t.Helper()
	r := e.post(e.tokenURL, e.passwordForm(scope).Encode(), map[string]string{"Authorization": basic(e.clientID, e.clientSecret)})
	if r.status != http.StatusOK {
		e.t.Fatalf("password grant: %d %s", r.status, r.raw)
	}
	id, _ = r.body["id_token"].(string)
	return r.body["access_token"].(string), id
}

// mint signs tokens directly, for shapes the grants cannot produce.
func (e *env) mint(serverID string, user *store.User, scopes ...string) token.Issued {
	e.t.Helper()
	ctx := context.Background()
	srv, err := e.app.Policy.Server(ctx, serverID)
	if err != nil {
		e.t.Fatal(err)
	}
	issued, err := e.app.OAuth.Minter.Mint(ctx, token.Request{AuthServerID: srv.ID, Issuer: srv.Issuer, Audience: srv.Audience,
		ClientID: e.clientID, User: user, Scopes: scopes, AccessTTL: time.Hour, IDTTL: time.Hour, AuthTime: time.Now(),
		IDToken: user != nil})
	if err != nil {
		e.t.Fatal(err)
	}
	return issued
}

func (e *env) user() *store.User {
	e.t.Helper()
	u, err := e.app.Store.GetUser(context.Background(), e.userID)
	if err != nil {
		e.t.Fatal(err)
	}
	return &u
}

// otherServer creates a second authorization server with its own key.
func (e *env) otherServer() store.AuthServer {
	e.t.Helper()
	ctx := context.Background()
	a := store.AuthServer{ID: ids.New(ids.AuthServer), Name: "other", Audience: "api://other", Status: store.StatusActive,
		CreatedAt: time.Now(), UpdatedAt: time.Now()}
	if err := e.app.Store.CreateAuthServer(ctx, a); err != nil {
		e.t.Fatal(err)
	}
	if err := e.app.Keys.Ensure(ctx, a.ID); err != nil {
		e.t.Fatal(err)
	}
	return a
}

// storeRefresh stores a refresh token of the env's client and user, issued
// now, as the refresh grant will; edit changes it first. It returns the value.
func (e *env) storeRefresh(now time.Time, edit func(*store.RefreshToken)) string {
	e.t.Helper()
	value, id := token.NewRefreshValue()
	rt := store.RefreshToken{ID: id, FamilyID: id, AuthServerID: "default", ClientID: e.clientID, UserID: e.userID,
		Scopes: []string{"openid", "offline_access"}, AuthTime: now, IssuedAt: now, IdleWindow: 7 * 24 * time.Hour}
	if edit != nil {
		edit(&rt)
	}
	if err := e.app.Store.CreateRefreshToken(context.Background(), rt); err != nil {
		e.t.Fatal(err)
	}
	return value
}

func TestIntrospectAccessToken(t *testing.T) {
	e, clk := newClockEnv(t)
	access, _ := e.grant("openid profile email")
	// Any client authenticated at the server may introspect an access
	// token: the issuing client with Basic, a resource server with post.
	for _, c := range []caller{e.basicCaller(), e.postCaller()} {
		for _, hint := range []string{"", "access_token", "refresh_token", "id_token", "device_secret"} {
			r := e.introspect(c, access, hint)
			wantActive(t, "access token, hint "+hint, r)
			assertKeys(t, "introspection", r.body, []string{"active", "token_type", "scope", "client_id", "username", "exp", "iat", "nbf", "sub", "aud", "iss", "jti", "uid"})
			iat := float64(clk.Now().Unix())
			if r.body["token_type"] != "Bearer" || r.body["scope"] != "openid profile email" || r.body["client_id"] != e.clientID ||
				r.body["username"] != e.username || r.body["sub"] != e.username || r.body["uid"] != e.userID ||
				r.body["aud"] != "api://default" || r.body["iss"] != e.issuer || !strings.HasPrefix(r.body["jti"].(string), "AT.") ||
				r.body["iat"] != iat || r.body["nbf"] != iat || r.body["exp"] != iat+3600 {
				t.Fatalf("introspection %v", r.body)
			}
			if !strings.HasPrefix(r.raw, `{"active":true,"token_type":"Bearer","scope":`) {
				t.Fatalf("members not in Okta's order: %s", r.raw)
			}
		}
	}
	// The last second of its life it is active; at exp it is not (the
	// issuer's clock decides, with no leeway).
	clk.Advance(time.Hour - time.Second)
	wantActive(t, "access token 1s before exp", e.introspect(e.basicCaller(), access, ""))
	clk.Advance(time.Second)
	wantInactive(t, "access token at exp", e.introspect(e.basicCaller(), access, ""))
}

// TestIntrospectWithVerifierLibrary: the public verifier's Introspector
// finds the endpoint through discovery and reads the answer.
func TestIntrospectWithVerifierLibrary(t *testing.T) {
	e := newEnv(t)
	access, _ := e.grant("openid email")
	in, err := verifier.NewIntrospector(verifier.IntrospectorConfig{Issuer: e.issuer, ClientID: e.clientID, ClientSecret: e.clientSecret, CacheTTL: -1})
	if err != nil {
		t.Fatal(err)
	}
	got, err := in.Introspect(context.Background(), access)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Active || got.UserID != e.userID || got.ClientID != e.clientID || got.Issuer != e.issuer ||
		len(got.Audience) != 1 || got.Audience[0] != "api://default" || !got.NotBefore.Equal(got.IssuedAt) || got.ExpiresAt.Sub(got.IssuedAt) != time.Hour {
		t.Fatalf("introspection %+v", got)
	}
	if _, err := in.Introspect(context.Background(), "garbage"); err == nil {
		t.Fatal("garbage is active")
	}
}

func TestIntrospectIDToken(t *testing.T) {
	e := newEnv(t)
	_, id := e.grant("openid")
	r := e.introspect(e.postCaller(), id, "id_token")
	wantActive(t, "id token", r)
	assertKeys(t, "introspection", r.body, []string{"active", "token_type", "client_id", "username", "exp", "iat", "nbf", "sub", "aud", "iss", "jti", "uid"})
	if r.body["token_type"] != "id_token" || r.body["client_id"] != e.clientID || r.body["aud"] != e.clientID ||
		r.body["sub"] != e.userID || r.body["uid"] != e.userID || r.body["username"] != e.username ||
		r.body["iss"] != e.issuer || !strings.HasPrefix(r.body["jti"].(string), "ID.") {
		t.Fatalf("introspection %v", r.body)
	}
}

func TestIntrospectInactive(t *testing.T) {
	e := newEnv(t)
	access, _ := e.grant("openid")
	other := e.otherServer()
	otherIssuer := e.srv.URL + "/oauth2/" + other.ID
	foreign := e.mint(other.ID, e.user(), "openid")
	parts := strings.Split(access, ".")
	cases := map[string]string{
		"garbage":               "garbage",
		"three dots":            "a.b.c",
		"truncated signature":   access[:len(access)-4],
		"swapped payload":       parts[0] + "." + strings.Split(foreign.AccessToken, ".")[1] + "." + parts[2],
		"another server's":      foreign.AccessToken,
		"another server's id":   foreign.IDToken,
		"unknown refresh value": "c2VjcmV0LXRoYXQtaXMtbm90LWEtdG9rZW4",
		"huge":                  strings.Repeat("x", 20000),
	}
	for name, tok := range cases {
		for _, hint := range []string{"", "refresh_token"} {
			wantInactive(t, name+" hint "+hint, e.introspect(e.basicCaller(), tok, hint))
		}
	}
	// At its own server the foreign token is active, and ours is foreign.
	wantActive(t, "at its own server", e.lifecycle(otherIssuer, "introspect", e.basicCaller(), foreign.AccessToken, ""))
	wantInactive(t, "default's token at the other server", e.lifecycle(otherIssuer, "introspect", e.basicCaller(), access, ""))

	// A user who is no longer ACTIVE has no active tokens.
	if _, err := e.app.Store.UpdateUser(context.Background(), e.userID, func(u store.User) (store.User, error) {
		u.Status = store.UserSuspended
		return u, nil
	}); err != nil {
		t.Fatal(err)
	}
	wantInactive(t, "suspended user's access token", e.introspect(e.basicCaller(), access, ""))
}

func TestIntrospectRequest(t *testing.T) {
	e := newEnv(t)
	access, _ := e.grant("openid")
	u := e.issuer + "/v1/introspect"
	form := url.Values{"token": {access}}.Encode()
	for _, tc := range []struct {
		name   string
		body   string
		header map[string]string
		status int
		code   string
		desc   string
	}{
		{"no credentials", form, nil, 401, "invalid_client", "No client credentials found."},
		{"wrong secret", form, map[string]string{"Authorization": basic(e.clientID, "nope")}, 401, "invalid_client", "The client secret supplied for a confidential client is invalid."},
		{"no token", "token_type_hint=access_token", map[string]string{"Authorization": basic(e.clientID, e.clientSecret)}, 400, "invalid_request", "The required parameter 'token' is missing."},
		{"token twice", form + "&token=x", map[string]string{"Authorization": basic(e.clientID, e.clientSecret)}, 400, "invalid_request", "The parameter 'token' must not be included more than once."},
		{"not a form", `{"token":"x"}`, map[string]string{"Authorization": basic(e.clientID, e.clientSecret), "Content-Type": "application/json"}, 400, "invalid_request", "The request must be sent with Content-Type 'application/x-www-form-urlencoded'."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.post(u, tc.body, tc.header)
			if r.status != tc.status || r.body["error"] != tc.code || r.body["error_description"] != tc.desc {
				t.Fatalf("%d %s", r.status, r.raw)
			}
			wantNoStore(t, tc.name, r)
		})
	}
	r := e.post(u, form, map[string]string{"Authorization": basic(e.clientID, "nope")})
	if r.header.Get("WWW-Authenticate") != `Basic realm="Latchkey"` {
		t.Fatalf("WWW-Authenticate %q", r.header.Get("WWW-Authenticate"))
	}
	if r := e.post(e.srv.URL+"/oauth2/nowhere/v1/introspect", form, map[string]string{"Authorization": basic(e.clientID, e.clientSecret)}); r.status != 404 || r.body["errorCode"] != "E0000007" {
		t.Fatalf("unknown server: %d %s", r.status, r.raw)
	}
}

func TestIntrospectRefreshTokens(t *testing.T) {
	e, clk := newClockEnv(t)
	now := clk.Now()
	other := e.otherServer()
	active := e.storeRefresh(now, nil)
	for _, hint := range []string{"", "refresh_token", "access_token"} {
		r := e.introspect(e.basicCaller(), active, hint)
		wantActive(t, "refresh token hint "+hint, r)
		assertKeys(t, "introspection", r.body, []string{"active", "token_type", "scope", "client_id", "username", "exp", "iat", "nbf", "sub", "aud", "iss", "uid"})
		if r.body["token_type"] != "refresh_token" || r.body["scope"] != "openid offline_access" || r.body["client_id"] != e.clientID ||
			r.body["username"] != e.username || r.body["sub"] != e.username || r.body["uid"] != e.userID || r.body["aud"] != "api://default" ||
			r.body["iss"] != e.issuer || r.body["iat"] != float64(now.Unix()) || r.body["nbf"] != float64(now.Unix()) ||
			r.body["exp"] != float64(now.Add(7*24*time.Hour).Unix()) {
			t.Fatalf("introspection %v", r.body)
		}
	}
	// Only the client it was issued to learns anything about it.
	wantInactive(t, "another client's refresh token", e.introspect(e.postCaller(), active, "refresh_token"))

	inactive := map[string]string{
		"rotated": e.storeRefresh(now, func(rt *store.RefreshToken) { rt.RotatedAt, rt.ReplacedBy = now, "next" }),
		"revoked": e.storeRefresh(now, func(rt *store.RefreshToken) { rt.RevokedAt = now }),
		"idle-expired": e.storeRefresh(now, func(rt *store.RefreshToken) {
			rt.IssuedAt, rt.LastUsedAt = now.Add(-10*24*time.Hour), now.Add(-7*24*time.Hour)
		}),
		"absolute-expired": e.storeRefresh(now, func(rt *store.RefreshToken) {
			rt.IssuedAt, rt.LastUsedAt, rt.ExpiresAt = now.Add(-48*time.Hour), now.Add(-time.Minute), now
		}),
		"another server's": e.storeRefresh(now, func(rt *store.RefreshToken) { rt.AuthServerID = other.ID }),
	}
	for name, tok := range inactive {
		wantInactive(t, name, e.introspect(e.basicCaller(), tok, "refresh_token"))
	}
	// The idle window runs from the last use.
	used := e.storeRefresh(now, func(rt *store.RefreshToken) {
		rt.IssuedAt, rt.LastUsedAt, rt.ExpiresAt = now.Add(-10*24*time.Hour), now.Add(-time.Hour), now.Add(24*time.Hour)
	})
	r := e.introspect(e.basicCaller(), used, "")
	wantActive(t, "recently used", r)
	if r.body["exp"] != float64(now.Add(24*time.Hour).Unix()) {
		t.Fatalf("exp %v, want the absolute expiry (earlier than the idle deadline)", r.body["exp"])
	}
	clk.Advance(7*24*time.Hour - time.Hour)
	wantInactive(t, "idle past the window since the last use", e.introspect(e.basicCaller(), used, ""))
}

func TestRevokeAccessToken(t *testing.T) {
	e := newEnv(t)
	access, id := e.grant("openid")
	otherAccess, _ := e.grant("openid")

	// Another client cannot revoke it, and is not told so.
	e.revoke(e.postCaller(), access, "")
	wantActive(t, "after another client's revoke", e.introspect(e.basicCaller(), access, ""))

	e.revoke(e.basicCaller(), access, "access_token")
	wantInactive(t, "revoked access token", e.introspect(e.basicCaller(), access, ""))
	wantInactive(t, "revoked access token, to a resource server", e.introspect(e.postCaller(), access, ""))
	wantActive(t, "another access token of the same client", e.introspect(e.basicCaller(), otherAccess, ""))
	rec, err := e.app.Store.GetTokenRecord(context.Background(), verifyJWT(t, e, access)["jti"].(string))
	if err != nil || rec.RevokedAt.IsZero() || rec.ClientID != e.clientID || rec.ExpiresAt.IsZero() {
		t.Fatalf("record %+v, %v", rec, err)
	}

	// Revoking again, with a wrong hint, garbage, ID tokens, unknown tokens:
	// always 200 and empty. ID tokens cannot be revoked.
	for _, tok := range []string{access, "garbage", id, "a.b.c", strings.Repeat("y", 30000)} {
		e.revoke(e.basicCaller(), tok, "refresh_token")
	}
	wantActive(t, "id token after revoke", e.introspect(e.basicCaller(), id, ""))
}

func TestRevokeRequest(t *testing.T) {
	e := newEnv(t)
	u := e.issuer + "/v1/revoke"
	r := e.post(u, "token=x", nil)
	if r.status != 401 || r.body["error"] != "invalid_client" {
		t.Fatalf("no credentials: %d %s", r.status, r.raw)
	}
	r = e.post(u, "token_type_hint=refresh_token", map[string]string{"Authorization": basic(e.clientID, e.clientSecret)})
	if r.status != 400 || r.body["error"] != "invalid_request" || r.body["error_description"] != "The required parameter 'token' is missing." {
		t.Fatalf("no token: %d %s", r.status, r.raw)
	}
	r = e.post(u, "token=x", map[string]string{"Authorization": basic(e.postClientID, e.postSecret)})
	if r.status != 401 || r.header.Get("WWW-Authenticate") != `Basic realm="Latchkey"` {
		t.Fatalf("post client with Basic: %d %s %q", r.status, r.raw, r.header.Get("WWW-Authenticate"))
	}
}

func TestRevokeRefreshTokenFamily(t *testing.T) {
	e, clk := newClockEnv(t)
	ctx := context.Background()
	now := clk.Now()
	rt := e.storeRefresh(now, nil)
	family := token.RefreshID(rt)
	// Two access tokens minted from the family (recorded, as the refresh
	// grant records them) and one that is not.
	var fromFamily []string
	for range 2 {
		access, _ := e.grant("openid")
		c := verifyJWT(t, e, access)
		if err := e.app.Store.RecordToken(ctx, store.TokenRecord{JTI: c["jti"].(string), FamilyID: family, ClientID: e.clientID,
			ExpiresAt: time.Unix(int64(c["exp"].(float64)), 0)}); err != nil {
			t.Fatal(err)
		}
		fromFamily = append(fromFamily, access)
	}
	unrelated, _ := e.grant("openid")
	for _, a := range fromFamily {
		wantActive(t, "recorded access token before revocation", e.introspect(e.basicCaller(), a, ""))
	}

	// Another client's revoke does nothing.
	e.revoke(e.postCaller(), rt, "refresh_token")
	wantActive(t, "refresh token after another client's revoke", e.introspect(e.basicCaller(), rt, ""))

	// The owner's revoke (with a misleading hint: it only orders lookups).
	e.revoke(e.basicCaller(), rt, "access_token")
	wantInactive(t, "revoked refresh token", e.introspect(e.basicCaller(), rt, "refresh_token"))
	for _, a := range fromFamily {
		wantInactive(t, "access token of the revoked family", e.introspect(e.postCaller(), a, ""))
	}
	wantActive(t, "access token outside the family", e.introspect(e.basicCaller(), unrelated, ""))
	got, err := e.app.Store.GetRefreshToken(ctx, family)
	if err != nil || got.RevokedAt.IsZero() {
		t.Fatalf("stored refresh token %+v, %v", got, err)
	}
	e.revoke(e.basicCaller(), rt, "refresh_token") // again: still 200

	// Revoking an access token keeps its family on the record.
	fresh := e.storeRefresh(now, nil)
	access, _ := e.grant("openid")
	jti := verifyJWT(t, e, access)["jti"].(string)
	if err := e.app.Store.RecordToken(ctx, store.TokenRecord{JTI: jti, FamilyID: token.RefreshID(fresh), ClientID: e.clientID, ExpiresAt: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	e.revoke(e.basicCaller(), access, "")
	if rec, err := e.app.Store.GetTokenRecord(ctx, jti); err != nil || rec.FamilyID != token.RefreshID(fresh) || rec.RevokedAt.IsZero() {
		t.Fatalf("record %+v, %v", rec, err)
	}
	wantActive(t, "the family's refresh token after one of its access tokens is revoked", e.introspect(e.basicCaller(), fresh, ""))
}

// userinfo calls the endpoint with an optional bearer token.
func (e *env) userinfo(method, query, bearer, body string) response {
	e.t.Helper()
	u := e.issuer + "/v1/userinfo"
	if query != "" {
		u += "?" + query
	}
	var req *http.Request
	var err error
	if body != "" {
		req, err = http.NewRequest(method, u, strings.NewReader(body))
		if err == nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
	} else {
		req, err = http.NewRequest(method, u, nil)
	}
	if err != nil {
		e.t.Fatal(err)
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	return e.do(req)
}

func TestUserInfoWithOIDCClient(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	provider, err := oidc.NewProvider(ctx, e.issuer)
	if err != nil {
		t.Fatal(err)
	}
	if provider.UserInfoEndpoint() != e.issuer+"/v1/userinfo" {
		t.Fatalf("userinfo_endpoint %q", provider.UserInfoEndpoint())
	}
	conf := &oauth2.Config{ClientID: e.clientID, ClientSecret: e.clientSecret, Endpoint: provider.Endpoint(), Scopes: []string{"openid", "profile", "email"}}
	conf.Endpoint.AuthStyle = oauth2.AuthStyleInHeader
	tok, err := conf.PasswordCredentialsToken(ctx, e.username, e.password)
	if err != nil {
		t.Fatal(err)
	}
	info, err := provider.UserInfo(ctx, oauth2.StaticTokenSource(tok))
	if err != nil {
		t.Fatalf("UserInfo: %v", err)
	}
	if info.Subject != e.userID || info.Email != e.username || info.EmailVerified {
		t.Fatalf("userinfo %+v", info)
	}
	var claims map[string]any
	if err := info.Claims(&claims); err != nil {
		t.Fatal(err)
	}
	assertKeys(t, "userinfo", claims, []string{"sub", "name", "preferred_username", "given_name", "family_name", "updated_at", "email", "email_verified"})
	if claims["name"] != "Ada Lovelace" || claims["preferred_username"] != e.username || claims["given_name"] != "Ada" || claims["family_name"] != "Lovelace" {
		t.Fatalf("claims %v", claims)
	}

	// Scopes decide the claims: openid alone gives sub only.
	access, _ := e.grant("openid")
	r := e.userinfo(http.MethodGet, "", access, "")
	if r.status != 200 || r.header.Get("Cache-Control") != "no-store" || r.header.Get("Content-Type") != "application/json" {
		t.Fatalf("%d %v", r.status, r.header)
	}
	assertKeys(t, "userinfo", r.body, []string{"sub"})
	// POST with the header, and POST with the token in the form body.
	if r := e.userinfo(http.MethodPost, "", access, ""); r.status != 200 || r.body["sub"] != e.userID {
		t.Fatalf("POST with header: %d %s", r.status, r.raw)
	}
	if r := e.userinfo(http.MethodPost, "", "", url.Values{"access_token": {tok.AccessToken}}.Encode()); r.status != 200 || r.body["email"] != e.username {
		t.Fatalf("POST with form: %d %s", r.status, r.raw)
	}
}

// TestUserInfoClaimsHook: a Claims function replaces the profile claims,
// sees the server, the user and the token's scopes, and cannot replace sub.
func TestUserInfoClaimsHook(t *testing.T) {
	var mu sync.Mutex
	var got []string
	e, _ := newLifecycleEnv(t, func(a *app.App) {
		a.UserInfo.Claims = func(_ context.Context, srv policy.Server, u store.User, _ string, scopes []string) (map[string]any, error) {
			mu.Lock()
			defer mu.Unlock()
			got = append(got, srv.ID, u.ID, strings.Join(scopes, " "))
			return map[string]any{"sub": "forged", "department": "engines"}, nil
		}
	})
	access, _ := e.grant("openid email")
	r := e.userinfo(http.MethodGet, "", access, "")
	if r.status != 200 || r.body["sub"] != e.userID || r.body["department"] != "engines" || len(r.body) != 2 {
		t.Fatalf("%d %s", r.status, r.raw)
	}
	mu.Lock()
	defer mu.Unlock()
	if strings.Join(got, "|") != "default|"+e.userID+"|openid email" {
		t.Fatalf("hook called with %q", got)
	}
}

func TestUserInfoErrors(t *testing.T) {
	e, clk := newClockEnv(t)
	ctx := context.Background()
	access, id := e.grant("openid")
	revoked, _ := e.grant("openid")
	e.revoke(e.basicCaller(), revoked, "")
	noOpenID := e.mint("default", e.user(), "profile")
	clientOnly := e.mint("default", nil, "openid")
	foreign := e.mint(e.otherServer().ID, e.user(), "openid")

	const realm = `Bearer realm="Latchkey"`
	invalid := realm + `, error="invalid_token", error_description="The access token is invalid."`
	cases := []struct {
		name          string
		method, query string
		bearer, body  string
		status        int
		code          string
		challenge     string
	}{
		{"no token", "GET", "", "", "", 401, "invalid_token", realm},
		{"token in query", "GET", url.Values{"access_token": {access}}.Encode(), "", "", 400, "invalid_request",
			realm + `, error="invalid_request", error_description="The access token must not be sent in the query string."`},
		{"token in query and header", "GET", "access_token=x", access, "", 400, "invalid_request",
			realm + `, error="invalid_request", error_description="The access token must not be sent in the query string."`},
		{"header and body", "POST", "", access, "access_token=" + access, 400, "invalid_request",
			realm + `, error="invalid_request", error_description="The access token must be sent in one place only: the Authorization header or the request body."`},
		{"garbage", "GET", "", "garbage", "", 401, "invalid_token", invalid},
		{"id token", "GET", "", id, "", 401, "invalid_token", invalid},
		{"another server's", "GET", "", foreign.AccessToken, "", 401, "invalid_token", invalid},
		{"client credentials", "GET", "", clientOnly.AccessToken, "", 401, "invalid_token", invalid},
		{"revoked", "GET", "", revoked, "", 401, "invalid_token",
			realm + `, error="invalid_token", error_description="The access token has been revoked."`},
		{"no openid", "GET", "", noOpenID.AccessToken, "", 403, "insufficient_scope",
			realm + `, error="insufficient_scope", error_description="The access token must provide access to the 'openid' scope.", scope="openid"`},
	}
	check := func(t *testing.T, r response, status int, code, challenge string) {
		t.Helper()
		if r.status != status || r.body["error"] != code || r.body["error_description"] == "" {
			t.Fatalf("%d %s, want %d %s", r.status, r.raw, status, code)
		}
		if got := r.header.Get("WWW-Authenticate"); got != challenge {
			t.Fatalf("WWW-Authenticate\n got %s\nwant %s", got, challenge)
		}
		wantNoStore(t, "userinfo error", r)
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			check(t, e.userinfo(tc.method, tc.query, tc.bearer, tc.body), tc.status, tc.code, tc.challenge)
		})
	}
	// Another scheme is no bearer token at all.
	req, _ := http.NewRequest(http.MethodGet, e.issuer+"/v1/userinfo", nil)
	req.Header.Set("Authorization", basic(e.clientID, e.clientSecret))
	check(t, e.do(req), 401, "invalid_token", realm)

	// The user must still be ACTIVE.
	if r := e.userinfo("GET", "", access, ""); r.status != 200 {
		t.Fatalf("before suspension: %d %s", r.status, r.raw)
	}
	if _, err := e.app.Store.UpdateUser(ctx, e.userID, func(u store.User) (store.User, error) {
		u.Status = store.UserSuspended
		return u, nil
	}); err != nil {
		t.Fatal(err)
	}
	check(t, e.userinfo("GET", "", access, ""), 401, "invalid_token", invalid)

	clk.Advance(time.Hour)
	check(t, e.userinfo("GET", "", access, ""), 401, "invalid_token",
		realm+`, error="invalid_token", error_description="The access token is expired."`)
}

// TestLifecycleAtOrgServer: the org server (issuer {base}, endpoints under
// {base}/oauth2/v1) serves the same endpoints for its own tokens only.
func TestLifecycleAtOrgServer(t *testing.T) {
	e := newEnv(t)
	org := *e
	org.issuer, org.tokenURL = e.srv.URL, e.srv.URL+"/oauth2/v1/token"
	orgEndpoints := e.srv.URL + "/oauth2"
	access, id := org.grant("openid email")
	defaultAccess, _ := e.grant("openid")

	r := org.lifecycle(orgEndpoints, "introspect", e.postCaller(), access, "")
	wantActive(t, "org token at the org server", r)
	if r.body["iss"] != e.srv.URL || r.body["uid"] != e.userID {
		t.Fatalf("introspection %v", r.body)
	}
	wantActive(t, "org id token", org.lifecycle(orgEndpoints, "introspect", e.basicCaller(), id, ""))
	wantInactive(t, "default's token at the org server", org.lifecycle(orgEndpoints, "introspect", e.basicCaller(), defaultAccess, ""))
	wantInactive(t, "org token at default", e.introspect(e.basicCaller(), access, ""))

	req, _ := http.NewRequest(http.MethodGet, orgEndpoints+"/v1/userinfo", nil)
	req.Header.Set("Authorization", "Bearer "+access)
	if r := e.do(req); r.status != 200 || r.body["sub"] != e.userID || r.body["email"] != e.username {
		t.Fatalf("org userinfo: %d %s", r.status, r.raw)
	}
	if r := e.userinfo(http.MethodGet, "", access, ""); r.status != 401 {
		t.Fatalf("org token at default's userinfo: %d %s", r.status, r.raw)
	}

	if r := org.lifecycle(orgEndpoints, "revoke", e.basicCaller(), access, ""); r.status != 200 || r.raw != "" {
		t.Fatalf("org revoke: %d %s", r.status, r.raw)
	}
	wantInactive(t, "revoked org token", org.lifecycle(orgEndpoints, "introspect", e.basicCaller(), access, ""))
}

// TestPublicClientIntrospectsOwnTokensOnly: a public client proves only a
// client id anyone can read, so it learns nothing about other clients'
// tokens (RFC 7662 section 2.1, token scanning), but may check its own and
// revoke them.
func TestPublicClientIntrospectsOwnTokensOnly(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	spa, _, err := e.app.Provision.CreateClient(ctx, provision.ClientInput{Name: "spa", AuthMethod: "none"})
	if err != nil {
		t.Fatal(err)
	}
	pub := caller{id: spa.ID, post: true}
	form := e.passwordForm("openid")
	form.Set("client_id", spa.ID)
	r := e.post(e.tokenURL, form.Encode(), nil)
	if r.status != 200 {
		t.Fatalf("public client grant: %d %s", r.status, r.raw)
	}
	own, ownID := r.body["access_token"].(string), r.body["id_token"].(string)
	others, othersID := e.grant("openid")

	wantActive(t, "public client, own access token", e.introspect(pub, own, ""))
	wantActive(t, "public client, own id token", e.introspect(pub, ownID, ""))
	wantInactive(t, "public client, another client's access token", e.introspect(pub, others, ""))
	wantInactive(t, "public client, another client's id token", e.introspect(pub, othersID, ""))
	wantActive(t, "confidential client, the public client's token", e.introspect(e.postCaller(), own, ""))

	e.revoke(pub, own, "")
	wantInactive(t, "public client's revoked token", e.introspect(e.postCaller(), own, ""))
}

// TestIntrospectTokenWithoutUser: a client credentials token has no user:
// sub is the client id, and there is no username or uid.
func TestIntrospectTokenWithoutUser(t *testing.T) {
	e := newEnv(t)
	issued := e.mint("default", nil, "openid")
	r := e.introspect(e.postCaller(), issued.AccessToken, "")
	wantActive(t, "client credentials token", r)
	assertKeys(t, "introspection", r.body, []string{"active", "token_type", "scope", "client_id", "exp", "iat", "nbf", "sub", "aud", "iss", "jti"})
	if r.body["sub"] != e.clientID || r.body["client_id"] != e.clientID || r.body["jti"] != issued.AccessJTI {
		t.Fatalf("introspection %v", r.body)
	}
}
