package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestClientSecretsCLI rotates a client's secret from the CLI: a second
// secret, the first deactivated and deleted; the rules refuse a third
// secret, deactivating the last ACTIVE one and deleting an ACTIVE one.
func TestClientSecretsCLI(t *testing.T) {
	db := keysDB(t)
	out := mustCLI(t, "", "clients", "create", "--db", db, "--name", "rotating", "--json")
	var c struct {
		ID          string `json:"id"`
		Credentials struct {
			OAuthClient struct {
				ClientSecret string `json:"client_secret"`
			} `json:"oauthClient"`
		} `json:"credentials"`
	}
	if err := json.Unmarshal([]byte(out), &c); err != nil {
		t.Fatal(err)
	}
	type secret struct {
		ID           string `json:"id"`
		Status       string `json:"status"`
		ClientSecret string `json:"client_secret"`
		SecretHash   string `json:"secret_hash"`
	}
	list := func() []secret {
		var out []secret
		if err := json.Unmarshal([]byte(mustCLI(t, "", "clients", "secrets", "list", c.ID, "--db", db, "--json")), &out); err != nil {
			t.Fatal(err)
		}
		return out
	}
	first := list()
	if len(first) != 1 || first[0].Status != "ACTIVE" || first[0].ClientSecret != "" || first[0].SecretHash == "" {
		t.Fatalf("secrets: %+v", first)
	}
	var second secret
	if err := json.Unmarshal([]byte(mustCLI(t, "", "clients", "secrets", "create", c.ID, "--db", db, "--json")), &second); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(second.ID, "ocs") || len(second.ClientSecret) < 32 || second.ClientSecret == c.Credentials.OAuthClient.ClientSecret {
		t.Fatalf("second secret: %+v", second)
	}
	all := mustCLI(t, "", "clients", "secrets", "list", c.ID, "--db", db)
	if strings.Contains(all, second.ClientSecret) || !strings.Contains(all, second.ID) {
		t.Fatalf("list:\n%s", all)
	}
	if _, err := runCLI(t, "", "clients", "secrets", "create", c.ID, "--db", db); err == nil || !strings.Contains(err.Error(), "2 secrets") {
		t.Fatalf("a third secret: %v", err)
	}
	if _, err := runCLI(t, "", "clients", "secrets", "delete", c.ID, first[0].ID, "--db", db); err == nil || !strings.Contains(err.Error(), "deactivate it first") {
		t.Fatalf("delete an ACTIVE secret: %v", err)
	}
	if out := mustCLI(t, "", "clients", "secrets", "deactivate", c.ID, first[0].ID, "--db", db); out != first[0].ID+" INACTIVE\n" {
		t.Fatalf("deactivate: %q", out)
	}
	if _, err := runCLI(t, "", "clients", "secrets", "deactivate", c.ID, second.ID, "--db", db); err == nil || !strings.Contains(err.Error(), "only ACTIVE secret") {
		t.Fatalf("deactivate the last ACTIVE secret: %v", err)
	}
	mustCLI(t, "", "clients", "secrets", "delete", c.ID, first[0].ID, "--db", db)
	if got := list(); len(got) != 1 || got[0].ID != second.ID || got[0].Status != "ACTIVE" {
		t.Fatalf("after the rotation: %+v", got)
	}
	if _, err := runCLI(t, "", "clients", "secrets", "activate", c.ID, "ocsnothere", "--db", db); err == nil || !strings.Contains(err.Error(), "no secret") {
		t.Fatalf("unknown secret: %v", err)
	}
}

// TestClientLifecycleCLI: assignments listed; a client is deactivated,
// refused deletion while ACTIVE, and deleted.
func TestClientLifecycleCLI(t *testing.T) {
	db := keysDB(t)
	out := mustCLI(t, "", "clients", "create", "--db", db, "--name", "short-lived", "--json")
	var c struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal([]byte(out), &c); err != nil {
		t.Fatal(err)
	}
	var assigned []map[string]string
	if err := json.Unmarshal([]byte(mustCLI(t, "", "clients", "assignments", c.ID, "--db", db, "--json")), &assigned); err != nil {
		t.Fatal(err)
	}
	if len(assigned) != 1 || assigned[0]["type"] != "GROUP" || assigned[0]["name"] != "Everyone" {
		t.Fatalf("assignments: %v", assigned)
	}
	if _, err := runCLI(t, "", "clients", "delete", c.ID, "--db", db); err == nil || !strings.Contains(err.Error(), "deactivate it first") {
		t.Fatalf("delete an ACTIVE client: %v", err)
	}
	if out := mustCLI(t, "", "clients", "deactivate", c.ID, "--db", db); out != c.ID+" INACTIVE\n" {
		t.Fatalf("deactivate: %q", out)
	}
	if out := mustCLI(t, "", "clients", "activate", c.ID, "--db", db); out != c.ID+" ACTIVE\n" {
		t.Fatalf("activate: %q", out)
	}
	mustCLI(t, "", "clients", "deactivate", c.ID, "--db", db)
	mustCLI(t, "", "clients", "delete", c.ID, "--db", db)
	if list := mustCLI(t, "", "clients", "list", "--db", db); strings.Contains(list, c.ID) {
		t.Fatalf("the deleted client is listed:\n%s", list)
	}
	if _, err := runCLI(t, "", "clients", "assignments", c.ID, "--db", db); err == nil || !strings.Contains(err.Error(), "no client") {
		t.Fatalf("assignments of a deleted client: %v", err)
	}
}
