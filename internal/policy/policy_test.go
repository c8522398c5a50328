package policy

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/oautherr"
	"github.com/latchkey/latchkey/internal/store"
	"github.com/latchkey/latchkey/internal/store/sqlite"
)

type fixture struct {
	e      *Engine
	st     store.Store
	srv    Server
	client store.Client
	ada    store.User // in group eng
	bob    store.User // in no group
	eng    store.Group
	every  store.Group
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "p.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	now := time.Now().UTC()
	f := &fixture{st: st, e: &Engine{Store: st, BaseURL: "https://auth.example.com"}}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(st.CreateAuthServer(ctx, store.AuthServer{ID: "aus1", Name: "a", Audience: "api://a", Status: store.StatusActive, CreatedAt: now, UpdatedAt: now}))
	f.client = store.Client{ID: "0oa1", Name: "c", Status: store.StatusActive, GrantTypes: []string{"password"}, CreatedAt: now, UpdatedAt: now}
	must(st.CreateClient(ctx, f.client))
	f.ada = store.User{ID: "00uada", Login: "ada", Status: store.UserActive, Email: "ada@example.com", FirstName: "Ada", CreatedAt: now, UpdatedAt: now}
	f.bob = store.User{ID: "00ubob", Login: "bob", Status: store.UserActive, CreatedAt: now, UpdatedAt: now}
	must(st.CreateUser(ctx, f.ada))
	must(st.CreateUser(ctx, f.bob))
	f.every = store.Group{ID: "00gevery", Name: store.EveryoneGroupName, Type: store.GroupBuiltIn, CreatedAt: now, UpdatedAt: now}
	f.eng = store.Group{ID: "00geng", Name: "Engineering", Type: store.GroupOkta, CreatedAt: now, UpdatedAt: now}
	must(st.CreateGroup(ctx, f.every))
	must(st.CreateGroup(ctx, f.eng))
	must(st.AddGroupMember(ctx, f.eng.ID, f.ada.ID))
	must(st.AssignClient(ctx, f.client.ID, f.every.ID))
	must(st.PutScope(ctx, store.Scope{AuthServerID: "aus1", Name: "read", Default: true, MetadataPublish: "ALL_CLIENTS", CreatedAt: now}))
	must(st.PutScope(ctx, store.Scope{AuthServerID: "aus1", Name: "write", MetadataPublish: "NO_CLIENTS", CreatedAt: now}))
	srv, err := f.e.Server(ctx, "aus1")
	must(err)
	f.srv = srv
	return f
}

func (f *fixture) policy(t *testing.T, id string, prio int, clients ...string) {
	t.Helper()
	if err := f.st.PutPolicy(context.Background(), store.Policy{ID: id, AuthServerID: "aus1", Name: id, Priority: prio, Status: store.StatusActive, ClientIDs: clients}); err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) rule(t *testing.T, r store.PolicyRule) {
	t.Helper()
	r.AuthServerID, r.Status = "aus1", store.StatusActive
	if r.Name == "" {
		r.Name = r.ID
	}
	if err := f.st.PutRule(context.Background(), r); err != nil {
		t.Fatal(err)
	}
}

func TestServerResolution(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if f.srv.Issuer != "https://auth.example.com/oauth2/aus1" || f.srv.EndpointBase != "https://auth.example.com/oauth2/aus1/v1" || f.srv.Org {
		t.Fatalf("%+v", f.srv)
	}
	for _, id := range []string{"nope", store.OrgServerID} {
		if _, err := f.e.Server(ctx, id); !errors.Is(err, ErrUnknownServer) {
			t.Fatalf("Server(%q) = %v", id, err)
		}
	}
	now := time.Now()
	_ = f.st.CreateAuthServer(ctx, store.AuthServer{ID: store.OrgServerID, Name: "org", Status: store.StatusActive, CreatedAt: now, UpdatedAt: now})
	org, err := f.e.Server(ctx, "")
	if err != nil || !org.Org || org.Issuer != "https://auth.example.com" || org.EndpointBase != "https://auth.example.com/oauth2/v1" || org.Audience != "https://auth.example.com" {
		t.Fatalf("org: %+v %v", org, err)
	}
}

func TestResolveScopes(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	cases := []struct {
		grant string
		req   []string
		want  []string
		desc  string
	}{
		{"password", nil, nil, "Requests for ID tokens or access tokens with OpenID scopes require the 'openid' scope."},
		{"refresh_token", nil, []string{"read"}, ""},
		{"password", []string{"openid", "read"}, []string{"openid", "read"}, ""},
		{"password", []string{"read", "write"}, nil, "Requests for ID tokens or access tokens with OpenID scopes require the 'openid' scope."},
		{"password", []string{"offline_access"}, nil, "Requests for ID tokens or access tokens with OpenID scopes require the 'openid' scope."},
		{"password", []string{"openid", "delete"}, nil, "One or more scopes are not configured for the authorization server resource."},
		{"password", []string{"profile"}, nil, "Requests for ID tokens or access tokens with OpenID scopes require the 'openid' scope."},
		{"client_credentials", []string{"openid"}, nil, "Client Credentials requests cannot contain OpenID scopes."},
		{"client_credentials", []string{"read", "offline_access"}, nil, "Client Credentials requests cannot contain OpenID scopes."},
		{"client_credentials", []string{"write"}, []string{"write"}, ""},
	}
	for _, tc := range cases {
		got, err := f.e.ResolveScopes(ctx, f.srv, tc.grant, tc.req)
		if tc.desc != "" {
			var oe *oautherr.Error
			if !errors.As(err, &oe) || oe.Code != "invalid_scope" || oe.Description != tc.desc {
				t.Errorf("%s %v: err %v, want %q", tc.grant, tc.req, err, tc.desc)
			}
			continue
		}
		if err != nil || !equal(got, tc.want) {
			t.Errorf("%s %v = %v, %v; want %v", tc.grant, tc.req, got, err, tc.want)
		}
	}
	// No default scope at all: "No scopes were requested."
	_ = f.st.PutScope(ctx, store.Scope{AuthServerID: "aus1", Name: "read", MetadataPublish: "ALL_CLIENTS"})
	if _, err := f.e.ResolveScopes(ctx, f.srv, "password", nil); err == nil || err.(*oautherr.Error).Description != "No scopes were requested." {
		t.Fatalf("no defaults: %v", err)
	}
	pub, _ := f.e.PublishedScopes(ctx, f.srv)
	if !equal(pub, []string{"openid", "profile", "email", "offline_access", "read"}) {
		t.Fatalf("published %v", pub)
	}
}

// TestRuleMatching is the policy evaluation table: which rule decides and
// what lifetime results, or which error.
func TestRuleMatching(t *testing.T) {
	type want struct {
		rule   string
		access time.Duration
		code   string
		status int
		desc   string
	}
	cases := []struct {
		name  string
		setup func(t *testing.T, f *fixture)
		user  string // ada, bob or "" (client credentials)
		grant string
		scope []string
		want  want
	}{
		{name: "no policy", setup: func(*testing.T, *fixture) {}, user: "ada", grant: "password", scope: []string{"read"},
			want: want{code: "access_denied", status: 401, desc: "Policy evaluation failed for this request, please check the policy configurations."}},
		{name: "policy for another client", setup: func(t *testing.T, f *fixture) {
			f.policy(t, "p1", 1, "0oaOther")
			f.rule(t, store.PolicyRule{ID: "r1", PolicyID: "p1", Priority: 1, GrantTypes: []string{"password"}, Scopes: []string{"*"}})
		}, user: "ada", grant: "password", scope: []string{"read"}, want: want{code: "access_denied", status: 401}},
		{name: "everyone rule", setup: func(t *testing.T, f *fixture) {
			f.policy(t, "p1", 1, store.AllClients)
			f.rule(t, store.PolicyRule{ID: "r1", PolicyID: "p1", Priority: 1, GrantTypes: []string{"password"}, Scopes: []string{"*"}, GroupIDs: []string{store.Everyone}, AccessTokenLifetime: 10 * time.Minute})
		}, user: "bob", grant: "password", scope: []string{"read"}, want: want{rule: "r1", access: 10 * time.Minute}},
		{name: "priority orders rules", setup: func(t *testing.T, f *fixture) {
			f.policy(t, "p1", 1, store.AllClients)
			f.rule(t, store.PolicyRule{ID: "late", PolicyID: "p1", Priority: 2, GrantTypes: []string{"password"}, Scopes: []string{"*"}, AccessTokenLifetime: 20 * time.Minute})
			f.rule(t, store.PolicyRule{ID: "early", PolicyID: "p1", Priority: 1, GrantTypes: []string{"password"}, Scopes: []string{"*"}, AccessTokenLifetime: 30 * time.Minute})
		}, user: "ada", grant: "password", scope: []string{"read"}, want: want{rule: "early", access: 30 * time.Minute}},
		{name: "group rule matches members only", setup: func(t *testing.T, f *fixture) {
			f.policy(t, "p1", 1, "0oa1")
			f.rule(t, store.PolicyRule{ID: "eng", PolicyID: "p1", Priority: 1, GrantTypes: []string{"password"}, Scopes: []string{"*"}, GroupIDs: []string{"00geng"}, AccessTokenLifetime: 2 * time.Hour})
			f.rule(t, store.PolicyRule{ID: "rest", PolicyID: "p1", Priority: 2, GrantTypes: []string{"password"}, Scopes: []string{"*"}, GroupIDs: []string{store.Everyone}})
		}, user: "bob", grant: "password", scope: []string{"read"}, want: want{rule: "rest", access: time.Hour}},
		{name: "group rule for a member", setup: func(t *testing.T, f *fixture) {
			f.policy(t, "p1", 1, "0oa1")
			f.rule(t, store.PolicyRule{ID: "eng", PolicyID: "p1", Priority: 1, GrantTypes: []string{"password"}, Scopes: []string{"*"}, GroupIDs: []string{"00geng"}, AccessTokenLifetime: 2 * time.Hour})
		}, user: "ada", grant: "password", scope: []string{"read"}, want: want{rule: "eng", access: 2 * time.Hour}},
		{name: "user rule", setup: func(t *testing.T, f *fixture) {
			f.policy(t, "p1", 1, store.AllClients)
			f.rule(t, store.PolicyRule{ID: "bob", PolicyID: "p1", Priority: 1, GrantTypes: []string{"password"}, Scopes: []string{"*"}, UserIDs: []string{"00ubob"}})
		}, user: "ada", grant: "password", scope: []string{"read"}, want: want{code: "access_denied", status: 401}},
		{name: "grant type must match", setup: func(t *testing.T, f *fixture) {
			f.policy(t, "p1", 1, store.AllClients)
			f.rule(t, store.PolicyRule{ID: "cc", PolicyID: "p1", Priority: 1, GrantTypes: []string{"client_credentials"}, Scopes: []string{"*"}})
		}, user: "ada", grant: "password", scope: []string{"read"}, want: want{code: "access_denied", status: 401}},
		{name: "denied scopes", setup: func(t *testing.T, f *fixture) {
			f.policy(t, "p1", 1, store.AllClients)
			f.rule(t, store.PolicyRule{ID: "r", PolicyID: "p1", Priority: 1, GrantTypes: []string{"password"}, Scopes: []string{"read"}})
		}, user: "ada", grant: "password", scope: []string{"read", "write"},
			want: want{code: "access_denied", status: 400, desc: "Some of the requested scopes were denied by the policy. Denied scopes: [write]"}},
		{name: "first matching policy decides, no fall-through", setup: func(t *testing.T, f *fixture) {
			f.policy(t, "first", 1, store.AllClients)
			f.rule(t, store.PolicyRule{ID: "cc", PolicyID: "first", Priority: 1, GrantTypes: []string{"client_credentials"}, Scopes: []string{"*"}})
			f.policy(t, "second", 2, store.AllClients)
			f.rule(t, store.PolicyRule{ID: "pw", PolicyID: "second", Priority: 1, GrantTypes: []string{"password"}, Scopes: []string{"*"}})
		}, user: "ada", grant: "password", scope: []string{"read"}, want: want{code: "access_denied", status: 401}},
		{name: "inactive policy skipped", setup: func(t *testing.T, f *fixture) {
			_ = f.st.PutPolicy(context.Background(), store.Policy{ID: "off", AuthServerID: "aus1", Name: "off", Priority: 1, Status: store.StatusInactive, ClientIDs: []string{store.AllClients}})
			f.policy(t, "on", 2, store.AllClients)
			f.rule(t, store.PolicyRule{ID: "pw", PolicyID: "on", Priority: 1, GrantTypes: []string{"password"}, Scopes: []string{"*"}})
		}, user: "ada", grant: "password", scope: []string{"read"}, want: want{rule: "pw", access: time.Hour}},
		{name: "client credentials match everyone rules only", setup: func(t *testing.T, f *fixture) {
			f.policy(t, "p1", 1, store.AllClients)
			f.rule(t, store.PolicyRule{ID: "eng", PolicyID: "p1", Priority: 1, GrantTypes: []string{"client_credentials"}, Scopes: []string{"*"}, GroupIDs: []string{"00geng"}})
			f.rule(t, store.PolicyRule{ID: "all", PolicyID: "p1", Priority: 2, GrantTypes: []string{"client_credentials"}, Scopes: []string{"*"}, AccessTokenLifetime: 5 * time.Minute})
		}, user: "", grant: "client_credentials", scope: []string{"write"}, want: want{rule: "all", access: 5 * time.Minute}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			tc.setup(t, f)
			req := Request{Server: f.srv, Client: f.client, Grant: tc.grant, Scopes: tc.scope}
			switch tc.user {
			case "ada":
				req.User = &f.ada
			case "bob":
				req.User = &f.bob
			}
			d, err := f.e.Decide(context.Background(), req)
			if tc.want.code != "" {
				var oe *oautherr.Error
				if !errors.As(err, &oe) || oe.Code != tc.want.code || oe.Status != tc.want.status || (tc.want.desc != "" && oe.Description != tc.want.desc) {
					t.Fatalf("err = %v (%+v), want %s %d %q", err, oe, tc.want.code, tc.want.status, tc.want.desc)
				}
				return
			}
			if err != nil || d.RuleID != tc.want.rule || d.Lifetimes.Access != tc.want.access || d.Lifetimes.ID != time.Hour || d.Lifetimes.RefreshWindow != 7*24*time.Hour {
				t.Fatalf("Decide = %+v, %v; want rule %s access %v", d, err, tc.want.rule, tc.want.access)
			}
		})
	}
}

func TestAssignmentRequired(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.policy(t, "p1", 1, store.AllClients)
	f.rule(t, store.PolicyRule{ID: "r", PolicyID: "p1", Priority: 1, GrantTypes: []string{"password"}, Scopes: []string{"*"}})
	_ = f.st.UnassignClient(ctx, f.client.ID, f.every.ID)
	_, err := f.e.Decide(ctx, Request{Server: f.srv, Client: f.client, User: &f.ada, Grant: "password", Scopes: []string{"read"}})
	if oe, ok := err.(*oautherr.Error); !ok || oe.Code != "access_denied" || oe.Description != "User is not assigned to the client application." {
		t.Fatalf("unassigned: %v", err)
	}
	_ = f.st.AssignClient(ctx, f.client.ID, f.eng.ID)
	if _, err := f.e.Decide(ctx, Request{Server: f.srv, Client: f.client, User: &f.ada, Grant: "password", Scopes: []string{"read"}}); err != nil {
		t.Fatalf("assigned through a group: %v", err)
	}
	if _, err := f.e.Decide(ctx, Request{Server: f.srv, Client: f.client, User: &f.bob, Grant: "password", Scopes: []string{"read"}}); err == nil {
		t.Fatal("bob is not in the assigned group")
	}
}

func TestClaims(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.policy(t, "p1", 1, store.AllClients)
	f.rule(t, store.PolicyRule{ID: "r", PolicyID: "p1", Priority: 1, GrantTypes: []string{"password", "client_credentials"}, Scopes: []string{"*"}})
	for _, c := range []store.Claim{
		{ID: "c1", Name: "tenant", ClaimType: store.ClaimResource, ValueType: store.ClaimExpression, Value: `"acme"`},
		{ID: "c2", Name: "mail", ClaimType: store.ClaimResource, ValueType: store.ClaimExpression, Value: "user.email", Scopes: []string{"write"}},
		{ID: "c3", Name: "groups", ClaimType: store.ClaimIdentity, ValueType: store.ClaimGroups, GroupFilterType: FilterRegex, Value: "Eng.*|Every.*", AlwaysIncludeInToken: true},
		{ID: "c4", Name: "first", ClaimType: store.ClaimIdentity, ValueType: store.ClaimExpression, Value: "user.firstName"},
		{ID: "c5", Name: "off", ClaimType: store.ClaimResource, ValueType: store.ClaimExpression, Value: `"x"`, Status: store.StatusInactive},
		{ID: "c6", Name: "client", ClaimType: store.ClaimResource, ValueType: store.ClaimExpression, Value: "app.clientId"},
	} {
		c.AuthServerID = "aus1"
		if c.Status == "" {
			c.Status = store.StatusActive
		}
		if err := ValidateClaim(c); err != nil {
			t.Fatalf("%s: %v", c.Name, err)
		}
		if err := f.st.PutClaim(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	d, err := f.e.Decide(ctx, Request{Server: f.srv, Client: f.client, User: &f.ada, Grant: "password", Scopes: []string{"read"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(d.AccessClaims) != 2 || d.AccessClaims["tenant"] != "acme" || d.AccessClaims["client"] != "0oa1" {
		t.Fatalf("access claims %v", d.AccessClaims)
	}
	if g, _ := d.IDClaims["groups"].([]string); len(d.IDClaims) != 1 || len(g) != 2 || g[0] != "Everyone" || g[1] != "Engineering" {
		t.Fatalf("id claims %v", d.IDClaims)
	}
	d, _ = f.e.Decide(ctx, Request{Server: f.srv, Client: f.client, User: &f.ada, Grant: "password", Scopes: []string{"write"}})
	if d.AccessClaims["mail"] != "ada@example.com" {
		t.Fatalf("scoped claim %v", d.AccessClaims)
	}
	d, _ = f.e.Decide(ctx, Request{Server: f.srv, Client: f.client, Grant: "client_credentials", Scopes: []string{"write"}})
	if _, ok := d.AccessClaims["mail"]; ok || d.IDClaims != nil {
		t.Fatalf("user claims in a client credentials token: %v %v", d.AccessClaims, d.IDClaims)
	}
	ui, _ := f.e.IdentityClaims(ctx, f.srv, f.ada, f.client.ID, []string{"openid"})
	if ui["first"] != "Ada" || ui["groups"] == nil {
		t.Fatalf("userinfo claims %v", ui)
	}
	for _, bad := range []store.Claim{
		{Name: "sub", ClaimType: store.ClaimResource, ValueType: store.ClaimExpression, Value: `"x"`},
		{Name: "x", ClaimType: store.ClaimResource, ValueType: store.ClaimExpression, Value: "user.password"},
		{Name: "x", ClaimType: "BOTH", ValueType: store.ClaimExpression, Value: `"x"`},
		{Name: "x", ClaimType: store.ClaimIdentity, ValueType: store.ClaimGroups, GroupFilterType: FilterRegex, Value: "("},
		{Name: "has space", ClaimType: store.ClaimResource, ValueType: store.ClaimExpression, Value: `"x"`},
	} {
		if ValidateClaim(bad) == nil {
			t.Errorf("ValidateClaim(%+v) accepted", bad)
		}
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
