package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestAuthServersByNameCLI: every command that takes an authorization
// server takes its name as well as its id; a name two servers share is
// refused with both ids; rules are listed; a server is deactivated and
// deleted (not while ACTIVE, never the default server).
func TestAuthServersByNameCLI(t *testing.T) {
	db := keysDB(t)
	var as map[string]any
	if err := json.Unmarshal([]byte(mustCLI(t, "", "authservers", "create", "--db", db, "--name", "Billing", "--audience", "api://billing", "--json")), &as); err != nil {
		t.Fatal(err)
	}
	id := as["id"].(string)

	mustCLI(t, "", "scopes", "create", "--db", db, "--authserver", "Billing", "--name", "invoices:read")
	if out := mustCLI(t, "", "scopes", "list", "--db", db, "--authserver", "billing"); !strings.Contains(out, "invoices:read") {
		t.Fatalf("scopes by a name in another case:\n%s", out)
	}
	mustCLI(t, "", "claims", "create", "--db", db, "--authserver", "Billing", "--name", "dept", "--type", "RESOURCE", "--value", `"billing"`)
	out := mustCLI(t, "", "policies", "create", "--db", db, "--authserver", "Billing", "--name", "batch")
	policyID := strings.Fields(out)[1]
	mustCLI(t, "", "rules", "create", "--db", db, "--authserver", "Billing", "--policy", policyID, "--name", "cc", "--grant-types", "client_credentials")
	mustCLI(t, "", "rules", "create", "--db", db, "--authserver", id, "--policy", policyID, "--name", "pw", "--grant-types", "password", "--groups", "EVERYONE")

	// rules list, by the policy's id or name, as a table or Okta's JSON.
	table := mustCLI(t, "", "rules", "list", "--db", db, "--authserver", "Billing", "--policy", "batch")
	if lines := strings.Split(strings.TrimSpace(table), "\n"); len(lines) != 3 || !strings.Contains(lines[1], "cc") || !strings.Contains(lines[2], "pw") {
		t.Fatalf("rules list:\n%s", table)
	}
	var rules []map[string]any
	if err := json.Unmarshal([]byte(mustCLI(t, "", "rules", "list", "--db", db, "--authserver", id, "--policy", policyID, "--json")), &rules); err != nil || len(rules) != 2 {
		t.Fatalf("rules list --json: %v %v", rules, err)
	}
	if rules[0]["type"] != "RESOURCE_ACCESS" || rules[0]["name"] != "cc" {
		t.Fatalf("rule: %v", rules[0])
	}
	if _, err := runCLI(t, "", "rules", "list", "--db", db, "--authserver", "Billing", "--policy", "nope"); err == nil {
		t.Fatal("an unknown policy listed")
	}

	// keys by name.
	mustCLI(t, "", "keys", "rotate", "--db", db, "--authserver", "Billing")
	if out := mustCLI(t, "", "keys", "list", "--db", db, "--authserver", "Billing"); strings.Count(out, " EXPIRED ") != 1 {
		t.Fatalf("keys after rotation:\n%s", out)
	}

	// A name two servers share is refused, with both ids.
	var twin map[string]any
	_ = json.Unmarshal([]byte(mustCLI(t, "", "authservers", "create", "--db", db, "--name", "Billing", "--audience", "api://billing2", "--json")), &twin)
	out, err := runCLI(t, "", "scopes", "list", "--db", db, "--authserver", "Billing")
	if err == nil || !strings.Contains(err.Error(), id) || !strings.Contains(err.Error(), twin["id"].(string)) {
		t.Fatalf("an ambiguous name: %v\n%s", err, out)
	}
	if _, err := runCLI(t, "", "authservers", "delete", "--db", db, "Billing"); err == nil {
		t.Fatal("delete by an ambiguous name")
	}
	file := filepath.Join(t.TempDir(), "setup.yaml")
	if err := os.WriteFile(file, []byte("authorizationServers:\n  - name: Billing\n    audience: api://billing\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := runCLI(t, "", "apply", "--db", db, "--file", file); err == nil || !strings.Contains(err.Error(), id) {
		t.Fatalf("apply matched an ambiguous name: %v", err)
	}
	if _, err := runCLI(t, "", "scopes", "list", "--db", db, "--authserver", "no such server"); err == nil || !strings.Contains(err.Error(), "not found") {
		t.Fatalf("an unknown server: %v", err)
	}

	// Delete: deactivate first; never the default or org server.
	if _, err := runCLI(t, "", "authservers", "delete", "--db", db, id); err == nil || !strings.Contains(err.Error(), "deactivate") {
		t.Fatalf("delete ACTIVE: %v", err)
	}
	mustCLI(t, "", "authservers", "deactivate", "--db", db, id)
	if out := mustCLI(t, "", "authservers", "list", "--db", db); !strings.Contains(out, id+"  INACTIVE") {
		t.Fatalf("list after deactivate:\n%s", out)
	}
	mustCLI(t, "", "authservers", "delete", "--db", db, id)
	if out := mustCLI(t, "", "authservers", "list", "--db", db); strings.Contains(out, id) {
		t.Fatalf("list after delete:\n%s", out)
	}
	// Now the name is unique again.
	mustCLI(t, "", "scopes", "list", "--db", db, "--authserver", "Billing")
	mustCLI(t, "", "authservers", "deactivate", "--db", db, "default")
	if _, err := runCLI(t, "", "authservers", "delete", "--db", db, "default"); err == nil {
		t.Fatal("the default server deleted")
	}
	mustCLI(t, "", "authservers", "activate", "--db", db, "default")
	if _, err := runCLI(t, "", "authservers", "delete", "--db", db, "org"); err == nil {
		t.Fatal("the org server deleted")
	}
}
