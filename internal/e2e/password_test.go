package e2e

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	jose "github.com/go-jose/go-jose/v4"
	"golang.org/x/oauth2"
)

// TestSeedFlowWithOAuth2Client is the seed's call made by golang.org/x/oauth2,
// the ID token verified by go-oidc through discovery and JWKS, and the access
// token's signature and claims checked against the JWKS.
func TestSeedFlowWithOAuth2Client(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()

	provider, err := oidc.NewProvider(ctx, e.issuer)
	if err != nil {
		t.Fatalf("discovery: %v", err)
	}
	conf := &oauth2.Config{ClientID: e.clientID, ClientSecret: e.clientSecret, Endpoint: provider.Endpoint(),
		Scopes: []string{"openid", "profile", "email"}}
	if conf.Endpoint.AuthStyle = oauth2.AuthStyleInHeader; conf.Endpoint.TokenURL != e.tokenURL {
		t.Fatalf("token_endpoint = %q, want %q", conf.Endpoint.TokenURL, e.tokenURL)
	}
	tok, err := conf.PasswordCredentialsToken(ctx, e.username, e.password)
	if err != nil {
		t.Fatalf("PasswordCredentialsToken: %v", err)
	}
	if tok.TokenType != "Bearer" || tok.RefreshToken != "" {
		t.Fatalf("token type %q refresh %q", tok.TokenType, tok.RefreshToken)
	}
	if d := time.Until(tok.Expiry); d < 59*time.Minute || d > 61*time.Minute {
		t.Fatalf("expiry in %v, want about 1h", d)
	}
	if got := tok.Extra("scope"); got != "openid profile email" {
		t.Fatalf("scope = %v", got)
	}
	rawID, _ := tok.Extra("id_token").(string)
	idTok, err := provider.Verifier(&oidc.Config{ClientID: e.clientID}).Verify(ctx, rawID)
	if err != nil {
		t.Fatalf("go-oidc Verify: %v", err)
	}
	if idTok.Subject != e.userID {
		t.Fatalf("id token sub = %q, want user id %q", idTok.Subject, e.userID)
	}
	if err := idTok.VerifyAccessToken(tok.AccessToken); err != nil {
		t.Fatalf("at_hash: %v", err)
	}
	var idc map[string]any
	if err := idTok.Claims(&idc); err != nil {
		t.Fatal(err)
	}
	wantID := []string{"ver", "sub", "iss", "aud", "iat", "exp", "jti", "amr", "idp", "auth_time", "at_hash",
		"name", "preferred_username", "given_name", "family_name", "updated_at", "email", "email_verified"}
	assertKeys(t, "id token", idc, wantID)
	if idc["aud"] != e.clientID || idc["iss"] != e.issuer || idc["ver"] != float64(1) || !strings.HasPrefix(idc["jti"].(string), "ID.") ||
		idc["preferred_username"] != e.username || idc["name"] != "Ada Lovelace" || idc["email"] != e.username || idc["email_verified"] != false ||
		!strings.HasPrefix(idc["idp"].(string), "00o") {
		t.Fatalf("id token claims %v", idc)
	}
	if amr, _ := idc["amr"].([]any); len(amr) != 1 || amr[0] != "pwd" {
		t.Fatalf("amr = %v", idc["amr"])
	}

	// The access token: RS256, kid from the JWKS, exactly the contract's claims.
	at := verifyJWT(t, e, tok.AccessToken)
	assertKeys(t, "access token", at, []string{"ver", "jti", "iss", "aud", "iat", "exp", "cid", "uid", "scp", "sub", "auth_time"})
	if at["aud"] != "api://default" || at["iss"] != e.issuer || at["cid"] != e.clientID || at["uid"] != e.userID ||
		at["sub"] != e.username || !strings.HasPrefix(at["jti"].(string), "AT.") || at["ver"] != float64(1) {
		t.Fatalf("access token claims %v", at)
	}
	if scp, _ := at["scp"].([]any); len(scp) != 3 || scp[0] != "openid" || scp[1] != "profile" || scp[2] != "email" {
		t.Fatalf("scp = %v", at["scp"])
	}
	if exp, iat := at["exp"].(float64), at["iat"].(float64); exp-iat != 3600 {
		t.Fatalf("exp - iat = %v", exp-iat)
	}
	if strings.Count(tok.AccessToken, ".") != 2 || !strings.HasPrefix(e.userID, "00u") || !strings.HasPrefix(e.clientID, "0oa") || len(e.userID) != 20 || len(e.clientID) != 20 {
		t.Fatal("token or ids are not Okta-shaped")
	}
}

// TestSeedCurl is the seed's exact request: Basic auth, scope=openid.
func TestSeedCurl(t *testing.T) {
	e := newEnv(t)
	r := e.post(e.tokenURL, e.passwordForm("openid").Encode(), map[string]string{"Authorization": basic(e.clientID, e.clientSecret), "Accept": "application/json"})
	if r.status != http.StatusOK {
		t.Fatalf("status %d body %s", r.status, r.raw)
	}
	for k, v := range map[string]string{"Content-Type": "application/json", "Cache-Control": "no-store", "Pragma": "no-cache"} {
		if got := r.header.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	assertKeys(t, "response", r.body, []string{"access_token", "expires_in", "id_token", "scope", "token_type"})
	if r.body["expires_in"] != float64(3600) || r.body["scope"] != "openid" || r.body["token_type"] != "Bearer" {
		t.Fatalf("body %v", r.body)
	}
	// Okta's order of members.
	if !strings.HasPrefix(r.raw, `{"token_type":"Bearer","expires_in":3600,"access_token":"`) {
		t.Fatalf("raw body starts %q", r.raw[:60])
	}
	idc := verifyJWT(t, e, r.body["id_token"].(string))
	// Without profile and email scopes the ID token has no profile claims.
	assertKeys(t, "id token", idc, []string{"ver", "sub", "iss", "aud", "iat", "exp", "jti", "amr", "idp", "auth_time", "at_hash"})
	sum := sha256.Sum256([]byte(r.body["access_token"].(string)))
	if idc["at_hash"] != base64.RawURLEncoding.EncodeToString(sum[:16]) {
		t.Fatal("at_hash does not match the access token")
	}
}

func TestClientSecretPost(t *testing.T) {
	e := newEnv(t)
	f := e.passwordForm("openid")
	f.Set("client_id", e.postClientID)
	f.Set("client_secret", e.postSecret)
	if r := e.post(e.tokenURL, f.Encode(), nil); r.status != http.StatusOK {
		t.Fatalf("client_secret_post: %d %s", r.status, r.raw)
	}
	// Each client is held to its own method.
	f = e.passwordForm("openid")
	if r := e.post(e.tokenURL, f.Encode(), map[string]string{"Authorization": basic(e.postClientID, e.postSecret)}); r.status != http.StatusUnauthorized || r.body["error"] != "invalid_client" {
		t.Fatalf("post client with basic: %d %s", r.status, r.raw)
	}
	f.Set("client_id", e.clientID)
	f.Set("client_secret", e.clientSecret)
	if r := e.post(e.tokenURL, f.Encode(), nil); r.status != http.StatusUnauthorized || r.body["error"] != "invalid_client" {
		t.Fatalf("basic client with post: %d %s", r.status, r.raw)
	}
}

// verifyJWT checks a token's header and signature against the JWKS the
// server publishes and returns its claims.
func verifyJWT(t *testing.T, e *env, raw string) map[string]any {
	t.Helper()
	jws, err := jose.ParseSignedCompact(raw, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	h := jws.Signatures[0].Protected
	if h.Algorithm != "RS256" || h.KeyID == "" || h.ExtraHeaders["typ"] != "JWT" {
		t.Fatalf("header %+v", h)
	}
	r := e.get(e.issuer + "/v1/keys")
	var set jose.JSONWebKeySet
	if err := json.Unmarshal([]byte(r.raw), &set); err != nil {
		t.Fatal(err)
	}
	keys := set.Key(h.KeyID)
	if len(keys) != 1 {
		t.Fatalf("kid %q found %d times in the JWKS", h.KeyID, len(keys))
	}
	if keys[0].Algorithm != "RS256" || keys[0].Use != "sig" || !keys[0].IsPublic() {
		t.Fatalf("jwk %+v", keys[0])
	}
	payload, err := jws.Verify(keys[0].Key)
	if err != nil {
		t.Fatalf("signature: %v", err)
	}
	var claims map[string]any
	if err := json.Unmarshal(payload, &claims); err != nil {
		t.Fatal(err)
	}
	return claims
}

func assertKeys(t *testing.T, what string, m map[string]any, want []string) {
	t.Helper()
	var got []string
	for k := range m {
		got = append(got, k)
	}
	sort.Strings(got)
	want = slices.Clone(want)
	sort.Strings(want)
	if !slices.Equal(got, want) {
		t.Fatalf("%s has claims %v, want exactly %v", what, got, want)
	}
}
