package mgmtapi_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/latchkey/latchkey/internal/policy"
)

// TestEveryRouteChecksItsScope: for every route the API registers, an org
// access token without the route's scope (nor its manage scope) is
// refused with 403 E0000006 before anything is read or changed, and one
// with the scope gets past the check.
func TestEveryRouteChecksItsScope(t *testing.T) {
	e := newAPIEnv(t)
	routes := e.app.Management.Routes()
	if len(routes) == 0 {
		t.Fatal("no routes")
	}
	// Two clients: one holding only okta.logs.read, one only okta.users.read.
	logsClient, _ := e.serviceClient("okta.logs.read")
	usersClient, _ := e.serviceClient("okta.users.read")
	logsToken := e.orgToken(logsClient, "okta.logs.read")
	usersToken := e.orgToken(usersClient, "okta.users.read")
	allClient, _ := e.serviceClient(policy.OktaScopes...)
	tokens := map[string]string{}
	param := regexp.MustCompile(`\{[^}]+\}`)
	for _, rt := range routes {
		if rt.Scope == "" {
			continue
		}
		method, path, _ := strings.Cut(rt.Pattern, " ")
		path = param.ReplaceAllString(path, "nothing")
		wrong := logsToken
		if strings.HasPrefix(rt.Scope, "okta.logs.") {
			wrong = usersToken
		}
		r := e.doAuth("Bearer "+wrong, method, path, "{}")
		wantError(t, r, http.StatusForbidden, "E0000006")
		if !strings.Contains(r.header.Get("WWW-Authenticate"), `scope="`+rt.Scope+`"`) {
			t.Errorf("%s: challenge %q does not name %s", rt.Pattern, r.header.Get("WWW-Authenticate"), rt.Scope)
		}
		if tokens[rt.Scope] == "" {
			tokens[rt.Scope] = e.orgToken(allClient, rt.Scope)
		}
		if r := e.doAuth("Bearer "+tokens[rt.Scope], method, path, "{}"); r.status == http.StatusForbidden || r.status == http.StatusUnauthorized {
			t.Errorf("%s with %s: %d %s", rt.Pattern, rt.Scope, r.status, r.raw)
		}
	}
}
