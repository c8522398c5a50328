package mgmtapi_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/okta/okta-sdk-golang/v2/okta"
	"github.com/okta/okta-sdk-golang/v2/okta/query"

	"github.com/latchkey/latchkey/internal/provision"
)

// TestGroupsSDK drives the groups API with Okta's Go management SDK, used
// unchanged: SSWS for the whole lifecycle, and its PrivateKey (OAuth)
// mode with okta.groups.read for reads, refused a write.
func TestGroupsSDK(t *testing.T) {
	t.Parallel()
	e := newAPIEnv(t)
	ctx := context.Background()
	c := e.sdk()

	var ids []string
	for _, n := range []string{"sdk-a", "sdk-b", "sdk-c", "sdk-d", "sdk-e"} {
		g, _, err := c.Group.CreateGroup(ctx, okta.Group{Profile: &okta.GroupProfile{Name: n, Description: "made by the SDK"}})
		if err != nil {
			t.Fatalf("CreateGroup: %v", err)
		}
		if g.Id == "" || g.Type != "OKTA_GROUP" || g.Profile.Name != n || g.Created == nil || g.LastMembershipUpdated == nil ||
			!slices.Equal(g.ObjectClass, []string{"okta:user_group"}) {
			t.Fatalf("created: %+v", g)
		}
		ids = append(ids, g.Id)
	}
	slices.Sort(ids)
	if _, _, err := c.Group.CreateGroup(ctx, okta.Group{Profile: &okta.GroupProfile{Name: "SDK-A"}}); sdkCode(err) != "E0000001" {
		t.Fatalf("duplicate name: %v", err)
	}

	// ListGroups with q across pages of two, following the SDK's Next.
	var got []string
	page, resp, err := c.Group.ListGroups(ctx, &query.Params{Q: "sdk-", Limit: 2})
	for pages := 1; ; pages++ {
		if err != nil {
			t.Fatalf("ListGroups: %v", err)
		}
		for _, g := range page {
			got = append(got, g.Id)
		}
		if !resp.HasNextPage() {
			if pages != 3 {
				t.Fatalf("%d pages, want 3", pages)
			}
			break
		}
		page = nil
		resp, err = resp.Next(ctx, &page)
	}
	if !slices.Equal(got, ids) {
		t.Fatalf("paged ListGroups: %v, want %v", got, ids)
	}
	builtIn, _, err := c.Group.ListGroups(ctx, &query.Params{Filter: `type eq "BUILT_IN"`})
	if err != nil || len(builtIn) != 1 || builtIn[0].Profile.Name != "Everyone" {
		t.Fatalf("filter BUILT_IN: %v %v", builtIn, err)
	}
	found, _, err := c.Group.ListGroups(ctx, &query.Params{Search: `profile.name eq "sdk-c"`})
	if err != nil || len(found) != 1 || found[0].Profile.Name != "sdk-c" {
		t.Fatalf("search: %v %v", found, err)
	}

	g, _, err := c.Group.GetGroup(ctx, ids[0])
	if err != nil {
		t.Fatalf("GetGroup: %v", err)
	}
	g.Profile.Name = "sdk-renamed"
	up, _, err := c.Group.UpdateGroup(ctx, g.Id, *g) // the whole object back, read-only fields included
	if err != nil || up.Profile.Name != "sdk-renamed" || up.Id != g.Id {
		t.Fatalf("UpdateGroup: %+v %v", up, err)
	}

	// Members.
	u, err := e.app.Provision.CreateUser(ctx, provision.UserInput{Login: "sdk@example.com", Password: "a long passphrase"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Group.AddUserToGroup(ctx, g.Id, u.ID); err != nil {
		t.Fatalf("AddUserToGroup: %v", err)
	}
	members, _, err := c.Group.ListGroupUsers(ctx, g.Id, nil)
	if err != nil || len(members) != 1 || members[0].Id != u.ID || (*members[0].Profile)["login"] != "sdk@example.com" {
		t.Fatalf("ListGroupUsers: %v %v", members, err)
	}
	if _, err := c.Group.RemoveUserFromGroup(ctx, g.Id, u.ID); err != nil {
		t.Fatalf("RemoveUserFromGroup: %v", err)
	}
	if members, _, err = c.Group.ListGroupUsers(ctx, g.Id, nil); err != nil || len(members) != 0 {
		t.Fatalf("ListGroupUsers after removal: %v %v", members, err)
	}

	// Assigned apps.
	app, _, err := e.app.Provision.CreateClient(ctx, provision.ClientInput{Name: "sdk app", GrantTypes: []string{"client_credentials"}, NoEveryone: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.app.Store.AssignClient(ctx, app.ID, g.Id); err != nil {
		t.Fatal(err)
	}
	apps, _, err := c.Group.ListAssignedApplicationsForGroup(ctx, g.Id, nil)
	if err != nil || len(apps) != 1 {
		t.Fatalf("ListAssignedApplicationsForGroup: %v %v", apps, err)
	}
	if a := apps[0].(*okta.Application); a.Id != app.ID || a.Label != "sdk app" || a.SignOnMode != "OPENID_CONNECT" {
		t.Fatalf("assigned app: %+v", a)
	}

	// PrivateKey mode: okta.groups.read reads and may not write.
	clientID, key := e.serviceClient("okta.groups.read")
	oc := e.sdkOAuth(clientID, key, "okta.groups.read")
	if rg, _, err := oc.Group.GetGroup(ctx, g.Id); err != nil || rg.Profile.Name != "sdk-renamed" {
		t.Fatalf("GetGroup in PrivateKey mode: %v %v", rg, err)
	}
	if res, err := oc.Group.DeleteGroup(ctx, g.Id); err == nil || res == nil || res.StatusCode != http.StatusForbidden ||
		!strings.Contains(err.Error(), "does not contain the required scopes") {
		t.Fatalf("DeleteGroup with okta.groups.read: %v", err)
	}

	if _, err := c.Group.DeleteGroup(ctx, g.Id); err != nil {
		t.Fatalf("DeleteGroup: %v", err)
	}
	if _, _, err := c.Group.GetGroup(ctx, g.Id); sdkCode(err) != "E0000007" {
		t.Fatalf("GetGroup after delete: %v", err)
	}
}
