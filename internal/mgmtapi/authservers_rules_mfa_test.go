package mgmtapi_test

import (
	"context"
	"net/http"
	"testing"
)

// TestRuleRequireMFA: a rule's second factor is Okta's app sign-on
// verification method (actions.appSignOn.verificationMethod.factorMode,
// "2FA" or "1FA"), readable and writable, stored as the rule's
// RequireMFA; a replace that does not mention it (as Okta's SDK, which
// does not know the field, sends) keeps it.
func TestRuleRequireMFA(t *testing.T) {
	e := newAPIEnv(t)
	ctx := context.Background()
	pb := "/api/v1/authorizationServers/default/policies"
	r := e.do("POST", pb, map[string]any{"name": "Password apps", "conditions": map[string]any{"clients": map[string]any{"include": []string{"ALL_CLIENTS"}}}})
	wantStatus(t, r, http.StatusCreated)
	policyID := r.obj(t)["id"].(string)
	rb := pb + "/" + policyID + "/rules"
	twoFA := map[string]any{"appSignOn": map[string]any{"access": "ALLOW", "verificationMethod": map[string]any{"type": "ASSURANCE", "factorMode": "2FA"}}}
	r = e.do("POST", rb, map[string]any{"type": "RESOURCE_ACCESS", "name": "MFA for passwords",
		"conditions": map[string]any{"people": map[string]any{"groups": map[string]any{"include": []string{"EVERYONE"}}},
			"grantTypes": map[string]any{"include": []string{"password"}}},
		"actions": twoFA})
	wantStatus(t, r, http.StatusCreated)
	e.golden("authserver-rule-mfa", r.raw)
	ruleID := r.obj(t)["id"].(string)

	stored := func() bool {
		t.Helper()
		rules, err := e.app.Store.ListRules(ctx, policyID)
		if err != nil || len(rules) != 1 {
			t.Fatalf("stored rules: %+v %v", rules, err)
		}
		return rules[0].RequireMFA
	}
	factorMode := func(r resp) any {
		t.Helper()
		a, _ := r.obj(t)["actions"].(map[string]any)
		s, _ := a["appSignOn"].(map[string]any)
		v, _ := s["verificationMethod"].(map[string]any)
		return v["factorMode"]
	}
	if !stored() {
		t.Fatal("2FA was not stored as RequireMFA")
	}
	if r := e.do("GET", rb+"/"+ruleID, nil); r.status != 200 || factorMode(r) != "2FA" {
		t.Fatalf("get: %d %s", r.status, r.raw)
	}

	// Okta's SDK reads the rule, changes the name and writes it back: its
	// model has no appSignOn, so the body lacks it, and the rule keeps 2FA.
	as := e.sdk().AuthorizationServer
	got, _, err := as.GetAuthorizationServerPolicyRule(ctx, "default", policyID, ruleID)
	if err != nil {
		t.Fatal(err)
	}
	got.Name = "Renamed by the SDK"
	if _, _, err := as.UpdateAuthorizationServerPolicyRule(ctx, "default", policyID, ruleID, *got); err != nil {
		t.Fatalf("SDK update: %v", err)
	}
	if !stored() {
		t.Fatal("a replace without appSignOn turned the requirement off")
	}
	if r := e.do("GET", rb+"/"+ruleID, nil); r.obj(t)["name"] != "Renamed by the SDK" || factorMode(r) != "2FA" {
		t.Fatalf("after the SDK's replace: %s", r.raw)
	}

	// 1FA turns it off; 2FA on again.
	replace := func(mode string) resp {
		return e.do("PUT", rb+"/"+ruleID, map[string]any{"name": "MFA for passwords",
			"conditions": map[string]any{"grantTypes": map[string]any{"include": []string{"password"}}},
			"actions":    map[string]any{"appSignOn": map[string]any{"verificationMethod": map[string]any{"factorMode": mode}}}})
	}
	if r := replace("1FA"); r.status != 200 || factorMode(r) != "1FA" || stored() {
		t.Fatalf("1FA: %d %s", r.status, r.raw)
	}
	if r := replace("2FA"); r.status != 200 || factorMode(r) != "2FA" || !stored() {
		t.Fatalf("2FA: %d %s", r.status, r.raw)
	}

	// A rule created without appSignOn requires one factor, and says so.
	r = e.do("POST", rb, map[string]any{"name": "No MFA", "conditions": map[string]any{"grantTypes": map[string]any{"include": []string{"client_credentials"}}}})
	wantStatus(t, r, http.StatusCreated)
	if factorMode(r) != "1FA" {
		t.Fatalf("default: %s", r.raw)
	}

	for name, actions := range map[string]map[string]any{
		"factorMode 3FA":   {"appSignOn": map[string]any{"verificationMethod": map[string]any{"factorMode": "3FA"}}},
		"no factorMode":    {"appSignOn": map[string]any{"verificationMethod": map[string]any{"type": "ASSURANCE"}}},
		"access DENY":      {"appSignOn": map[string]any{"access": "DENY", "verificationMethod": map[string]any{"factorMode": "1FA"}}},
		"type AUTH_METHOD": {"appSignOn": map[string]any{"verificationMethod": map[string]any{"type": "AUTH_METHOD_CHAIN", "factorMode": "2FA"}}},
	} {
		r := e.do("POST", rb, map[string]any{"name": name, "conditions": map[string]any{"grantTypes": map[string]any{"include": []string{"password"}}},
			"actions": actions})
		m := wantError(t, r, http.StatusBadRequest, "E0000001")
		if causes, _ := m["errorCauses"].([]any); len(causes) == 0 {
			t.Errorf("%s: no cause: %s", name, r.raw)
		}
	}
	if rules, _ := e.app.Store.ListRules(ctx, policyID); len(rules) != 2 {
		t.Fatalf("a refused rule was stored: %+v", rules)
	}
}
