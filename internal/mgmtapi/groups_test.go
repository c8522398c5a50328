package mgmtapi_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/provision"
	"github.com/latchkey/latchkey/internal/store"
)

// nextLink is the rel="next" URL of an answer, or "".
func nextLink(t testing.TB, r resp) string {
	t.Helper()
	for _, l := range r.header.Values("Link") {
		if strings.HasSuffix(l, `rel="next"`) {
			u := strings.TrimSuffix(strings.TrimPrefix(l, "<"), `>; rel="next"`)
			if !strings.HasPrefix(u, "http://") {
				t.Fatalf("next link is not absolute: %s", l)
			}
			return u
		}
	}
	return ""
}

// listIDs follows next links from path and returns every id, and the
// number of pages.
func listIDs(t testing.TB, e *apiEnv, path string) ([]string, int) {
	t.Helper()
	var ids []string
	pages := 0
	for u := path; u != ""; pages++ {
		r := e.do("GET", u, nil)
		if r.status != http.StatusOK {
			t.Fatalf("GET %s: %d %s", u, r.status, r.raw)
		}
		var list []map[string]any
		r.decode(t, &list)
		for _, o := range list {
			ids = append(ids, o["id"].(string))
		}
		u = nextLink(t, r)
		if pages > 50 {
			t.Fatal("too many pages")
		}
	}
	return ids, pages
}

func createGroupAPI(t testing.TB, e *apiEnv, name, desc string) map[string]any {
	t.Helper()
	r := e.do("POST", "/api/v1/groups", map[string]any{"profile": map[string]any{"name": name, "description": desc}})
	if r.status != http.StatusOK {
		t.Fatalf("create group %s: %d %s", name, r.status, r.raw)
	}
	return r.obj(t)
}

func everyoneID(t testing.TB, e *apiEnv) string {
	t.Helper()
	g, err := e.app.Store.GetGroupByName(context.Background(), store.EveryoneGroupName)
	if err != nil {
		t.Fatal(err)
	}
	return g.ID
}

// TestGroupsCRUD: create, get, update and delete in Okta's shapes and
// errors; Everyone is listed as BUILT_IN and refuses every change.
func TestGroupsCRUD(t *testing.T) {
	t.Parallel()
	e := newAPIEnv(t)
	every := everyoneID(t, e)

	created := createGroupAPI(t, e, "Engineering", "People who build")
	id := created["id"].(string)
	if !strings.HasPrefix(id, "00g") || created["type"] != "OKTA_GROUP" {
		t.Fatalf("created: %v", created)
	}
	r := e.do("GET", "/api/v1/groups/"+id, nil)
	if r.status != http.StatusOK {
		t.Fatalf("get: %d %s", r.status, r.raw)
	}
	e.golden("group", r.raw)
	if links := r.obj(t)["_links"].(map[string]any); links["self"].(map[string]any)["href"] != e.base+"/api/v1/groups/"+id {
		t.Fatalf("self link: %v", links)
	}
	// The list's golden file holds Everyone (the ids' order is random).
	e.golden("groups-list", e.do("GET", "/api/v1/groups?filter="+url.QueryEscape(`type eq "BUILT_IN"`), nil).raw)
	r = e.do("GET", "/api/v1/groups", nil)
	var list []map[string]any
	r.decode(t, &list)
	if len(list) != 2 || list[0]["id"] != min(id, every) {
		t.Fatalf("list: %s", r.raw)
	}
	for _, g := range list {
		if g["id"] == every && (g["type"] != "BUILT_IN" || g["profile"].(map[string]any)["name"] != "Everyone") {
			t.Fatalf("Everyone: %v", g)
		}
	}

	// Refusals of create and update.
	for _, c := range []struct {
		body any
		code string
	}{
		{map[string]any{"profile": map[string]any{"name": "ENGINEERING"}}, "E0000001"}, // a taken name, in another case
		{map[string]any{"profile": map[string]any{"name": "  "}}, "E0000001"},
		{map[string]any{"profile": map[string]any{"name": "x", "description": strings.Repeat("d", 5000)}}, "E0000001"},
		{map[string]any{}, "E0000001"},
		{`{"profile":`, "E0000003"},
		{`{"profile":{"name":7}}`, "E0000003"},
	} {
		m := wantError(t, e.do("POST", "/api/v1/groups", c.body), http.StatusBadRequest, c.code)
		if c.code == "E0000001" && !strings.HasPrefix(m["errorSummary"].(string), "Api validation failed: ") {
			t.Fatalf("summary: %v", m)
		}
	}
	dup := wantError(t, e.do("POST", "/api/v1/groups", map[string]any{"profile": map[string]any{"name": "engineering"}}), http.StatusBadRequest, "E0000001")
	if causes := dup["errorCauses"].([]any); len(causes) != 1 || !strings.Contains(causes[0].(map[string]any)["errorSummary"].(string), "already exists") {
		t.Fatalf("duplicate's causes: %v", dup)
	}
	wantError(t, e.do("GET", "/api/v1/groups/00gnothing", nil), http.StatusNotFound, "E0000007")

	// Update: the profile is replaced; lastUpdated moves, created does not.
	time.Sleep(5 * time.Millisecond)
	r = e.do("PUT", "/api/v1/groups/"+id, map[string]any{"profile": map[string]any{"name": "Platform", "description": ""}, "id": "ignored"})
	if r.status != http.StatusOK {
		t.Fatalf("update: %d %s", r.status, r.raw)
	}
	updated := r.obj(t)
	if p := updated["profile"].(map[string]any); p["name"] != "Platform" || p["description"] != "" || updated["id"] != id ||
		updated["created"] != created["created"] || updated["lastUpdated"] == created["lastUpdated"] {
		t.Fatalf("updated: %v (created %v)", updated, created)
	}
	if g, err := e.app.Store.GetGroupByName(context.Background(), "platform"); err != nil || g.ID != id {
		t.Fatalf("stored after update: %v %v", g, err)
	}
	createGroupAPI(t, e, "Sales", "")
	wantError(t, e.do("PUT", "/api/v1/groups/"+id, map[string]any{"profile": map[string]any{"name": "SALES"}}), http.StatusBadRequest, "E0000001")
	wantError(t, e.do("PUT", "/api/v1/groups/"+id, map[string]any{"profile": map[string]any{}}), http.StatusBadRequest, "E0000001")
	wantError(t, e.do("PUT", "/api/v1/groups/00gnothing", map[string]any{"profile": map[string]any{"name": "x"}}), http.StatusNotFound, "E0000007")

	// Everyone cannot be changed or deleted, nor take stored members.
	wantError(t, e.do("PUT", "/api/v1/groups/"+every, map[string]any{"profile": map[string]any{"name": "All"}}), http.StatusForbidden, "E0000006")
	wantError(t, e.do("DELETE", "/api/v1/groups/"+every, nil), http.StatusForbidden, "E0000006")
	if g, err := e.app.Store.GetGroup(context.Background(), every); err != nil || g.Name != "Everyone" {
		t.Fatalf("Everyone after refusals: %v %v", g, err)
	}

	// Delete.
	if r := e.do("DELETE", "/api/v1/groups/"+id, nil); r.status != http.StatusNoContent || len(r.raw) != 0 {
		t.Fatalf("delete: %d %s", r.status, r.raw)
	}
	wantError(t, e.do("GET", "/api/v1/groups/"+id, nil), http.StatusNotFound, "E0000007")
	wantError(t, e.do("DELETE", "/api/v1/groups/"+id, nil), http.StatusNotFound, "E0000007")
	createGroupAPI(t, e, "Platform", "the name is free again")
}

// TestGroupsListQueries: q, filter, search, limit and after across pages.
func TestGroupsListQueries(t *testing.T) {
	t.Parallel()
	e := newAPIEnv(t)
	every := everyoneID(t, e)
	var eng []string
	var sales time.Time // Sales's lastMembershipUpdated, as shown (whole milliseconds)
	for _, n := range []string{"Eng-Backend", "Eng-Frontend", "eng-Infra", "Engagement", "Sales"} {
		g := createGroupAPI(t, e, n, "")
		eng = append(eng, g["id"].(string))
		var err error
		if sales, err = time.Parse(time.RFC3339Nano, g["lastMembershipUpdated"].(string)); err != nil {
			t.Fatal(err)
		}
	}
	// mid often falls in the millisecond Sales was stamped in: a bound
	// compares with the time as shown, not rounded to a millisecond.
	mid := time.Now().UTC()
	halfMs := sales.Add(500 * time.Microsecond).Format(time.RFC3339Nano)
	time.Sleep(5 * time.Millisecond)
	late := createGroupAPI(t, e, "Late", "made after mid")["id"].(string)

	all, pages := listIDs(t, e, "/api/v1/groups?limit=2")
	if len(all) != 7 || pages != 4 || !slices.IsSorted(all) {
		t.Fatalf("paged list: %v in %d pages", all, pages)
	}
	for _, c := range []struct {
		query string
		want  []string
	}{
		{"q=eng-", sorted(slices.Clone(eng[:3])...)},
		{"q=ENG", sorted(slices.Clone(eng[:4])...)},
		{"q=nothing", nil},
		{"filter=" + url.QueryEscape(`type eq "BUILT_IN"`), []string{every}},
		{"filter=" + url.QueryEscape(`type eq "OKTA_GROUP" and lastUpdated gt "`+mid.Format(time.RFC3339Nano)+`"`), []string{late}},
		{"filter=" + url.QueryEscape(`lastMembershipUpdated lt "`+mid.Format(time.RFC3339Nano)+`" and (id eq "`+eng[4]+`" or id eq "`+every+`")`), sorted(eng[4], every)},
		{"filter=" + url.QueryEscape(`lastMembershipUpdated lt "`+halfMs+`" and id eq "`+eng[4]+`"`), []string{eng[4]}},
		{"filter=" + url.QueryEscape(`lastMembershipUpdated ge "`+halfMs+`" and id eq "`+eng[4]+`"`), nil},
		{"filter=" + url.QueryEscape(`lastMembershipUpdated eq "`+halfMs+`"`), nil},
		{"filter=" + url.QueryEscape(`lastMembershipUpdated eq "`+sales.Format(time.RFC3339Nano)+`" and id eq "`+eng[4]+`"`), []string{eng[4]}},
		{"filter=" + url.QueryEscape(`id eq "`+eng[1]+`"`), []string{eng[1]}},
		{"search=" + url.QueryEscape(`profile.name sw "eng-" or profile.name eq "sales"`), sorted(eng[0], eng[1], eng[2], eng[4])},
		{"search=" + url.QueryEscape(`profile.description eq "made after mid"`), []string{late}},
		{"q=Eng&filter=" + url.QueryEscape(`id eq "`+eng[3]+`"`), []string{eng[3]}},
		{"q=Eng&limit=1", sorted(slices.Clone(eng[:4])...)}, // paged by one
	} {
		got, _ := listIDs(t, e, "/api/v1/groups?"+c.query)
		if !slices.Equal(got, c.want) {
			t.Errorf("%s: got %v, want %v", c.query, got, c.want)
		}
	}
	for _, bad := range []string{`type eq`, `type eq "BUILT_IN" and`, `name eq "x"`, `type co "BUILT"`, `lastUpdated gt "yesterday"`,
		`type eq BUILT_IN`, `(type eq "BUILT_IN"`, strings.Repeat(`id eq "x" or `, 40) + `id eq "y"`, `profile.name sw "x"`} {
		wantError(t, e.do("GET", "/api/v1/groups?filter="+url.QueryEscape(bad), nil), http.StatusBadRequest, "E0000031")
	}
	wantError(t, e.do("GET", "/api/v1/groups?search="+url.QueryEscape(`profile.name gt "a"`), nil), http.StatusBadRequest, "E0000031")
	wantError(t, e.do("GET", "/api/v1/groups?limit=0", nil), http.StatusBadRequest, "E0000001")
	wantError(t, e.do("GET", "/api/v1/groups?after=nonsense", nil), http.StatusBadRequest, "E0000001")
}

func sorted(ids ...string) []string {
	slices.Sort(ids)
	return ids
}

// TestGroupMembers: add, list and remove members; Everyone lists every
// user; lastMembershipUpdated moves; the user's next tokens carry the
// group in a groups claim, and stop carrying it when removed.
func TestGroupMembers(t *testing.T) {
	t.Parallel()
	e := newAPIEnv(t)
	ctx := context.Background()
	p := e.app.Provision
	var users []string
	for _, login := range []string{"ada@example.com", "bob@example.com", "cy@example.com"} {
		u, err := p.CreateUser(ctx, provision.UserInput{Login: login, Password: "a long passphrase"})
		if err != nil {
			t.Fatal(err)
		}
		users = append(users, u.ID)
	}
	solo := createGroupAPI(t, e, "Solo", "")["id"].(string)
	if r := e.do("PUT", "/api/v1/groups/"+solo+"/users/"+users[1], nil); r.status != http.StatusNoContent {
		t.Fatalf("add: %d %s", r.status, r.raw)
	}
	e.golden("group-users", e.do("GET", "/api/v1/groups/"+solo+"/users", nil).raw)
	ada, cy := users[0], users[2]
	slices.Sort(users)
	g := createGroupAPI(t, e, "Eng-Core", "")
	gid := g["id"].(string)
	base := "/api/v1/groups/" + gid + "/users"

	time.Sleep(5 * time.Millisecond)
	members := sorted(ada, cy)
	for _, u := range []string{members[0], members[1], ada} { // adding twice is fine
		if r := e.do("PUT", base+"/"+u, nil); r.status != http.StatusNoContent {
			t.Fatalf("add %s: %d %s", u, r.status, r.raw)
		}
	}
	after := e.do("GET", "/api/v1/groups/"+gid, nil).obj(t)
	if after["lastMembershipUpdated"] == g["lastMembershipUpdated"] || after["lastUpdated"] != g["lastUpdated"] {
		t.Fatalf("times after adding members: %v, before %v", after, g)
	}
	got, _ := listIDs(t, e, base)
	if !slices.Equal(got, members) {
		t.Fatalf("members: %v", got)
	}
	if got, pages := listIDs(t, e, base+"?limit=1"); !slices.Equal(got, members) || pages != 2 {
		t.Fatalf("members paged: %v in %d", got, pages)
	}
	every := everyoneID(t, e)
	if got, _ := listIDs(t, e, "/api/v1/groups/"+every+"/users?limit=2"); !slices.Equal(got, users) {
		t.Fatalf("Everyone's members: %v, want %v", got, users)
	}
	wantError(t, e.do("PUT", base+"/00unobody", nil), http.StatusNotFound, "E0000007")
	wantError(t, e.do("PUT", "/api/v1/groups/00gnothing/users/"+users[0], nil), http.StatusNotFound, "E0000007")
	wantError(t, e.do("GET", "/api/v1/groups/00gnothing/users", nil), http.StatusNotFound, "E0000007")
	wantError(t, e.do("PUT", "/api/v1/groups/"+every+"/users/"+users[0], nil), http.StatusForbidden, "E0000006")
	wantError(t, e.do("DELETE", "/api/v1/groups/"+every+"/users/"+users[0], nil), http.StatusForbidden, "E0000006")

	// The effect on tokens: a groups claim on the default server.
	if _, err := p.PutClaim(ctx, provision.ClaimInput{AuthServerID: provision.DefaultServerID, Name: "groups", ClaimType: store.ClaimResource,
		ValueType: store.ClaimGroups, GroupFilterType: "STARTS_WITH", Value: "Eng", AlwaysIncludeInToken: true}); err != nil {
		t.Fatal(err)
	}
	client, secret, err := p.CreateClient(ctx, provision.ClientInput{Name: "app", GrantTypes: []string{"password"}})
	if err != nil {
		t.Fatal(err)
	}
	groupsClaim := func() []any {
		t.Helper()
		form := url.Values{"grant_type": {"password"}, "username": {"ada@example.com"}, "password": {"a long passphrase"}, "scope": {"openid"}}
		req, _ := http.NewRequest("POST", e.base+"/oauth2/default/v1/token", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(client.ID, secret)
		res, err := e.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var body map[string]any
		if err := json.NewDecoder(res.Body).Decode(&body); err != nil || res.StatusCode != http.StatusOK {
			t.Fatalf("token: %d %v %v", res.StatusCode, body, err)
		}
		parts := strings.Split(body["access_token"].(string), ".")
		raw, err := base64.RawURLEncoding.DecodeString(parts[1])
		if err != nil {
			t.Fatal(err)
		}
		var claims map[string]any
		if err := json.Unmarshal(raw, &claims); err != nil {
			t.Fatal(err)
		}
		l, _ := claims["groups"].([]any)
		return l
	}
	if got := groupsClaim(); len(got) != 1 || got[0] != "Eng-Core" {
		t.Fatalf("groups claim of a member: %v", got)
	}
	r := e.do("PUT", "/api/v1/groups/"+gid, map[string]any{"profile": map[string]any{"name": "Eng-Platform"}})
	if r.status != http.StatusOK {
		t.Fatalf("rename: %d %s", r.status, r.raw)
	}
	if got := groupsClaim(); len(got) != 1 || got[0] != "Eng-Platform" {
		t.Fatalf("groups claim after a rename: %v", got)
	}
	for range 2 { // removing twice is fine
		if r := e.do("DELETE", base+"/"+ada, nil); r.status != http.StatusNoContent {
			t.Fatalf("remove: %d %s", r.status, r.raw)
		}
	}
	if got := groupsClaim(); len(got) != 0 {
		t.Fatalf("groups claim after removal: %v", got)
	}
	if got, _ := listIDs(t, e, base); !slices.Equal(got, []string{cy}) {
		t.Fatalf("members after removal: %v", got)
	}
	wantError(t, e.do("DELETE", base+"/00unobody", nil), http.StatusNotFound, "E0000007")
}

// TestGroupApps: the apps a group is assigned to, paged; Everyone's are
// the apps made with the default assignment.
func TestGroupApps(t *testing.T) {
	t.Parallel()
	e := newAPIEnv(t)
	ctx := context.Background()
	gid := createGroupAPI(t, e, "Ops", "")["id"].(string)
	var apps []string
	for _, n := range []string{"ops app", "unassigned", "ops app"} { // one name: the golden list does not depend on the ids' order
		c, _, err := e.app.Provision.CreateClient(ctx, provision.ClientInput{Name: n, GrantTypes: []string{"client_credentials"}, NoEveryone: true})
		if err != nil {
			t.Fatal(err)
		}
		if n != "unassigned" {
			if err := e.app.Store.AssignClient(ctx, c.ID, gid); err != nil {
				t.Fatal(err)
			}
			apps = append(apps, c.ID)
		}
	}
	slices.Sort(apps)
	everyApp, _, err := e.app.Provision.CreateClient(ctx, provision.ClientInput{Name: "for all", GrantTypes: []string{"client_credentials"}})
	if err != nil {
		t.Fatal(err)
	}
	r := e.do("GET", "/api/v1/groups/"+gid+"/apps", nil)
	e.golden("group-apps", r.raw)
	if strings.Contains(string(r.raw), `"client_secret"`) {
		t.Fatalf("a secret in the list: %s", r.raw)
	}
	if got, pages := listIDs(t, e, "/api/v1/groups/"+gid+"/apps?limit=1"); !slices.Equal(got, apps) || pages != 2 {
		t.Fatalf("apps: %v in %d pages, want %v", got, pages, apps)
	}
	got, _ := listIDs(t, e, "/api/v1/groups/"+everyoneID(t, e)+"/apps")
	if !slices.Contains(got, everyApp.ID) || slices.Contains(got, apps[0]) {
		t.Fatalf("Everyone's apps: %v", got)
	}
	wantError(t, e.do("GET", "/api/v1/groups/00gnothing/apps", nil), http.StatusNotFound, "E0000007")
	// Deleting the group drops its assignments.
	if r := e.do("DELETE", "/api/v1/groups/"+gid, nil); r.status != http.StatusNoContent {
		t.Fatalf("delete: %d", r.status)
	}
	if ids, err := e.app.Store.ListClientAssignments(ctx, apps[0]); err != nil || len(ids) != 0 {
		t.Fatalf("assignments after delete: %v %v", ids, err)
	}
}

var scopeRoutes = regexp.MustCompile(`\{[a-zA-Z]+\}`)

// TestGroupsAndLogsScopes: each route refuses a Bearer token without its
// scope (403 E0000006) and serves one with it.
func TestGroupsAndLogsScopes(t *testing.T) {
	t.Parallel()
	e := newAPIEnv(t)
	gid := createGroupAPI(t, e, "Scoped", "")["id"].(string)
	clientID, _ := e.serviceClient("okta.logs.read", "okta.groups.read", "okta.users.read")
	logsOnly := "Bearer " + e.orgToken(clientID, "okta.logs.read")
	groupsRead := "Bearer " + e.orgToken(clientID, "okta.groups.read")
	for _, rt := range []struct{ method, path, scope string }{
		{"GET", "/api/v1/groups", "okta.groups.read"},
		{"POST", "/api/v1/groups", "okta.groups.manage"},
		{"GET", "/api/v1/groups/{groupId}", "okta.groups.read"},
		{"PUT", "/api/v1/groups/{groupId}", "okta.groups.manage"},
		{"DELETE", "/api/v1/groups/{groupId}", "okta.groups.manage"},
		{"GET", "/api/v1/groups/{groupId}/users", "okta.groups.read"},
		{"PUT", "/api/v1/groups/{groupId}/users/{userId}", "okta.groups.manage"},
		{"DELETE", "/api/v1/groups/{groupId}/users/{userId}", "okta.groups.manage"},
		{"GET", "/api/v1/groups/{groupId}/apps", "okta.groups.read"},
		{"GET", "/api/v1/logs", "okta.logs.read"},
	} {
		path := scopeRoutes.ReplaceAllStringFunc(rt.path, func(s string) string {
			if s == "{groupId}" {
				return gid
			}
			return "00unobody"
		})
		wrong := logsOnly
		if rt.scope == "okta.logs.read" {
			wrong = groupsRead
		}
		wantError(t, e.doAuth(wrong, rt.method, path, map[string]any{"profile": map[string]any{"name": "x"}}), http.StatusForbidden, "E0000006")
		if rt.scope == "okta.groups.manage" {
			// A read scope does not let a token write.
			wantError(t, e.doAuth(groupsRead, rt.method, path, map[string]any{"profile": map[string]any{"name": "x"}}), http.StatusForbidden, "E0000006")
			continue
		}
		right := groupsRead
		if rt.scope == "okta.logs.read" {
			right = logsOnly
		}
		if r := e.doAuth(right, rt.method, path, nil); r.status != http.StatusOK {
			t.Errorf("%s %s with %s: %d %s", rt.method, rt.path, rt.scope, r.status, r.raw)
		}
	}
}
