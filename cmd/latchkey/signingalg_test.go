package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/verifier/verifiertest"
)

// keyRows returns the ALG and STATUS columns of keys list, one "ALG STATUS"
// per key.
func keyRows(t *testing.T, db, server string) []string {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(mustCLI(t, "", "keys", "list", "--db", db, "--authserver", server)), "\n")
	if !strings.HasPrefix(lines[0], "KID") || !strings.Contains(lines[0], "ALG") {
		t.Fatalf("keys list header: %q", lines[0])
	}
	var rows []string
	for _, l := range lines[1:] {
		f := strings.Fields(l)
		rows = append(rows, f[1]+" "+f[2])
	}
	return rows
}

func hasRows(got []string, want ...string) bool {
	if len(got) != len(want) {
		return false
	}
	left := append([]string(nil), got...)
	for _, w := range want {
		found := false
		for i, g := range left {
			if g == w {
				left = append(left[:i], left[i+1:]...)
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// TestSigningAlgCLI: --signing-alg on authservers create and update, and
// signing_alg in the setup file, choose the algorithm of a server's keys;
// keys list shows each key's.
func TestSigningAlgCLI(t *testing.T) {
	db := keysDB(t)
	var as map[string]any
	out := mustCLI(t, "", "authservers", "create", "--db", db, "--name", "Fast", "--audience", "api://fast", "--signing-alg", "ES256", "--json")
	if err := json.Unmarshal([]byte(out), &as); err != nil {
		t.Fatal(err)
	}
	if alg := as["credentials"].(map[string]any)["signing"].(map[string]any)["alg"]; alg != "ES256" {
		t.Fatalf("created with alg %v: %s", alg, out)
	}
	if rows := keyRows(t, db, "Fast"); !hasRows(rows, "ES256 ACTIVE", "ES256 NEXT") {
		t.Fatalf("keys of an ES256 server: %v", rows)
	}
	if _, err := runCLI(t, "", "authservers", "create", "--db", db, "--name", "Bad", "--audience", "api://bad", "--signing-alg", "HS256"); err == nil ||
		!strings.Contains(err.Error(), "RS256, ES256 or EdDSA") {
		t.Fatalf("an HMAC alg: %v", err)
	}

	out = mustCLI(t, "", "authservers", "update", "--db", db, "Fast", "--signing-alg", "EdDSA")
	if !strings.Contains(out, "signing alg  EdDSA") || !strings.Contains(out, "a NEXT key of EdDSA is published") {
		t.Fatalf("update --signing-alg:\n%s", out)
	}
	if rows := keyRows(t, db, "Fast"); !hasRows(rows, "ES256 ACTIVE", "EdDSA NEXT", "ES256 EXPIRED") {
		t.Fatalf("keys after the change: %v", rows)
	}
	out = mustCLI(t, "", "authservers", "update", "--db", db, "Fast", "--name", "Faster", "--audience", "api://faster")
	if !strings.Contains(out, "signing alg  EdDSA") || !strings.Contains(out, "audience     api://faster") || strings.Contains(out, "NEXT") {
		t.Fatalf("update without --signing-alg:\n%s", out)
	}
	out = mustCLI(t, "", "keys", "rotate", "--db", db, "--authserver", "Faster")
	if !strings.Contains(out, "EdDSA  signs from now on") {
		t.Fatalf("keys rotate:\n%s", out)
	}
	if _, err := runCLI(t, "", "authservers", "update", "--db", db, "Faster", "--signing-alg", "none"); err == nil {
		t.Fatal("update to alg none accepted")
	}
	if _, err := runCLI(t, "", "authservers", "update", "--db", db, "org", "--signing-alg", "ES256"); err == nil {
		t.Fatal("update of the org server accepted")
	}

	// The setup file: a new server and the default server.
	file := filepath.Join(t.TempDir(), "setup.yaml")
	yaml := "authorizationServers:\n  - name: Edge\n    audience: api://edge\n    signing_alg: EdDSA\n  - name: default\n    signing_alg: ES256\n"
	if err := os.WriteFile(file, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	mustCLI(t, "", "apply", "--db", db, "--file", file)
	if rows := keyRows(t, db, "Edge"); !hasRows(rows, "EdDSA ACTIVE", "EdDSA NEXT") {
		t.Fatalf("keys of the Edge server from the setup file: %v", rows)
	}
	if rows := keyRows(t, db, "default"); !hasRows(rows, "RS256 ACTIVE", "ES256 NEXT", "RS256 EXPIRED") {
		t.Fatalf("keys of the default server after signing_alg ES256: %v", rows)
	}
	// Applying the same file again changes nothing.
	mustCLI(t, "", "apply", "--db", db, "--file", file)
	if rows := keyRows(t, db, "default"); len(rows) != 3 {
		t.Fatalf("a second apply changed the keys: %v", rows)
	}
}

// TestVerifyCmdAlg: latchkey verify accepts RS256 only unless --alg lists
// the issuer's algorithm.
func TestVerifyCmdAlg(t *testing.T) {
	iss := verifiertest.NewIssuer(t, verifiertest.WithAlgorithm("EdDSA"))
	token := iss.AccessToken()
	base := []string{"--issuer", iss.Issuer(), "--audience", iss.Audience()}
	if _, errOut, err := runVerify(t, token, base...); err == nil || !strings.Contains(errOut, "signing algorithm not accepted") {
		t.Fatalf("an EdDSA token without --alg: %v %s", err, errOut)
	}
	if out, errOut, err := runVerify(t, token, append(base, "--alg", "RS256", "--alg", "EdDSA")...); err != nil || !strings.Contains(out, `"iss"`) {
		t.Fatalf("--alg EdDSA: %v %s", err, errOut)
	}
	if _, _, err := runVerify(t, token, append(base, "--alg", "HS256")...); err == nil || !strings.Contains(err.Error(), "not accepted") {
		t.Fatalf("--alg HS256: %v", err)
	}
}
