package mgmtapi_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/okta/okta-sdk-golang/v2/okta"
	"github.com/okta/okta-sdk-golang/v2/okta/query"

	"github.com/latchkey/latchkey/internal/provision"
	"github.com/latchkey/latchkey/internal/store"
)

// TestUsersSDK drives the Users API with Okta's Go management SDK, used
// unchanged, in SSWS mode and in its PrivateKey (OAuth) mode.
func TestUsersSDK(t *testing.T) {
	e := newAPIEnv(t)
	ctx := context.Background()
	c := e.sdk()

	pw := &okta.PasswordCredential{Value: goodPassword}
	created := map[string]*okta.User{}
	for _, n := range []string{"ada", "adele", "alan", "grace", "edsger"} {
		u, _, err := c.User.CreateUser(ctx, okta.CreateUserRequest{
			Profile:     &okta.UserProfile{"login": n + "@example.com", "email": n + "@example.com", "firstName": n, "lastName": "Tester"},
			Credentials: &okta.UserCredentials{Password: pw},
		}, query.NewQueryParams(query.WithActivate(true)))
		if err != nil {
			t.Fatalf("CreateUser %s: %v", n, err)
		}
		if u.Status != store.UserActive || u.Credentials == nil || u.Credentials.Provider.Type != "OKTA" || u.Created == nil {
			t.Fatalf("created: %+v", u)
		}
		created[n] = u
	}
	_, _, err := c.User.CreateUser(ctx, okta.CreateUserRequest{Profile: &okta.UserProfile{"login": "ADA@example.com"}}, nil)
	if sdkCode(err) != "E0000001" {
		t.Fatalf("duplicate: %v", err)
	}

	got, _, err := c.User.GetUser(ctx, "grace@example.com")
	if err != nil || got.Id != created["grace"].Id || (*got.Profile)["firstName"] != "grace" {
		t.Fatalf("GetUser by login: %+v %v", got, err)
	}
	if _, _, err := c.User.GetUser(ctx, "00u0000000000000000"); sdkCode(err) != "E0000007" {
		t.Fatalf("GetUser unknown: %v", err)
	}

	// ListUsers across pages: the SDK follows Link rel="next" with resp.Next.
	list := func(qp *query.Params) []string {
		t.Helper()
		users, resp, err := c.User.ListUsers(ctx, qp)
		if err != nil {
			t.Fatalf("ListUsers: %v", err)
		}
		pages := 1
		for resp.HasNextPage() {
			var more []*okta.User
			if resp, err = resp.Next(ctx, &more); err != nil {
				t.Fatalf("Next: %v", err)
			}
			users = append(users, more...)
			pages++
		}
		var out []string
		for _, u := range users {
			out = append(out, strings.TrimSuffix((*u.Profile)["login"].(string), "@example.com"))
		}
		if qp != nil && qp.Limit > 0 && len(out) > int(qp.Limit) && pages < 2 {
			t.Errorf("%d users on one page of limit %d", len(out), qp.Limit)
		}
		slices.Sort(out)
		return out
	}
	for _, c := range []struct {
		qp   *query.Params
		want []string
	}{
		{&query.Params{Limit: 2}, []string{"ada", "adele", "alan", "edsger", "grace"}},
		{&query.Params{Q: "ad", Limit: 1}, []string{"ada", "adele"}},
		{&query.Params{Filter: `status eq "ACTIVE" and profile.login eq "alan@example.com"`}, []string{"alan"}},
		{&query.Params{Search: `profile.firstName sw "a"`, Limit: 2}, []string{"ada", "adele", "alan"}},
	} {
		if got := list(c.qp); !slices.Equal(got, c.want) {
			t.Errorf("ListUsers %+v: %v, want %v", *c.qp, got, c.want)
		}
	}

	// UpdateUser (PUT) with the object as the SDK read it, and a partial one.
	got.Profile = &okta.UserProfile{"login": "grace@example.com", "email": "grace@example.com", "firstName": "Grace", "lastName": "Hopper"}
	upd, _, err := c.User.UpdateUser(ctx, got.Id, *got, nil)
	if err != nil || (*upd.Profile)["firstName"] != "Grace" {
		t.Fatalf("UpdateUser: %+v %v", upd, err)
	}
	upd, _, err = c.User.PartialUpdateUser(ctx, got.Id, okta.User{Profile: &okta.UserProfile{"lastName": "Murray Hopper"}}, nil)
	if err != nil || (*upd.Profile)["lastName"] != "Murray Hopper" || (*upd.Profile)["firstName"] != "Grace" {
		t.Fatalf("PartialUpdateUser: %+v %v", upd, err)
	}

	// Lifecycle.
	id := created["alan"].Id
	if _, err := c.User.SuspendUser(ctx, id); err != nil {
		t.Fatalf("SuspendUser: %v", err)
	}
	if _, err := c.User.SuspendUser(ctx, id); sdkCode(err) != "E0000001" {
		t.Fatalf("SuspendUser twice: %v", err)
	}
	if _, err := c.User.UnsuspendUser(ctx, id); err != nil {
		t.Fatalf("UnsuspendUser: %v", err)
	}
	if _, err := c.User.UnlockUser(ctx, id); sdkCode(err) != "E0000032" {
		t.Fatalf("UnlockUser of an active user: %v", err)
	}
	if _, err := e.app.Store.UpdateUser(ctx, id, func(u store.User) (store.User, error) { u.Status = store.UserLockedOut; return u, nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := c.User.UnlockUser(ctx, id); err != nil {
		t.Fatalf("UnlockUser: %v", err)
	}
	exp, _, err := c.User.ExpirePassword(ctx, id)
	if err != nil || exp.Status != store.UserPasswordExpired {
		t.Fatalf("ExpirePassword: %+v %v", exp, err)
	}
	if _, _, err := c.User.ResetPassword(ctx, id, query.NewQueryParams(query.WithSendEmail(false))); err != nil {
		t.Fatalf("ResetPassword: %v", err)
	}

	// ChangePassword.
	creds, _, err := c.User.ChangePassword(ctx, created["ada"].Id, okta.ChangePasswordRequest{
		OldPassword: &okta.PasswordCredential{Value: goodPassword}, NewPassword: &okta.PasswordCredential{Value: "a changed passphrase"}}, nil)
	if err != nil || creds.Provider == nil || creds.Provider.Name != "OKTA" {
		t.Fatalf("ChangePassword: %+v %v", creds, err)
	}
	if _, _, err := c.User.ChangePassword(ctx, created["ada"].Id, okta.ChangePasswordRequest{
		OldPassword: &okta.PasswordCredential{Value: goodPassword}, NewPassword: &okta.PasswordCredential{Value: "a third passphrase"}}, nil); sdkCode(err) != "E0000014" {
		t.Fatalf("ChangePassword with a wrong old one: %v", err)
	}

	// ListUserGroups.
	groups, _, err := c.User.ListUserGroups(ctx, created["ada"].Id)
	if err != nil || len(groups) != 1 || groups[0].Type != "BUILT_IN" || groups[0].Profile.Name != "Everyone" {
		t.Fatalf("ListUserGroups: %+v %v", groups, err)
	}

	// Deactivate, then delete.
	id = created["edsger"].Id
	if _, err := c.User.DeactivateUser(ctx, id, nil); err != nil {
		t.Fatalf("DeactivateUser: %v", err)
	}
	if _, err := c.User.DeactivateOrDeleteUser(ctx, id, nil); err != nil {
		t.Fatalf("DeactivateOrDeleteUser: %v", err)
	}
	if _, _, err := c.User.GetUser(ctx, id); sdkCode(err) != "E0000007" {
		t.Fatalf("deleted user: %v", err)
	}

	// PrivateKey mode: okta.users.read lists and cannot create;
	// okta.users.manage creates.
	client, key := e.serviceClient("okta.users.read", "okta.users.manage")
	ro := e.sdkOAuth(client, key, "okta.users.read")
	users, _, err := ro.User.ListUsers(ctx, &query.Params{Filter: `profile.login eq "ada@example.com"`})
	if err != nil || len(users) != 1 || users[0].Id != created["ada"].Id {
		t.Fatalf("ListUsers in PrivateKey mode: %v %v", users, err)
	}
	// The SDK reports the WWW-Authenticate challenge of the 403.
	if _, resp, err := ro.User.CreateUser(ctx, okta.CreateUserRequest{Profile: &okta.UserProfile{"login": "ro@example.com"}}, nil); err == nil ||
		resp == nil || resp.StatusCode != http.StatusForbidden || !strings.Contains(err.Error(), "required scopes") {
		t.Fatalf("CreateUser with okta.users.read: %v", err)
	}
	// A second client: the SDK's assertions carry no jti, and the same
	// client's assertion within the same second would be a replay.
	client2, key2 := e.serviceClient("okta.users.manage")
	rw := e.sdkOAuth(client2, key2, "okta.users.manage")
	u, _, err := rw.User.CreateUser(ctx, okta.CreateUserRequest{Profile: &okta.UserProfile{"login": "rw@example.com"}},
		query.NewQueryParams(query.WithActivate(false)))
	if err != nil || u.Status != store.UserStaged {
		t.Fatalf("CreateUser in PrivateKey mode: %+v %v", u, err)
	}
}

// TestUsersRevokeTokens: suspending, deactivating, resetting or changing
// a user's password through the API ends the tokens the user had, as the
// CLI's lifecycle does.
func TestUsersRevokeTokens(t *testing.T) {
	e := newAPIEnv(t)
	ctx := context.Background()
	client, secret, err := e.app.Provision.CreateClient(ctx, provision.ClientInput{Name: "app", GrantTypes: []string{"password", "refresh_token"}})
	if err != nil {
		t.Fatal(err)
	}
	auth := "Basic " + base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(client.ID)+":"+url.QueryEscape(secret)))
	token := func(form url.Values) (int, map[string]any) {
		t.Helper()
		req, _ := http.NewRequest("POST", e.base+"/oauth2/default/v1/token", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Authorization", auth)
		res, err := e.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var body map[string]any
		_ = json.NewDecoder(res.Body).Decode(&body)
		return res.StatusCode, body
	}
	login := func(user, pw string) string {
		t.Helper()
		st, body := token(url.Values{"grant_type": {"password"}, "username": {user}, "password": {pw}, "scope": {"openid offline_access"}})
		if st != 200 {
			t.Fatalf("password grant for %s: %d %v", user, st, body)
		}
		return body["refresh_token"].(string)
	}
	refresh := func(rt string) (int, string) {
		st, body := token(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}})
		s, _ := body["error"].(string)
		return st, s
	}
	id := e.newUser("", withPassword(profile("ada@example.com"), goodPassword))
	lc := func(op string) {
		t.Helper()
		if r := e.do("POST", "/api/v1/users/"+id+"/lifecycle/"+op, nil); r.status != 200 {
			t.Fatalf("%s: %d %s", op, r.status, r.raw)
		}
	}
	pw := goodPassword
	for _, c := range []struct {
		name string
		act  func()
	}{
		{"suspend", func() { lc("suspend"); lc("unsuspend") }},
		{"deactivate", func() { lc("deactivate"); lc("activate") }},
		{"DELETE deactivates", func() {
			if r := e.do("DELETE", "/api/v1/users/"+id, nil); r.status != 204 {
				t.Fatalf("DELETE: %d", r.status)
			}
			lc("activate")
		}},
		{"reset_password", func() {
			if r := e.do("POST", "/api/v1/users/"+id+"/lifecycle/reset_password?sendEmail=false", nil); r.status != 200 {
				t.Fatalf("reset: %d", r.status)
			}
			pw = "reset passphrase one"
			if r := e.do("POST", "/api/v1/users/"+id, map[string]any{"credentials": map[string]any{"password": map[string]any{"value": pw}}}); r.status != 200 {
				t.Fatalf("set: %d %s", r.status, r.raw)
			}
		}},
		{"change_password", func() {
			old := pw
			pw = "changed passphrase two"
			if r := e.do("POST", "/api/v1/users/"+id+"/credentials/change_password",
				map[string]any{"oldPassword": map[string]any{"value": old}, "newPassword": map[string]any{"value": pw}}); r.status != 200 {
				t.Fatalf("change: %d %s", r.status, r.raw)
			}
		}},
	} {
		rt := login("ada@example.com", pw)
		if st, _ := refresh(rt); st != 200 {
			t.Fatalf("%s: the refresh token does not work before: %d", c.name, st)
		}
		c.act()
		if st, code := refresh(rt); st != 400 || code != "invalid_grant" {
			t.Errorf("%s: the refresh token still works after it (%d %s)", c.name, st, code)
		}
		// The user, ACTIVE again, logs in anew.
		if s := e.status(id); s != store.UserActive {
			t.Fatalf("%s: %s", c.name, s)
		}
		login("ada@example.com", pw)
	}
	// A profile update is no credential: tokens stay.
	rt := login("ada@example.com", pw)
	if r := e.do("POST", "/api/v1/users/"+id, map[string]any{"profile": map[string]any{"firstName": "Ada"}}); r.status != 200 {
		t.Fatal(r.status)
	}
	if st, _ := refresh(rt); st != 200 {
		t.Errorf("a profile update revoked the refresh token: %d", st)
	}
}
