package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/store"
	"github.com/latchkey/latchkey/internal/store/sqlite"
)

// TestUsersLifecycleCLI walks a user through every lifecycle command, by
// login and by id, with and without --json, and checks refusals.
func TestUsersLifecycleCLI(t *testing.T) {
	db := keysDB(t)
	var u map[string]any
	if err := json.Unmarshal([]byte(mustCLI(t, "a long passphrase\n", "users", "create", "--db", db, "--login", "ada@example.com", "--password-stdin", "--json")), &u); err != nil {
		t.Fatal(err)
	}
	id := u["id"].(string)
	status := func(args ...string) string {
		t.Helper()
		var got map[string]any
		out := mustCLI(t, "", append(args, "--db", db, "--json")...)
		if err := json.Unmarshal([]byte(out), &got); err != nil {
			t.Fatalf("%v: not one JSON object: %v\n%s", args, err, out)
		}
		if got["id"] != id {
			t.Fatalf("%v: user %v", args, got["id"])
		}
		return got["status"].(string)
	}
	steps := []struct {
		args []string
		want string
	}{
		{[]string{"users", "suspend", "ADA@example.com"}, "SUSPENDED"},
		{[]string{"users", "unsuspend", id}, "ACTIVE"},
		{[]string{"users", "expire-password", "ada@example.com"}, "PASSWORD_EXPIRED"},
		{[]string{"users", "deactivate", id}, "DEPROVISIONED"},
		{[]string{"users", "reactivate", id}, "ACTIVE"},
	}
	for _, s := range steps {
		if got := status(s.args...); got != s.want {
			t.Fatalf("%v: status %s, want %s", s.args, got, s.want)
		}
	}
	if out := mustCLI(t, "", "users", "suspend", id, "--db", db); out != "suspended user "+id+" (ada@example.com), status SUSPENDED\n" {
		t.Fatalf("suspend: %q", out)
	}
	_, err := runCLI(t, "", "users", "suspend", id, "--db", db)
	if err == nil || err.Error() != "E0000001 Api validation failed: suspend: Cannot suspend a user that is not active (user "+id+" is SUSPENDED)" {
		t.Fatalf("suspend twice: %v", err)
	}
	if _, err := runCLI(t, "", "users", "delete", id, "--db", db); err == nil || !strings.Contains(err.Error(), "Deactivate the user before deleting it") {
		t.Fatalf("delete of a SUSPENDED user: %v", err)
	}
	if _, err := runCLI(t, "", "users", "reactivate", "nobody@example.com", "--db", db); err == nil || !strings.Contains(err.Error(), "no user") {
		t.Fatalf("unknown user: %v", err)
	}
	mustCLI(t, "", "users", "deactivate", id, "--db", db)
	if out := mustCLI(t, "", "users", "delete", "ada@example.com", "--db", db); out != "deleted user "+id+" (ada@example.com)\n" {
		t.Fatalf("delete: %q", out)
	}
	if list := mustCLI(t, "", "users", "list", "--db", db); strings.Contains(list, id) {
		t.Fatalf("deleted user listed:\n%s", list)
	}
}

// TestUsersSetPasswordCLI: the password comes from stdin only, the policy
// applies, and an expired password makes way for an ACTIVE user.
func TestUsersSetPasswordCLI(t *testing.T) {
	db := keysDB(t)
	mustCLI(t, "a long passphrase\n", "users", "create", "--db", db, "--login", "bob@example.com", "--password-stdin")
	mustCLI(t, "", "users", "expire-password", "bob@example.com", "--db", db)
	if _, err := runCLI(t, "a new passphrase\n", "users", "set-password", "bob@example.com", "--db", db); err == nil || !strings.Contains(err.Error(), "--password-stdin") {
		t.Fatalf("without --password-stdin: %v", err)
	}
	if _, err := runCLI(t, "a new passphrase\n", "users", "set-password", "bob@example.com", "--password", "x", "--db", db); err == nil {
		t.Fatal("a --password flag exists")
	}
	if _, err := runCLI(t, "a long passphrase\n", "users", "set-password", "bob@example.com", "--password-stdin", "--db", db); err == nil || !strings.Contains(err.Error(), "Password has been used too recently") {
		t.Fatalf("the current password again: %v", err)
	}
	out := mustCLI(t, "a new passphrase\n", "users", "set-password", "bob@example.com", "--password-stdin", "--db", db, "--json")
	var u map[string]any
	if err := json.Unmarshal([]byte(out), &u); err != nil || u["status"] != "ACTIVE" {
		t.Fatalf("set-password --json: %v\n%s", err, out)
	}
	if strings.Contains(out, "passphrase") || strings.Contains(out, "argon2") {
		t.Fatal("the password or its hash is printed")
	}
	if out := mustCLI(t, "another new passphrase\n", "users", "set-password", "BOB@example.com", "--password-stdin", "--db", db); !strings.Contains(out, "earlier tokens revoked") {
		t.Fatalf("set-password: %q", out)
	}
}

// TestUsersUnlockCLI: a user the login guard locked shows LOCKED_OUT in
// users list, and users unlock clears the counts and makes it ACTIVE.
func TestUsersUnlockCLI(t *testing.T) {
	db := keysDB(t)
	var u map[string]any
	if err := json.Unmarshal([]byte(mustCLI(t, "a long passphrase\n", "users", "create", "--db", db, "--login", "ada@example.com", "--password-stdin", "--json")), &u); err != nil {
		t.Fatal(err)
	}
	id := u["id"].(string)
	// Lock it as the guard does: a locked counter and the status.
	st, err := sqlite.Open(t.Context(), db)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	if err := st.UpdateLoginCounters(t.Context(), "ada@example.com", "", func(sh, p store.LoginCounter) (store.LoginCounter, store.LoginCounter, error) {
		sh.Failures, sh.LockedUntil, sh.UpdatedAt = 10, now.Add(time.Hour), now
		return sh, p, nil
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.UpdateUser(t.Context(), id, func(u store.User) (store.User, error) {
		u.Status = store.UserLockedOut
		return u, nil
	}); err != nil {
		t.Fatal(err)
	}
	st.Close()

	if list := mustCLI(t, "", "users", "list", "--db", db); !strings.Contains(list, "LOCKED_OUT") {
		t.Fatalf("users list does not show the lock:\n%s", list)
	}
	if out := mustCLI(t, "", "users", "unlock", "ada@example.com", "--db", db); out != "unlocked user "+id+" (ada@example.com), status ACTIVE\n" {
		t.Fatalf("unlock: %q", out)
	}
	st, err = sqlite.Open(t.Context(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	shared, _, err := st.GetLoginCounters(t.Context(), "ada@example.com", "")
	if err != nil || shared.Failures != 0 || !shared.LockedUntil.IsZero() {
		t.Fatalf("counters after unlock: %+v, %v", shared, err)
	}
}
