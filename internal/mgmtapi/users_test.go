package mgmtapi_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/latchkey/latchkey/internal/store"
)

const goodPassword = "a long passphrase 4 tests"

// newUser creates a user through the API and returns its id.
func (e *apiEnv) newUser(query string, body map[string]any) string {
	e.t.Helper()
	r := e.do("POST", "/api/v1/users"+query, body)
	if r.status != http.StatusOK {
		e.t.Fatalf("create user: %d %s", r.status, r.raw)
	}
	return r.obj(e.t)["id"].(string)
}

func profile(login string, more ...string) map[string]any {
	p := map[string]any{"login": login, "email": login}
	for i := 0; i+1 < len(more); i += 2 {
		p[more[i]] = more[i+1]
	}
	return p
}

func withPassword(p map[string]any, pw string) map[string]any {
	return map[string]any{"profile": p, "credentials": map[string]any{"password": map[string]any{"value": pw}}}
}

func (e *apiEnv) status(id string) string {
	e.t.Helper()
	r := e.do("GET", "/api/v1/users/"+id, nil)
	if r.status != http.StatusOK {
		e.t.Fatalf("get %s: %d %s", id, r.status, r.raw)
	}
	return r.obj(e.t)["status"].(string)
}

func causes(m map[string]any) []string {
	var out []string
	list, _ := m["errorCauses"].([]any)
	for _, c := range list {
		s, _ := c.(map[string]any)["errorSummary"].(string)
		out = append(out, s)
	}
	return out
}

// TestUsersCreate: the statuses activate and the credentials give, the
// imported bcrypt hash, and Okta's refusals.
func TestUsersCreate(t *testing.T) {
	e := newAPIEnv(t)
	r := e.do("POST", "/api/v1/users", withPassword(profile("ada@example.com", "firstName", "Ada", "lastName", "Lovelace",
		"locale", "en_GB", "zoneInfo", "Europe/London"), goodPassword))
	if r.status != http.StatusOK {
		t.Fatalf("create: %d %s", r.status, r.raw)
	}
	e.golden("user", r.raw)
	ada := r.obj(t)["id"].(string)

	for _, c := range []struct {
		query string
		body  map[string]any
		want  string
	}{
		{"", map[string]any{"profile": profile("p@example.com")}, store.UserProvisioned},
		{"?activate=false", map[string]any{"profile": profile("s@example.com")}, store.UserStaged},
		{"?activate=false", withPassword(profile("s2@example.com"), goodPassword), store.UserStaged},
		{"?activate=true&nextLogin=changePassword", withPassword(profile("x@example.com"), goodPassword), store.UserPasswordExpired},
	} {
		r := e.do("POST", "/api/v1/users"+c.query, c.body)
		if r.status != http.StatusOK || r.obj(t)["status"] != c.want {
			t.Errorf("create%s %v: %d %s, want %s", c.query, c.body["profile"], r.status, r.raw, c.want)
		}
	}
	r = e.do("POST", "/api/v1/users?activate=false", map[string]any{"profile": profile("staged@example.com", "firstName", "Sam")})
	e.golden("user-staged", r.raw)

	// An imported bcrypt hash: the modular crypt string is rebuilt from
	// Okta's salt and value, and the password verifies.
	hash, err := bcrypt.GenerateFromPassword([]byte("an imported passphrase"), 4)
	if err != nil {
		t.Fatal(err)
	}
	h := string(hash) // $2a$04$ + 22 salt + 31 value
	r = e.do("POST", "/api/v1/users", map[string]any{"profile": profile("imported@example.com"),
		"credentials": map[string]any{"password": map[string]any{"hash": map[string]any{"algorithm": "BCRYPT", "workFactor": 4, "salt": h[7:29], "value": h[29:]}}}})
	if r.status != http.StatusOK || r.obj(t)["status"] != store.UserActive {
		t.Fatalf("import: %d %s", r.status, r.raw)
	}
	imported := r.obj(t)["id"].(string)
	u, err := e.app.Store.GetUser(context.Background(), imported)
	if err != nil || u.PasswordHash != h {
		t.Fatalf("stored hash %q, want %q (%v)", u.PasswordHash, h, err)
	}
	r = e.do("POST", "/api/v1/users/"+imported+"/credentials/change_password",
		map[string]any{"oldPassword": map[string]any{"value": "an imported passphrase"}, "newPassword": map[string]any{"value": goodPassword}})
	if r.status != http.StatusOK {
		t.Fatalf("the imported password does not verify: %d %s", r.status, r.raw)
	}

	refusals := []struct {
		name  string
		query string
		body  any
		code  string
		cause string
	}{
		{"duplicate login in another case", "", withPassword(profile("ADA@example.com"), goodPassword), "E0000001",
			"login: An object with this field already exists in the current organization"},
		{"SHA-512 hash", "", map[string]any{"profile": profile("sha@example.com"),
			"credentials": map[string]any{"password": map[string]any{"hash": map[string]any{"algorithm": "SHA-512", "salt": "abc", "value": "def"}}}},
			"E0000001", `password.hash.algorithm: Latchkey cannot import "SHA-512" hashes`},
		{"short bcrypt salt", "", map[string]any{"profile": profile("b@example.com"),
			"credentials": map[string]any{"password": map[string]any{"hash": map[string]any{"algorithm": "BCRYPT", "workFactor": 10, "salt": "short", "value": h[29:]}}}},
			"E0000001", "password.hash.salt"},
		{"weak password", "", withPassword(profile("weak@example.com"), "short"), "E0000001", "password: "},
		{"no login", "", map[string]any{"profile": map[string]any{"email": "n@example.com"}}, "E0000001", "login: "},
		{"bad email", "", map[string]any{"profile": profile("ok@example.com", "email", "not an email")}, "E0000001", "email: "},
		{"unknown attribute", "", map[string]any{"profile": profile("c@example.com", "costCenter", "42")}, "E0000001", "profile.costCenter"},
		{"no profile", "", map[string]any{}, "E0000001", "profile: "},
		{"not JSON", "", "{", "E0000003", ""},
		{"bad activate", "?activate=maybe", map[string]any{"profile": profile("m@example.com")}, "E0000001", "activate"},
	}
	for _, c := range refusals {
		m := wantError(t, e.do("POST", "/api/v1/users"+c.query, c.body), http.StatusBadRequest, c.code)
		if cs := causes(m); c.cause != "" && !slices.ContainsFunc(cs, func(s string) bool { return strings.HasPrefix(s, c.cause) }) {
			t.Errorf("%s: causes %q, want one starting %q", c.name, cs, c.cause)
		}
	}
	if m := wantError(t, e.do("POST", "/api/v1/users", withPassword(profile("Ada@Example.com"), goodPassword)), 400, "E0000001"); m["errorSummary"] != "Api validation failed: login" {
		t.Errorf("duplicate summary: %v", m["errorSummary"])
	}

	// Get by id, by login; unknown and me are 404.
	for _, key := range []string{ada, "ada@example.com", url.PathEscape("ADA@example.com")} {
		if r := e.do("GET", "/api/v1/users/"+key, nil); r.status != 200 || r.obj(t)["id"] != ada {
			t.Errorf("get %s: %d %s", key, r.status, r.raw)
		}
	}
	wantError(t, e.do("GET", "/api/v1/users/00u0000000000000000", nil), http.StatusNotFound, "E0000007")
	wantError(t, e.do("GET", "/api/v1/users/me", nil), http.StatusNotFound, "E0000007")
}

// TestUsersUpdate: POST merges, PUT replaces, a password set revokes,
// a deactivated user cannot change.
func TestUsersUpdate(t *testing.T) {
	e := newAPIEnv(t)
	id := e.newUser("", withPassword(profile("grace@example.com", "firstName", "Grace", "lastName", "Hopper", "locale", "en_US"), goodPassword))
	r := e.do("POST", "/api/v1/users/"+id, map[string]any{"profile": map[string]any{"firstName": "Amazing Grace", "locale": nil}})
	if r.status != 200 {
		t.Fatalf("partial: %d %s", r.status, r.raw)
	}
	p := r.obj(t)["profile"].(map[string]any)
	if p["firstName"] != "Amazing Grace" || p["lastName"] != "Hopper" || p["email"] != "grace@example.com" || p["locale"] != nil {
		t.Errorf("partial update: %v", p)
	}
	r = e.do("PUT", "/api/v1/users/"+id, map[string]any{"profile": map[string]any{"login": "grace.hopper@example.com", "lastName": "Hopper"}})
	if r.status != 200 {
		t.Fatalf("full: %d %s", r.status, r.raw)
	}
	p = r.obj(t)["profile"].(map[string]any)
	if p["login"] != "grace.hopper@example.com" || p["firstName"] != nil || p["email"] != nil || p["lastName"] != "Hopper" {
		t.Errorf("full update: %v", p)
	}
	e.golden("user-updated", r.raw)
	u, _ := e.app.Store.GetUserByLogin(context.Background(), "grace.hopper@example.com")
	if u.ID != id {
		t.Fatalf("stored login not changed: %+v", u)
	}
	wantError(t, e.do("PUT", "/api/v1/users/"+id, map[string]any{"profile": map[string]any{"email": "x@example.com"}}), 400, "E0000001")

	// A new password: the history refuses the current one, a new one is
	// stored and moves passwordChanged.
	wantError(t, e.do("POST", "/api/v1/users/"+id, map[string]any{"credentials": map[string]any{"password": map[string]any{"value": goodPassword}}}), 400, "E0000001")
	before := u.PasswordChangedAt
	r = e.do("POST", "/api/v1/users/"+id, map[string]any{"credentials": map[string]any{"password": map[string]any{"value": "another long passphrase"}}})
	if r.status != 200 {
		t.Fatalf("set password: %d %s", r.status, r.raw)
	}
	u, _ = e.app.Store.GetUser(context.Background(), id)
	if !u.PasswordChangedAt.After(before) || !u.TokensValidAfter.Equal(u.PasswordChangedAt) {
		t.Errorf("password change not stored with its watermark: %+v", u)
	}

	// Deactivated: profile updates are 403 E0000038.
	if r := e.do("POST", "/api/v1/users/"+id+"/lifecycle/deactivate", nil); r.status != 200 {
		t.Fatalf("deactivate: %d %s", r.status, r.raw)
	}
	wantError(t, e.do("POST", "/api/v1/users/"+id, map[string]any{"profile": map[string]any{"firstName": "G"}}), http.StatusForbidden, "E0000038")
	wantError(t, e.do("POST", "/api/v1/users/00u0000000000000000", map[string]any{"profile": map[string]any{}}), 404, "E0000007")

	// DELETE: a user not deactivated is deactivated first; a deactivated
	// one is deleted.
	other := e.newUser("", withPassword(profile("del@example.com"), goodPassword))
	if r := e.do("DELETE", "/api/v1/users/"+other, nil); r.status != http.StatusNoContent {
		t.Fatalf("delete 1: %d %s", r.status, r.raw)
	}
	if s := e.status(other); s != store.UserDeprovisioned {
		t.Fatalf("after the first DELETE: %s", s)
	}
	if r := e.do("DELETE", "/api/v1/users/"+other, nil); r.status != http.StatusNoContent {
		t.Fatalf("delete 2: %d %s", r.status, r.raw)
	}
	wantError(t, e.do("GET", "/api/v1/users/"+other, nil), 404, "E0000007")
	wantError(t, e.do("DELETE", "/api/v1/users/"+other, nil), 404, "E0000007")
}

// TestUsersLifecycle: each operation's status change and Okta's refusals.
func TestUsersLifecycle(t *testing.T) {
	e := newAPIEnv(t)
	id := e.newUser("", withPassword(profile("alan@example.com"), goodPassword))
	staged := e.newUser("?activate=false", map[string]any{"profile": profile("staged@example.com")})
	provisioned := e.newUser("", map[string]any{"profile": profile("prov@example.com")})
	lc := func(id, op string) resp { return e.do("POST", "/api/v1/users/"+id+"/lifecycle/"+op, nil) }
	ok := func(id, op, want string) {
		t.Helper()
		r := lc(id, op)
		if r.status != http.StatusOK {
			t.Fatalf("%s: %d %s", op, r.status, r.raw)
		}
		if s := e.status(id); s != want {
			t.Fatalf("after %s: %s, want %s", op, s, want)
		}
	}
	ok(id, "suspend", store.UserSuspended)
	m := wantError(t, lc(id, "suspend"), 400, "E0000001")
	if cs := causes(m); len(cs) != 1 || cs[0] != "Cannot suspend a user that is not active" {
		t.Errorf("suspend twice: %q", cs)
	}
	wantError(t, lc(id, "expire_password"), 400, "E0000001")
	ok(id, "unsuspend", store.UserActive)
	wantError(t, lc(id, "unsuspend"), 400, "E0000001")
	wantError(t, lc(id, "unlock"), http.StatusForbidden, "E0000032")
	wantError(t, lc(id, "activate"), http.StatusForbidden, "E0000016")
	wantError(t, lc(id, "reactivate"), http.StatusForbidden, "E0000038")

	r := lc(id, "expire_password")
	if r.status != 200 || r.obj(t)["status"] != store.UserPasswordExpired {
		t.Fatalf("expire_password answers the user: %d %s", r.status, r.raw)
	}
	wantError(t, e.do("POST", "/api/v1/users/"+id+"/lifecycle/expire_password?tempPassword=true", nil), 400, "E0000001")

	wantError(t, lc(id, "reset_password"), 400, "E0000001") // sendEmail defaults to true
	if r := e.do("POST", "/api/v1/users/"+id+"/lifecycle/reset_password?sendEmail=false", nil); r.status != 200 || string(r.raw) != "{}\n" {
		t.Fatalf("reset_password: %d %s", r.status, r.raw)
	}
	if s := e.status(id); s != store.UserRecovery {
		t.Fatalf("after reset_password: %s", s)
	}
	// An operator's new password ends the recovery.
	if r := e.do("POST", "/api/v1/users/"+id, map[string]any{"credentials": map[string]any{"password": map[string]any{"value": "a recovered passphrase"}}}); r.status != 200 || r.obj(t)["status"] != store.UserActive {
		t.Fatalf("set password in RECOVERY: %d %s", r.status, r.raw)
	}

	// Locked out (only the login guard locks): unlock makes it ACTIVE.
	if _, err := e.app.Store.UpdateUser(context.Background(), id, func(u store.User) (store.User, error) {
		u.Status = store.UserLockedOut
		return u, nil
	}); err != nil {
		t.Fatal(err)
	}
	ok(id, "unlock", store.UserActive)

	ok(id, "deactivate", store.UserDeprovisioned)
	wantError(t, lc(id, "deactivate"), 400, "E0000001")
	ok(id, "activate", store.UserActive) // it has a password

	before := e.do("GET", "/api/v1/users/"+staged, nil).obj(t)
	if before["activated"] != nil || before["statusChanged"] != nil {
		t.Errorf("a staged user was never activated nor changed status: %v %v", before["activated"], before["statusChanged"])
	}
	ok(staged, "activate", store.UserProvisioned) // it has none
	after := e.do("GET", "/api/v1/users/"+staged, nil).obj(t)
	if after["activated"] == nil || after["statusChanged"] != after["activated"] {
		t.Errorf("activate: activated %v, statusChanged %v", after["activated"], after["statusChanged"])
	}
	ok(provisioned, "reactivate", store.UserProvisioned)
	wantError(t, lc(provisioned, "activate"), 400, "E0000001")
	wantError(t, lc("00u0000000000000000", "suspend"), 404, "E0000007")

	// Each status's _links name what it allows.
	for _, c := range []struct {
		id   string
		want []string
	}{
		{id, []string{"changePassword", "deactivate", "expirePassword", "resetPassword", "self", "suspend"}},
		{provisioned, []string{"deactivate", "reactivate", "self"}},
	} {
		links := e.do("GET", "/api/v1/users/"+c.id, nil).obj(t)["_links"].(map[string]any)
		var got []string
		for k, v := range links {
			got = append(got, k)
			href := v.(map[string]any)["href"].(string)
			if !strings.HasPrefix(href, e.base+"/api/v1/users/"+c.id) {
				t.Errorf("%s link %s", k, href)
			}
		}
		slices.Sort(got)
		if !slices.Equal(got, c.want) {
			t.Errorf("links %v, want %v", got, c.want)
		}
	}
}

// TestUsersChangePassword: the old password is checked, the new one
// goes through the policy, the answer is Okta's credentials object.
func TestUsersChangePassword(t *testing.T) {
	e := newAPIEnv(t)
	id := e.newUser("", withPassword(profile("edsger@example.com", "firstName", "Edsger"), goodPassword))
	change := func(old, nw string) resp {
		return e.do("POST", "/api/v1/users/"+id+"/credentials/change_password",
			map[string]any{"oldPassword": map[string]any{"value": old}, "newPassword": map[string]any{"value": nw}})
	}
	m := wantError(t, change("not the password", "a brand new passphrase"), http.StatusForbidden, "E0000014")
	if cs := causes(m); len(cs) != 1 || cs[0] != "oldPassword: The credentials provided were incorrect." {
		t.Errorf("causes %q", cs)
	}
	wantError(t, change(goodPassword, "edsger12345"), 400, "E0000001") // contains the first name
	wantError(t, e.do("POST", "/api/v1/users/"+id+"/credentials/change_password", map[string]any{"oldPassword": map[string]any{"value": goodPassword}}), 400, "E0000001")
	r := change(goodPassword, "a brand new passphrase")
	if r.status != 200 {
		t.Fatalf("change: %d %s", r.status, r.raw)
	}
	e.golden("user-credentials", r.raw)
	wantError(t, change(goodPassword, "yet another passphrase"), http.StatusForbidden, "E0000014")
	staged := e.newUser("?activate=false", map[string]any{"profile": profile("nopw@example.com")})
	wantError(t, e.do("POST", "/api/v1/users/"+staged+"/credentials/change_password",
		map[string]any{"oldPassword": map[string]any{"value": "x"}, "newPassword": map[string]any{"value": goodPassword}}), http.StatusForbidden, "E0000038")
}

// TestUsersList: q, filter, search, the default leaving out deactivated
// users, paging through Link rel="next", and Okta's E0000031.
func TestUsersList(t *testing.T) {
	e := newAPIEnv(t)
	names := []string{"ada", "alan", "barbara", "grace", "edsger", "adele", "john"}
	ids := map[string]string{}
	for i, n := range names {
		q := ""
		if i%3 == 2 {
			q = "?activate=false"
		}
		ids[n] = e.newUser(q, withPassword(profile(n+"@example.com", "firstName", strings.ToUpper(n[:1])+n[1:], "lastName", "L"+n), goodPassword))
	}
	if r := e.do("POST", "/api/v1/users/"+ids["john"]+"/lifecycle/deactivate", nil); r.status != 200 {
		t.Fatal(r.status)
	}
	logins := func(path string) []string {
		t.Helper()
		r := e.do("GET", path, nil)
		if r.status != 200 {
			t.Fatalf("%s: %d %s", path, r.status, r.raw)
		}
		var list []map[string]any
		r.decode(t, &list)
		out := []string{}
		for _, u := range list {
			out = append(out, strings.TrimSuffix(u["profile"].(map[string]any)["login"].(string), "@example.com"))
		}
		slices.Sort(out)
		return out
	}
	q := url.QueryEscape
	for _, c := range []struct {
		query string
		want  []string
	}{
		{"", []string{"ada", "adele", "alan", "barbara", "edsger", "grace"}}, // john is DEPROVISIONED
		{"?q=ad", []string{"ada", "adele"}},
		{"?q=LGR", []string{"grace"}}, // last name
		{"?filter=" + q(`status eq "STAGED"`), []string{"barbara", "adele"}},
		{"?filter=" + q(`status eq "DEPROVISIONED"`), []string{"john"}},
		{"?filter=" + q(`profile.login eq "Grace@Example.com"`), []string{"grace"}},
		{"?filter=" + q(`status eq "STAGED" or profile.firstName eq "alan"`), []string{"adele", "alan", "barbara"}},
		{"?filter=" + q(`lastUpdated gt "2000-01-01T00:00:00.000Z" and status eq "ACTIVE"`), []string{"ada", "alan", "edsger", "grace"}},
		{"?filter=" + q(`lastUpdated lt "2000-01-01T00:00:00.000Z"`), []string{}},
		{"?search=" + q(`profile.lastName sw "le" and status eq "ACTIVE"`), []string{"edsger"}},
		{"?search=" + q(`profile.lastName sw "la"`), []string{"ada", "adele", "alan"}},
		{"?search=" + q(`profile.firstName sw "a" and (status eq "STAGED" or profile.email eq "ADA@example.com")`), []string{"ada", "adele"}},
		{"?q=a&filter=" + q(`status eq "ACTIVE"`), []string{"ada", "alan"}},
	} {
		got := logins("/api/v1/users" + c.query)
		slices.Sort(c.want)
		if !slices.Equal(got, c.want) {
			t.Errorf("%s: got %v, want %v", c.query, got, c.want)
		}
	}
	r := e.do("GET", "/api/v1/users?filter="+q(`status eq "STAGED"`), nil)
	e.golden("users-list", r.raw)

	for _, bad := range []string{"?filter=" + q(`status = "ACTIVE"`), "?filter=" + q(`profile.lastName sw "x"`), "?search=" + q(`password eq "x"`),
		"?search=" + q(`status eq "ACTIVE" and`), "?filter=" + q(`lastUpdated gt "yesterday"`)} {
		m := wantError(t, e.do("GET", "/api/v1/users"+bad, nil), http.StatusBadRequest, "E0000031")
		if m["errorSummary"] != "Invalid search criteria." {
			t.Errorf("%s: %v", bad, m["errorSummary"])
		}
	}
	wantError(t, e.do("GET", "/api/v1/users?limit=0", nil), 400, "E0000001")
	wantError(t, e.do("GET", "/api/v1/users?after=nope", nil), 400, "E0000001")

	// Pages of two, followed by their absolute Link rel="next".
	next := regexp.MustCompile(`<([^>]+)>; rel="next"`)
	path := e.base + "/api/v1/users?limit=2&search=" + q(`profile.email sw "a" or profile.email sw "e" or profile.email sw "g"`)
	var got []string
	pages := 0
	for path != "" {
		r := e.do("GET", path, nil)
		var list []map[string]any
		r.decode(t, &list)
		if len(list) > 2 {
			t.Fatalf("page of %d", len(list))
		}
		for _, u := range list {
			got = append(got, u["id"].(string))
		}
		pages++
		path = ""
		for _, l := range r.header.Values("Link") {
			if m := next.FindStringSubmatch(l); m != nil {
				path = m[1]
			}
		}
	}
	if want := []string{ids["ada"], ids["adele"], ids["alan"], ids["edsger"], ids["grace"]}; len(got) != 5 || pages != 3 || !sameSet(got, want) {
		t.Errorf("%d pages of %v, want 3 pages of %v", pages, got, want)
	}
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

// TestUserGroups: Everyone first, then the user's groups.
func TestUserGroups(t *testing.T) {
	e := newAPIEnv(t)
	id := e.newUser("", withPassword(profile("ada@example.com"), goodPassword))
	ctx := context.Background()
	g, err := e.app.Provision.CreateGroup(ctx, "Engineers", "They build")
	if err != nil {
		t.Fatal(err)
	}
	if err := e.app.Store.AddGroupMember(ctx, g.ID, id); err != nil {
		t.Fatal(err)
	}
	r := e.do("GET", "/api/v1/users/"+id+"/groups", nil)
	if r.status != 200 {
		t.Fatalf("%d %s", r.status, r.raw)
	}
	e.golden("user-groups", r.raw)
	var list []map[string]any
	r.decode(t, &list)
	if len(list) != 2 || list[0]["type"] != "BUILT_IN" || list[1]["id"] != g.ID {
		t.Errorf("groups: %s", r.raw)
	}
	wantError(t, e.do("GET", "/api/v1/users/00u0000000000000000/groups", nil), 404, "E0000007")
}

// TestUsersScopes: every route refuses a token without its scope, and a
// read token cannot write.
func TestUsersScopes(t *testing.T) {
	e := newAPIEnv(t)
	id := e.newUser("", withPassword(profile("ada@example.com"), goodPassword))
	client, _ := e.serviceClient("okta.logs.read", "okta.users.read")
	logs := "Bearer " + e.orgToken(client, "okta.logs.read")
	read := "Bearer " + e.orgToken(client, "okta.users.read")
	routes := []struct{ method, path string }{
		{"GET", "/api/v1/users"}, {"POST", "/api/v1/users"}, {"GET", "/api/v1/users/" + id}, {"POST", "/api/v1/users/" + id},
		{"PUT", "/api/v1/users/" + id}, {"DELETE", "/api/v1/users/" + id}, {"GET", "/api/v1/users/" + id + "/groups"},
		{"POST", "/api/v1/users/" + id + "/credentials/change_password"},
	}
	for _, op := range []string{"activate", "deactivate", "reactivate", "suspend", "unsuspend", "unlock", "expire_password", "reset_password"} {
		routes = append(routes, struct{ method, path string }{"POST", "/api/v1/users/" + id + "/lifecycle/" + op})
	}
	for _, rt := range routes {
		wantError(t, e.doAuth(logs, rt.method, rt.path, map[string]any{}), http.StatusForbidden, "E0000006")
		r := e.doAuth(read, rt.method, rt.path, map[string]any{})
		if rt.method == "GET" {
			if r.status != 200 {
				t.Errorf("%s %s with okta.users.read: %d %s", rt.method, rt.path, r.status, r.raw)
			}
		} else {
			wantError(t, r, http.StatusForbidden, "E0000006")
		}
	}
	if s := e.status(id); s != store.UserActive {
		t.Fatalf("a refused request changed the user: %s", s)
	}
}
