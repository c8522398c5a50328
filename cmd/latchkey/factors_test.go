package main

import (
	"encoding/base32"
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/store/sqlite"
	"github.com/latchkey/latchkey/internal/totp"
)

// TestFactorsCLI: enrol prints the otpauth URI, the factor is PENDING until
// activate proves possession with a code, which prints ten recovery codes
// once; a replayed code is refused; reset removes the factor.
func TestFactorsCLI(t *testing.T) {
	db := keysDB(t)
	mustCLI(t, "a long passphrase\n", "users", "create", "--db", db, "--login", "ada@example.com", "--password-stdin")

	human := mustCLI(t, "", "users", "factors", "enroll", "ada@example.com", "--type", "totp", "--db", db, "--qr")
	if !strings.Contains(human, "otpauth://totp/Latchkey:ada@example.com?") || !strings.Contains(human, "PENDING_ACTIVATION") || !strings.Contains(human, "█") {
		t.Fatalf("enroll:\n%s", human)
	}
	var e struct {
		ID, Status string
		OtpauthURI string `json:"otpauth_uri"`
	}
	if err := json.Unmarshal([]byte(mustCLI(t, "", "users", "factors", "enroll", "ada@example.com", "--type", "totp", "--db", db, "--json")), &e); err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(e.OtpauthURI)
	if err != nil || e.Status != "PENDING_ACTIVATION" {
		t.Fatalf("enroll --json: %+v, %v", e, err)
	}
	secret, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(u.Query().Get("secret"))
	if err != nil {
		t.Fatal(err)
	}
	if out, err := runCLI(t, "", "users", "factors", "enroll", "ada@example.com", "--type", "sms", "--db", db); err == nil {
		t.Fatalf("enroll --type sms succeeded:\n%s", out)
	}

	code := totp.Code(secret, time.Now())
	var act struct {
		Status        string
		RecoveryCodes []string `json:"recovery_codes"`
	}
	if err := json.Unmarshal([]byte(mustCLI(t, "", "users", "factors", "activate", "ada@example.com", "--code", code, "--db", db, "--json")), &act); err != nil {
		t.Fatal(err)
	}
	if act.Status != "ACTIVE" || len(act.RecoveryCodes) != 10 {
		t.Fatalf("activate: %+v", act)
	}
	if out, err := runCLI(t, "", "users", "factors", "activate", "ada@example.com", "--code", code, "--db", db); err == nil || !strings.Contains(err.Error(), "no pending TOTP factor") {
		t.Fatalf("a second activation: %v\n%s", err, out)
	}
	list := mustCLI(t, "", "users", "factors", "list", "ada@example.com", "--db", db)
	if !strings.Contains(list, e.ID) || !strings.Contains(list, "ACTIVE") || strings.Contains(list, u.Query().Get("secret")) {
		t.Fatalf("list:\n%s", list)
	}
	if out := mustCLI(t, "", "users", "factors", "recovery-codes", "ada@example.com", "--db", db); strings.Count(out, "\n  ") != 10 {
		t.Fatalf("recovery-codes:\n%s", out)
	}
	if out := mustCLI(t, "", "users", "factors", "reset", "ada@example.com", "--db", db); out != "removed 1 factor(s)\n" {
		t.Fatalf("reset: %q", out)
	}
	if list := mustCLI(t, "", "users", "factors", "list", "ada@example.com", "--db", db, "--json"); strings.TrimSpace(list) != "[]" {
		t.Fatalf("list after reset: %s", list)
	}

	// Each change is an audit event of the system on the user's factor.
	var logged []struct {
		EventType string
		Actor     struct{ Type string }
		Target    []struct{ ID, Type string }
	}
	if err := json.Unmarshal([]byte(mustCLI(t, "", "events", "list", "--db", db, "--user", "ada@example.com", "--json")), &logged); err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, ev := range logged {
		types = append(types, ev.EventType)
		if ev.Actor.Type != "SystemPrincipal" || len(ev.Target) != 2 || ev.Target[1].ID != e.ID || ev.Target[1].Type != "Factor" {
			t.Errorf("%s: %+v", ev.EventType, ev)
		}
	}
	if want := []string{"user.mfa.factor.activate", "user.mfa.factor.update", "user.mfa.factor.reset_all"}; !slices.Equal(types, want) {
		t.Fatalf("events: %v, want %v", types, want)
	}
}

// TestRulesRequireMFACLI: rules create --require-mfa stores the flag;
// rules list shows it in its MFA column and, with --json, as Okta's
// factorMode 2FA (1FA for a rule without it).
func TestRulesRequireMFACLI(t *testing.T) {
	db := keysDB(t)
	out := mustCLI(t, "", "policies", "create", "--db", db, "--name", "mfa")
	policyID := strings.Fields(out)[1]
	mustCLI(t, "", "rules", "create", "--db", db, "--policy", policyID, "--name", "pw", "--grant-types", "password", "--require-mfa")
	mustCLI(t, "", "rules", "create", "--db", db, "--policy", policyID, "--name", "plain", "--grant-types", "password")
	st, err := sqlite.Open(t.Context(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rules, err := st.ListRules(t.Context(), policyID)
	if err != nil || len(rules) != 2 || !rules[0].RequireMFA || rules[1].RequireMFA {
		t.Fatalf("rules: %+v, %v", rules, err)
	}

	table := strings.Split(strings.TrimSpace(mustCLI(t, "", "rules", "list", "--db", db, "--policy", policyID)), "\n")
	if len(table) != 3 {
		t.Fatalf("rules list:\n%s", strings.Join(table, "\n"))
	}
	column := func(line, name string) string {
		t.Helper()
		i := slices.Index(strings.Fields(table[0]), name)
		f := strings.Fields(line)
		if i < 0 || i >= len(f) {
			t.Fatalf("no %s column in %q", name, line)
		}
		return f[i]
	}
	if column(table[1], "NAME") != "pw" || column(table[1], "MFA") != "required" || column(table[2], "NAME") != "plain" || column(table[2], "MFA") != "-" {
		t.Fatalf("rules list:\n%s", strings.Join(table, "\n"))
	}
	var listed []struct {
		Name    string
		Actions struct {
			AppSignOn struct {
				VerificationMethod struct{ FactorMode string }
			}
		}
	}
	if err := json.Unmarshal([]byte(mustCLI(t, "", "rules", "list", "--db", db, "--policy", policyID, "--json")), &listed); err != nil || len(listed) != 2 {
		t.Fatalf("rules list --json: %+v %v", listed, err)
	}
	if listed[0].Actions.AppSignOn.VerificationMethod.FactorMode != "2FA" || listed[1].Actions.AppSignOn.VerificationMethod.FactorMode != "1FA" {
		t.Fatalf("rules list --json factorMode: %+v", listed)
	}
}

// TestApplyRuleMFA: `mfa: required` on a rule in the setup YAML stores
// the flag; another value is refused.
func TestApplyRuleMFA(t *testing.T) {
	db := keysDB(t)
	file := filepath.Join(t.TempDir(), "setup.yaml")
	doc := `authorizationServers:
  - name: inventory
    audience: api://inventory
    policies:
      - name: all apps
        clients: [ALL_CLIENTS]
        rules:
          - {name: people, grantTypes: [password], mfa: required}
          - {name: machines, grantTypes: [client_credentials]}
`
	if err := os.WriteFile(file, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	mustCLI(t, "", "apply", "--db", db, "--file", file)
	st, err := sqlite.Open(t.Context(), db)
	if err != nil {
		t.Fatal(err)
	}
	servers, _ := st.ListAuthServers(t.Context())
	got := map[string]bool{}
	for _, s := range servers {
		pols, _ := st.ListPolicies(t.Context(), s.ID)
		for _, p := range pols {
			rules, _ := st.ListRules(t.Context(), p.ID)
			for _, r := range rules {
				got[r.Name] = r.RequireMFA
			}
		}
	}
	st.Close()
	if !got["people"] || got["machines"] {
		t.Fatalf("require_mfa by rule: %v", got)
	}
	if err := os.WriteFile(file, []byte(strings.Replace(doc, "mfa: required", "mfa: always", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := runCLI(t, "", "apply", "--db", db, "--file", file); err == nil || !strings.Contains(err.Error(), "mfa must be required or optional") {
		t.Fatalf("mfa: always: %v", err)
	}
}
