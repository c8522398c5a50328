package mgmtapi_test

import (
	"os"
	"strings"
	"testing"
)

const routesDoc = "../../docs/management-api.md"

// TestEveryRouteDocumented: the table of every route and its scope in
// docs/management-api.md is the one the API registers
// (go test ./internal/mgmtapi -run TestEveryRouteDocumented -update
// rewrites it).
func TestEveryRouteDocumented(t *testing.T) {
	raw, err := os.ReadFile(routesDoc)
	if err != nil {
		t.Fatal(err)
	}
	const begin, end = "<!-- routes:begin -->\n", "<!-- routes:end -->"
	doc := string(raw)
	i, j := strings.Index(doc, begin), strings.Index(doc, end)
	if i < 0 || j < i {
		t.Fatalf("%s has no %q … %q section", routesDoc, begin, end)
	}
	e := newAPIEnv(t)
	var b strings.Builder
	b.WriteString("| method | path | scope |\n|---|---|---|\n")
	for _, rt := range e.app.Management.Routes() {
		method, path, _ := strings.Cut(rt.Pattern, " ")
		scope := "`" + rt.Scope + "`"
		if rt.Scope == "" {
			scope = "any authenticated caller"
		}
		b.WriteString("| " + method + " | `" + path + "` | " + scope + " |\n")
	}
	want := b.String()
	if got := doc[i+len(begin) : j]; got != want {
		if *update {
			if err := os.WriteFile(routesDoc, []byte(doc[:i+len(begin)]+want+doc[j:]), 0o644); err != nil {
				t.Fatal(err)
			}
			return
		}
		t.Fatalf("the routes table in %s is not the API's routes (run with -update):\n%s", routesDoc, want)
	}
}
