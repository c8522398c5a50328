package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestGroupsUpdateDeleteCLI: update and delete take a group by id or name;
// a flag not given keeps its value; Everyone is refused; a deleted group
// leaves the list and frees its name.
func TestGroupsUpdateDeleteCLI(t *testing.T) {
	db := keysDB(t)
	created := mustCLI(t, "", "groups", "create", "--db", db, "--name", "Finance", "--description", "Money people")
	id := strings.Fields(created)[2]
	if !strings.HasPrefix(id, "00g") {
		t.Fatalf("create: %q", created)
	}
	mustCLI(t, "a long passphrase\n", "users", "create", "--db", db, "--login", "fin@example.com", "--password-stdin")
	mustCLI(t, "", "groups", "add-user", "--db", db, "--group", "Finance", "--user", "fin@example.com")

	if out := mustCLI(t, "", "groups", "update", "finance", "--db", db, "--name", "Treasury"); out != "updated group "+id+" (Treasury)\n" {
		t.Fatalf("update by name: %q", out)
	}
	list := func() []map[string]any {
		t.Helper()
		var gs []map[string]any
		if err := json.Unmarshal([]byte(mustCLI(t, "", "groups", "list", "--db", db, "--json")), &gs); err != nil {
			t.Fatal(err)
		}
		return gs
	}
	found := false
	for _, g := range list() {
		p := g["profile"].(map[string]any)
		if g["id"] == id {
			found = true
			if p["name"] != "Treasury" || p["description"] != "Money people" {
				t.Fatalf("after update: %v", p)
			}
		}
	}
	if !found {
		t.Fatalf("group %s not listed", id)
	}
	mustCLI(t, "", "groups", "update", id, "--db", db, "--description", "")
	mustCLI(t, "", "groups", "create", "--db", db, "--name", "Sales")
	if _, err := runCLI(t, "", "groups", "update", id, "--db", db, "--name", "SALES"); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Fatalf("rename to a taken name: %v", err)
	}
	for _, args := range [][]string{{"update", "Everyone", "--name", "All"}, {"delete", "Everyone"}, {"delete", "EVERYONE"}} {
		if _, err := runCLI(t, "", append(append([]string{"groups"}, args...), "--db", db)...); err == nil || !strings.Contains(err.Error(), "built in") {
			t.Fatalf("%v: %v", args, err)
		}
	}
	if _, err := runCLI(t, "", "groups", "delete", "Nobody", "--db", db); err == nil || !strings.Contains(err.Error(), "not found") {
		t.Fatalf("delete of an unknown group: %v", err)
	}
	if out := mustCLI(t, "", "groups", "delete", "Treasury", "--db", db); out != "deleted group "+id+" (Treasury)\n" {
		t.Fatalf("delete: %q", out)
	}
	for _, g := range list() {
		if g["id"] == id {
			t.Fatalf("deleted group listed: %v", g)
		}
	}
	mustCLI(t, "", "groups", "create", "--db", db, "--name", "Treasury")
}
