package mgmtapi_test

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/internal/ids"
)

var (
	kidField = regexp.MustCompile(`"kid":"[^"]+"`)
	nField   = regexp.MustCompile(`"n":"[^"]+"`)
)

// scrubKeys replaces the random parts of keys (kid, modulus) so that a
// body can be compared with a golden file; the kids in links go too.
func scrubKeys(raw []byte, kids ...string) []byte {
	s := kidField.ReplaceAllString(string(raw), `"kid":"KID"`)
	s = nField.ReplaceAllString(s, `"n":"N"`)
	for _, k := range kids {
		s = strings.ReplaceAll(s, k, "KID")
	}
	return []byte(s)
}

func kidsOf(t *testing.T, e *apiEnv, serverID string) []string {
	t.Helper()
	ks, err := e.app.Store.ListKeys(context.Background(), serverID)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, k := range ks {
		out = append(out, k.ID)
	}
	return out
}

func wantStatus(t *testing.T, r resp, status int) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.raw)
	}
}

// TestAuthServerShapes drives every object over HTTP with Okta's documented
// request bodies and compares the answers with golden files; it checks the
// refusals and what each change does to the stored records.
func TestAuthServerShapes(t *testing.T) {
	e := newAPIEnv(t)
	const base = "/api/v1/authorizationServers"

	// Servers.
	r := e.do("POST", base, map[string]any{"name": "Sample Authorization Server", "description": "Sample Authorization Server description",
		"audiences": []string{"api://sample"}})
	wantStatus(t, r, http.StatusCreated)
	srv := r.obj(t)
	id := srv["id"].(string)
	e.golden("authserver", scrubKeys(r.raw, kidsOf(t, e, id)...))
	r = e.do("GET", base+"/"+id, nil)
	wantStatus(t, r, http.StatusOK)
	e.golden("authserver", scrubKeys(r.raw, kidsOf(t, e, id)...))

	for name, body := range map[string]any{
		"no name":        map[string]any{"audiences": []string{"api://x"}},
		"two audiences":  map[string]any{"name": "x", "audiences": []string{"api://x", "api://y"}},
		"custom issuer":  map[string]any{"name": "x", "audiences": []string{"api://x"}, "issuerMode": "CUSTOM_URL"},
		"not a URI":      map[string]any{"name": "x", "audiences": []string{"billing"}},
		"rotation BOGUS": map[string]any{"name": "x", "audiences": []string{"api://x"}, "credentials": map[string]any{"signing": map[string]any{"rotationMode": "BOGUS"}}},
	} {
		t.Run("refused "+name, func(t *testing.T) {
			wantError(t, e.do("POST", base, body), http.StatusBadRequest, "E0000001")
		})
	}
	wantError(t, e.do("POST", base, `{"name": [1]}`), http.StatusBadRequest, "E0000003")
	for _, missing := range []string{"org", "nosuchserver"} {
		wantError(t, e.do("GET", base+"/"+missing, nil), http.StatusNotFound, "E0000007")
		wantError(t, e.do("GET", base+"/"+missing+"/scopes", nil), http.StatusNotFound, "E0000007")
	}

	r = e.do("PUT", base+"/"+id, map[string]any{"name": "Renamed", "description": "d", "audiences": []string{"api://renamed"},
		"credentials": map[string]any{"signing": map[string]any{"rotationMode": "MANUAL"}}})
	wantStatus(t, r, http.StatusOK)
	stored, err := e.app.Store.GetAuthServer(context.Background(), id)
	if err != nil || stored.Name != "Renamed" || stored.Audience != "api://renamed" || stored.KeyRotationMode != "MANUAL" || stored.Status != "ACTIVE" {
		t.Fatalf("stored after PUT: %+v %v", stored, err)
	}

	// Paging: one server a page, following Link rel="next" to the end.
	var seen []string
	next := base + "?limit=1"
	for pages := 0; next != ""; pages++ {
		if pages > 5 {
			t.Fatal("paging does not end")
		}
		r = e.do("GET", next, nil)
		wantStatus(t, r, http.StatusOK)
		var items []map[string]any
		r.decode(t, &items)
		if len(items) != 1 {
			t.Fatalf("page of %d", len(items))
		}
		seen = append(seen, items[0]["id"].(string))
		next = ""
		for _, l := range r.header.Values("Link") {
			if strings.HasSuffix(l, `rel="next"`) {
				next = strings.TrimSuffix(strings.TrimPrefix(l, "<"), `>; rel="next"`)
			}
		}
	}
	if strings.Join(seen, ",") != id+",default" {
		t.Fatalf("pages: %v", seen)
	}
	r = e.do("GET", base+"?q=renam", nil)
	wantStatus(t, r, http.StatusOK)
	e.golden("authservers-list", scrubKeys(r.raw, kidsOf(t, e, id)...))

	// Scopes.
	sb := base + "/" + id + "/scopes"
	r = e.do("POST", sb, map[string]any{"name": "car:drive", "description": "Drive car", "consent": "IMPLICIT", "metadataPublish": "NO_CLIENTS"})
	wantStatus(t, r, http.StatusCreated)
	e.golden("authserver-scope", r.raw)
	scopeID := r.obj(t)["id"].(string)
	if scopeID != ids.ScopeID(id, "car:drive") {
		t.Fatalf("scope id %s", scopeID)
	}
	wantError(t, e.do("POST", sb, map[string]any{"name": "car:drive"}), http.StatusBadRequest, "E0000001")
	wantError(t, e.do("POST", sb, map[string]any{"name": "openid"}), http.StatusBadRequest, "E0000001")
	wantError(t, e.do("POST", sb, map[string]any{"name": "car:fly", "consent": "REQUIRED"}), http.StatusBadRequest, "E0000001")
	r = e.do("GET", sb, nil)
	wantStatus(t, r, http.StatusOK)
	e.golden("authserver-scopes-list", r.raw)
	wantError(t, e.do("PUT", sb+"/"+scopeID, map[string]any{"name": "car:steer"}), http.StatusBadRequest, "E0000001")
	r = e.do("PUT", sb+"/"+scopeID, map[string]any{"name": "car:drive", "description": "Drive a car", "default": true, "metadataPublish": "ALL_CLIENTS"})
	wantStatus(t, r, http.StatusOK)
	if m := r.obj(t); m["description"] != "Drive a car" || m["default"] != true || m["metadataPublish"] != "ALL_CLIENTS" || m["id"] != scopeID {
		t.Fatalf("scope after PUT: %s", r.raw)
	}
	openid := ids.ScopeID(id, "openid")
	r = e.do("GET", sb+"/"+openid, nil)
	wantStatus(t, r, http.StatusOK)
	if r.obj(t)["system"] != true {
		t.Fatalf("openid: %s", r.raw)
	}
	wantError(t, e.do("DELETE", sb+"/"+openid, nil), http.StatusBadRequest, "E0000001")
	wantError(t, e.do("GET", sb+"/scpnosuchscope0000", nil), http.StatusNotFound, "E0000007")

	// Claims.
	cb := base + "/" + id + "/claims"
	r = e.do("POST", cb, map[string]any{"name": "carDriving", "status": "ACTIVE", "claimType": "RESOURCE", "valueType": "EXPRESSION",
		"value": `"driving!"`, "conditions": map[string]any{"scopes": []string{"car:drive"}}})
	wantStatus(t, r, http.StatusCreated)
	e.golden("authserver-claim", r.raw)
	claimID := r.obj(t)["id"].(string)
	wantError(t, e.do("POST", cb, map[string]any{"name": "carDriving", "claimType": "RESOURCE", "value": "user.email"}), http.StatusBadRequest, "E0000001")
	wantError(t, e.do("POST", cb, map[string]any{"name": "bad", "claimType": "RESOURCE", "value": "user.password"}), http.StatusBadRequest, "E0000001")
	r = e.do("PUT", cb+"/"+claimID, map[string]any{"name": "carDriving", "claimType": "RESOURCE", "valueType": "EXPRESSION", "value": "user.email",
		"status": "INACTIVE"})
	wantStatus(t, r, http.StatusOK)
	claims, _ := e.app.Store.ListClaims(context.Background(), id)
	if len(claims) != 1 || claims[0].Value != "user.email" || claims[0].Status != "INACTIVE" {
		t.Fatalf("stored claims: %+v", claims)
	}
	r = e.do("GET", cb, nil)
	wantStatus(t, r, http.StatusOK)
	if !strings.Contains(string(r.raw), claimID) {
		t.Fatalf("claims list: %s", r.raw)
	}

	// Policies and rules.
	pb := base + "/" + id + "/policies"
	r = e.do("POST", pb, map[string]any{"type": "OAUTH_AUTHORIZATION_POLICY", "status": "ACTIVE", "name": "Default Policy",
		"description": "Default policy description", "priority": 1, "conditions": map[string]any{"clients": map[string]any{"include": []string{"ALL_CLIENTS"}}}})
	wantStatus(t, r, http.StatusCreated)
	e.golden("authserver-policy", r.raw)
	policyID := r.obj(t)["id"].(string)
	wantError(t, e.do("POST", pb, map[string]any{"name": "p", "conditions": map[string]any{"clients": map[string]any{"include": []string{"0oanosuchclient"}}}}),
		http.StatusBadRequest, "E0000001")
	rb := pb + "/" + policyID + "/rules"
	r = e.do("POST", rb, map[string]any{"type": "RESOURCE_ACCESS", "name": "Default Policy Rule", "priority": 1,
		"conditions": map[string]any{"people": map[string]any{"groups": map[string]any{"include": []string{"EVERYONE"}}},
			"grantTypes": map[string]any{"include": []string{"client_credentials", "password"}}, "scopes": map[string]any{"include": []string{"*"}}},
		"actions": map[string]any{"token": map[string]any{"accessTokenLifetimeMinutes": 60, "refreshTokenLifetimeMinutes": 0, "refreshTokenWindowMinutes": 10080}}})
	wantStatus(t, r, http.StatusCreated)
	e.golden("authserver-rule", r.raw)
	ruleID := r.obj(t)["id"].(string)
	wantError(t, e.do("POST", rb, map[string]any{"name": "r", "conditions": map[string]any{"grantTypes": map[string]any{"include": []string{"implicit"}}}}),
		http.StatusBadRequest, "E0000001")
	wantError(t, e.do("POST", rb, map[string]any{"name": "r", "conditions": map[string]any{"grantTypes": map[string]any{"include": []string{"password"}}},
		"actions": map[string]any{"token": map[string]any{"accessTokenLifetimeMinutes": 1}}}), http.StatusBadRequest, "E0000001")
	r = e.do("PUT", rb+"/"+ruleID, map[string]any{"name": "Renamed rule", "conditions": map[string]any{"grantTypes": map[string]any{"include": []string{"client_credentials"}}},
		"actions": map[string]any{"token": map[string]any{"accessTokenLifetimeMinutes": 15}}})
	wantStatus(t, r, http.StatusOK)
	rules, _ := e.app.Store.ListRules(context.Background(), policyID)
	if len(rules) != 1 || rules[0].Name != "Renamed rule" || rules[0].AccessTokenLifetime.Minutes() != 15 || rules[0].Priority != 1 {
		t.Fatalf("stored rules: %+v", rules)
	}
	wantStatus(t, e.do("POST", rb+"/"+ruleID+"/lifecycle/deactivate", nil), http.StatusNoContent)
	wantStatus(t, e.do("POST", pb+"/"+policyID+"/lifecycle/deactivate", nil), http.StatusNoContent)
	r = e.do("GET", pb+"/"+policyID, nil)
	if r.obj(t)["status"] != "INACTIVE" {
		t.Fatalf("policy after deactivate: %s", r.raw)
	}
	r = e.do("GET", rb, nil)
	wantStatus(t, r, http.StatusOK)
	if !strings.Contains(string(r.raw), `"status":"INACTIVE"`) {
		t.Fatalf("rules list: %s", r.raw)
	}
	wantError(t, e.do("GET", base+"/default/policies/"+policyID, nil), http.StatusNotFound, "E0000007")
	wantStatus(t, e.do("DELETE", rb+"/"+ruleID, nil), http.StatusNoContent)
	wantError(t, e.do("GET", rb+"/"+ruleID, nil), http.StatusNotFound, "E0000007")
	wantStatus(t, e.do("DELETE", pb+"/"+policyID, nil), http.StatusNoContent)
	wantStatus(t, e.do("DELETE", cb+"/"+claimID, nil), http.StatusNoContent)
	wantStatus(t, e.do("DELETE", sb+"/"+scopeID, nil), http.StatusNoContent)
	wantError(t, e.do("GET", sb+"/"+scopeID, nil), http.StatusNotFound, "E0000007")

	// Keys.
	kb := base + "/" + id + "/credentials"
	r = e.do("GET", kb+"/keys", nil)
	wantStatus(t, r, http.StatusOK)
	e.golden("authserver-keys", scrubKeys(r.raw, kidsOf(t, e, id)...))
	if strings.Contains(string(r.raw), `"d":`) || strings.Contains(string(r.raw), `"p":`) {
		t.Fatalf("a private key part in the list: %s", r.raw)
	}
	wantError(t, e.do("POST", kb+"/lifecycle/keyRotate", map[string]any{"use": "enc"}), http.StatusBadRequest, "E0000001")
	kid := kidsOf(t, e, id)[0]
	wantStatus(t, e.do("GET", kb+"/keys/"+kid, nil), http.StatusOK)
	wantError(t, e.do("GET", kb+"/keys/nosuchkid", nil), http.StatusNotFound, "E0000007")
}

// TestAuthServerScopesRequired: a Bearer token without the route's scope
// is refused on every route; a read scope does not let a token change
// anything.
func TestAuthServerScopesRequired(t *testing.T) {
	e := newAPIEnv(t)
	const s = "/api/v1/authorizationServers/default"
	const p = s + "/policies/00pX/rules/0prX"
	routes := []struct{ method, path string }{
		{"GET", "/api/v1/authorizationServers"}, {"POST", "/api/v1/authorizationServers"},
		{"GET", s}, {"PUT", s}, {"DELETE", s}, {"POST", s + "/lifecycle/activate"}, {"POST", s + "/lifecycle/deactivate"},
		{"GET", s + "/scopes"}, {"POST", s + "/scopes"}, {"GET", s + "/scopes/scpX"}, {"PUT", s + "/scopes/scpX"}, {"DELETE", s + "/scopes/scpX"},
		{"GET", s + "/claims"}, {"POST", s + "/claims"}, {"GET", s + "/claims/oclX"}, {"PUT", s + "/claims/oclX"}, {"DELETE", s + "/claims/oclX"},
		{"GET", s + "/policies"}, {"POST", s + "/policies"}, {"GET", s + "/policies/00pX"}, {"PUT", s + "/policies/00pX"},
		{"DELETE", s + "/policies/00pX"}, {"POST", s + "/policies/00pX/lifecycle/activate"}, {"POST", s + "/policies/00pX/lifecycle/deactivate"},
		{"GET", s + "/policies/00pX/rules"}, {"POST", s + "/policies/00pX/rules"}, {"GET", p}, {"PUT", p}, {"DELETE", p},
		{"POST", p + "/lifecycle/activate"}, {"POST", p + "/lifecycle/deactivate"},
		{"GET", s + "/credentials/keys"}, {"GET", s + "/credentials/keys/kidX"}, {"POST", s + "/credentials/lifecycle/keyRotate"},
	}
	other, _ := e.serviceClient("okta.logs.read")
	unrelated := "Bearer " + e.orgToken(other, "okta.logs.read")
	reader, _ := e.serviceClient("okta.authorizationServers.read")
	readOnly := "Bearer " + e.orgToken(reader, "okta.authorizationServers.read")
	for _, rt := range routes {
		t.Run(rt.method+" "+rt.path, func(t *testing.T) {
			wantError(t, e.doAuth(unrelated, rt.method, rt.path, map[string]any{}), http.StatusForbidden, "E0000006")
			r := e.doAuth(readOnly, rt.method, rt.path, map[string]any{})
			if rt.method == "GET" {
				if r.status == http.StatusForbidden {
					t.Fatalf("read scope refused a read: %s", r.raw)
				}
				return
			}
			wantError(t, r, http.StatusForbidden, "E0000006")
		})
	}
}
