package storetest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/store"
)

var directoryTests = []test{
	{"GroupRoundTrip", testGroupRoundTrip},
	{"GroupByNameIgnoresCase", testGroupByName},
	{"CreateGroupDuplicate", testGroupDuplicate},
	{"ListGroupsPaging", testGroupPaging},
	{"Members", testGroupMembers},
	{"MembersNeedGroupAndUser", testGroupMembersMissing},
	{"MembersPaging", testGroupMembersPaging},
	{"ClientAssignments", testClientAssignments},
	{"DeleteGroup", testGroupDelete},
	{"BuiltInGroup", testGroupBuiltIn},
	{"UpdateGroup", testGroupUpdate},
	{"UpdateGroupConflicts", testGroupUpdateConflict},
	{"SearchGroups", testGroupSearch},
	{"SearchGroupsPaging", testGroupSearchPaging},
	{"SearchGroupsRefusesBadConditions", testGroupSearchBad},
	{"ListPrincipalClients", testPrincipalClients},
}

func fullGroup(id, name string) store.Group {
	return store.Group{ID: id, Name: name, Description: "Group " + name, Type: store.GroupOkta,
		CreatedAt: t0, UpdatedAt: t0.Add(time.Hour), MembershipUpdatedAt: t0.Add(2 * time.Hour)}
}

func createGroups(t *testing.T, s store.Store, groups ...store.Group) {
	t.Helper()
	for _, g := range groups {
		must(t, "CreateGroup "+g.ID, s.CreateGroup(ctx(t), g))
	}
}

func createUsers(t *testing.T, s store.Store, ids ...string) {
	t.Helper()
	for _, id := range ids {
		must(t, "CreateUser "+id, s.CreateUser(ctx(t), fullUser(id, id+"@example.com")))
	}
}

// sameIDs fails t unless got lists exactly want, in order.
func sameIDs(t *testing.T, what string, got []string, err error, want ...string) {
	t.Helper()
	must(t, what, err)
	if !slices.Equal(got, want) {
		t.Errorf("%s: got %q, want %q", what, got, want)
	}
}

// userGroupIDs lists the user's groups with ListUserGroups and returns
// their ids, checking that each is the group GetGroup returns.
func userGroupIDs(t *testing.T, s store.Store, userID string) ([]string, error) {
	t.Helper()
	groups, err := s.ListUserGroups(ctx(t), userID)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, g := range groups {
		want, err := s.GetGroup(ctx(t), g.ID)
		must(t, "GetGroup "+g.ID, err)
		same(t, "ListUserGroups' "+g.ID, g, want)
		out = append(out, g.ID)
	}
	return out, nil
}

func testGroupRoundTrip(t *testing.T, s store.Store) {
	recs := []store.Group{
		fullGroup("00g1", "Admins"),
		{ID: "00g2", Name: "Équipe « τ » 🚀", Type: store.GroupOkta},
		{ID: "00g-everyone", Name: store.EveryoneGroupName, Type: store.GroupBuiltIn, CreatedAt: t0},
	}
	createGroups(t, s, recs...)
	for _, want := range recs {
		got, err := s.GetGroup(ctx(t), want.ID)
		must(t, "GetGroup", err)
		same(t, "GetGroup "+want.ID, got, want)
		got, err = s.GetGroupByName(ctx(t), want.Name)
		must(t, "GetGroupByName", err)
		same(t, "GetGroupByName "+want.Name, got, want)
	}
	for _, id := range []string{"00g404", "00G1", ""} {
		_, err := s.GetGroup(ctx(t), id)
		wantErr(t, "GetGroup "+id, err, store.ErrNotFound)
	}
}

func testGroupByName(t *testing.T, s store.Store) {
	want := fullGroup("00g1", "Admins-EU")
	other := fullGroup("00g2", "ÅSA")
	createGroups(t, s, want, other)
	for _, name := range []string{"Admins-EU", "admins-eu", "ADMINS-EU"} {
		got, err := s.GetGroupByName(ctx(t), name)
		must(t, "GetGroupByName "+name, err)
		same(t, "GetGroupByName "+name, got, want) // the name keeps its case
	}
	got, err := s.GetGroupByName(ctx(t), "åsa")
	must(t, "GetGroupByName of a non-ASCII name in another case", err)
	if got.ID != other.ID {
		t.Errorf("GetGroupByName found %q, want %q", got.ID, other.ID)
	}
	for _, name := range []string{"Admins", "Admins-EU ", ""} {
		_, err := s.GetGroupByName(ctx(t), name)
		wantErr(t, "GetGroupByName "+name, err, store.ErrNotFound)
	}
}

func testGroupDuplicate(t *testing.T, s store.Store) {
	orig := fullGroup("00g1", "Admins")
	createGroups(t, s, orig)
	wantErr(t, "CreateGroup with a taken id", s.CreateGroup(ctx(t), fullGroup("00g1", "Other")), store.ErrConflict)
	wantErr(t, "CreateGroup with a taken name in another case", s.CreateGroup(ctx(t), fullGroup("00g2", "ADMINS")), store.ErrConflict)
	groups, err := s.ListGroups(ctx(t), store.Page{})
	must(t, "ListGroups", err)
	sameList(t, "ListGroups after refused duplicates", groups, []store.Group{orig})
}

func testGroupPaging(t *testing.T, s store.Store) {
	for _, id := range creationOrder {
		createGroups(t, s, fullGroup(id, "Group "+id))
	}
	checkPaging(t, func(p store.Page) ([]store.Group, error) { return s.ListGroups(ctx(t), p) })
}

func testGroupMembers(t *testing.T, s store.Store) {
	createGroups(t, s, fullGroup("00g1", "One"), fullGroup("00g2", "Two"), fullGroup("00g3", "Three"))
	createUsers(t, s, "00u1", "00u2", "00u3")
	for _, m := range [][2]string{{"00g2", "00u1"}, {"00g1", "00u2"}, {"00g1", "00u1"}, {"00g1", "00u1"}} {
		must(t, "AddGroupMember "+m[0]+" "+m[1], s.AddGroupMember(ctx(t), m[0], m[1]))
	}
	got, err := s.ListGroupMembers(ctx(t), "00g1", store.Page{})
	sameIDs(t, "ListGroupMembers 00g1", got, err, "00u1", "00u2")
	got, err = s.ListGroupMembers(ctx(t), "00g3", store.Page{})
	sameIDs(t, "ListGroupMembers of a group without members", got, err)
	got, err = userGroupIDs(t, s, "00u1")
	sameIDs(t, "ListUserGroups 00u1", got, err, "00g1", "00g2")
	got, err = userGroupIDs(t, s, "00u3")
	sameIDs(t, "ListUserGroups of a user in no group", got, err)

	for range 2 { // idempotent
		must(t, "RemoveGroupMember", s.RemoveGroupMember(ctx(t), "00g1", "00u1"))
	}
	must(t, "RemoveGroupMember of a non-member", s.RemoveGroupMember(ctx(t), "00g3", "00u1"))
	must(t, "RemoveGroupMember of unknown ids", s.RemoveGroupMember(ctx(t), "00g404", "00u404"))
	got, err = s.ListGroupMembers(ctx(t), "00g1", store.Page{})
	sameIDs(t, "ListGroupMembers after RemoveGroupMember", got, err, "00u2")
	got, err = userGroupIDs(t, s, "00u1")
	sameIDs(t, "ListUserGroups after RemoveGroupMember", got, err, "00g2")
}

func testGroupMembersMissing(t *testing.T, s store.Store) {
	createGroups(t, s, fullGroup("00g1", "One"))
	createUsers(t, s, "00u1")
	wantErr(t, "AddGroupMember to a missing group", s.AddGroupMember(ctx(t), "00g404", "00u1"), store.ErrNotFound)
	wantErr(t, "AddGroupMember of a missing user", s.AddGroupMember(ctx(t), "00g1", "00u404"), store.ErrNotFound)
	wantErr(t, "AddGroupMember of a group", s.AddGroupMember(ctx(t), "00g1", "00g1"), store.ErrNotFound)
	got, err := s.ListGroupMembers(ctx(t), "00g1", store.Page{})
	sameIDs(t, "ListGroupMembers", got, err)
	got, err = s.ListGroupMembers(ctx(t), "00g404", store.Page{})
	sameIDs(t, "ListGroupMembers of a missing group", got, err)
	got, err = userGroupIDs(t, s, "00u1")
	sameIDs(t, "ListUserGroups", got, err)
}

func testGroupMembersPaging(t *testing.T, s store.Store) {
	createGroups(t, s, fullGroup("00g1", "One"), fullGroup("00g2", "Two"))
	createUsers(t, s, creationOrder...)
	for _, id := range creationOrder {
		must(t, "AddGroupMember", s.AddGroupMember(ctx(t), "00g1", id))
	}
	must(t, "AddGroupMember to another group", s.AddGroupMember(ctx(t), "00g2", "id-c"))
	type member struct{ ID string }
	checkPaging(t, func(p store.Page) ([]member, error) {
		ids, err := s.ListGroupMembers(ctx(t), "00g1", p)
		var out []member
		for _, id := range ids {
			out = append(out, member{id})
		}
		return out, err
	})
}

func testClientAssignments(t *testing.T, s store.Store) {
	must(t, "CreateClient", s.CreateClient(ctx(t), fullClient("0oa1")))
	must(t, "CreateClient", s.CreateClient(ctx(t), fullClient("0oa2")))
	createUsers(t, s, "00u1")
	createGroups(t, s, fullGroup("00g1", "One"))
	for _, a := range [][2]string{{"0oa1", "00u1"}, {"0oa1", "00g1"}, {"0oa1", "00u1"}, {"0oa2", "00g1"}} {
		must(t, "AssignClient "+a[0]+" "+a[1], s.AssignClient(ctx(t), a[0], a[1]))
	}
	wantErr(t, "AssignClient to a missing client", s.AssignClient(ctx(t), "0oa404", "00u1"), store.ErrNotFound)
	wantErr(t, "AssignClient of a missing principal", s.AssignClient(ctx(t), "0oa1", "00u404"), store.ErrNotFound)
	got, err := s.ListClientAssignments(ctx(t), "0oa1")
	sameIDs(t, "ListClientAssignments 0oa1", got, err, "00g1", "00u1")
	got, err = s.ListClientAssignments(ctx(t), "0oa404")
	sameIDs(t, "ListClientAssignments of a missing client", got, err)

	for range 2 { // idempotent
		must(t, "UnassignClient", s.UnassignClient(ctx(t), "0oa1", "00g1"))
	}
	must(t, "UnassignClient of unknown ids", s.UnassignClient(ctx(t), "0oa404", "00g404"))
	got, err = s.ListClientAssignments(ctx(t), "0oa1")
	sameIDs(t, "ListClientAssignments after UnassignClient", got, err, "00u1")
	got, err = s.ListClientAssignments(ctx(t), "0oa2")
	sameIDs(t, "ListClientAssignments of another client", got, err, "00g1")
}

func testGroupDelete(t *testing.T, s store.Store) {
	gone, kept := fullGroup("00g1", "Admins"), fullGroup("00g2", "Staff")
	createGroups(t, s, gone, kept)
	createUsers(t, s, "00u1", "00u2")
	must(t, "CreateClient", s.CreateClient(ctx(t), fullClient("0oa1")))
	for _, m := range [][2]string{{"00g1", "00u1"}, {"00g1", "00u2"}, {"00g2", "00u1"}} {
		must(t, "AddGroupMember", s.AddGroupMember(ctx(t), m[0], m[1]))
	}
	for _, p := range []string{"00g1", "00g2", "00u2"} {
		must(t, "AssignClient", s.AssignClient(ctx(t), "0oa1", p))
	}

	must(t, "DeleteGroup", s.DeleteGroup(ctx(t), gone.ID))
	wantErr(t, "DeleteGroup again", s.DeleteGroup(ctx(t), gone.ID), store.ErrNotFound)
	_, err := s.GetGroup(ctx(t), gone.ID)
	wantErr(t, "GetGroup of the deleted group", err, store.ErrNotFound)
	_, err = s.GetGroupByName(ctx(t), gone.Name)
	wantErr(t, "GetGroupByName of the deleted group", err, store.ErrNotFound)
	got, err := s.ListGroupMembers(ctx(t), gone.ID, store.Page{})
	sameIDs(t, "ListGroupMembers of the deleted group", got, err)
	got, err = userGroupIDs(t, s, "00u1")
	sameIDs(t, "ListUserGroups after DeleteGroup", got, err, "00g2")
	got, err = s.ListClientAssignments(ctx(t), "0oa1")
	sameIDs(t, "ListClientAssignments after DeleteGroup", got, err, "00g2", "00u2")

	// The name is free again, and a group made under the old id starts empty.
	createGroups(t, s, fullGroup("00g1", "ADMINS"))
	got, err = s.ListGroupMembers(ctx(t), gone.ID, store.Page{})
	sameIDs(t, "ListGroupMembers of the group made again", got, err)
}

func testGroupBuiltIn(t *testing.T, s store.Store) {
	everyone := store.Group{ID: "00g-all", Name: store.EveryoneGroupName, Type: store.GroupBuiltIn}
	createGroups(t, s, everyone)
	createUsers(t, s, "00u1")
	must(t, "CreateClient", s.CreateClient(ctx(t), fullClient("0oa1")))
	wantErr(t, "AddGroupMember to a built-in group", s.AddGroupMember(ctx(t), everyone.ID, "00u1"), store.ErrConflict)
	got, err := userGroupIDs(t, s, "00u1")
	sameIDs(t, "ListUserGroups", got, err)
	must(t, "AssignClient of a built-in group", s.AssignClient(ctx(t), "0oa1", everyone.ID))
	wantErr(t, "DeleteGroup of a built-in group", s.DeleteGroup(ctx(t), everyone.ID), store.ErrConflict)
	g, err := s.GetGroup(ctx(t), everyone.ID)
	must(t, "GetGroup after the refused delete", err)
	same(t, "the built-in group", g, everyone)
	got, err = s.ListClientAssignments(ctx(t), "0oa1")
	sameIDs(t, "ListClientAssignments after the refused delete", got, err, everyone.ID)
}

// testRaceCreateGroup races creations of one group name in different
// cases: exactly one may win.
func testRaceCreateGroup(t *testing.T, stores []store.Store) {
	const n = 8
	errs := race(n, stores, func(i int, s store.Store) error {
		name := "Admins"
		if i%2 == 1 {
			name = "ADMINS"
		}
		return s.CreateGroup(ctx(t), fullGroup(fmt.Sprintf("00g%d", i), name))
	})
	checkOneWinner(t, "CreateGroup of one name", errs)
	groups, err := stores[0].ListGroups(ctx(t), store.Page{})
	must(t, "ListGroups", err)
	if len(groups) != 1 {
		t.Errorf("ListGroups: got %s, want one group", ids(groups))
	}
}

// testRaceDeleteGroup races additions of members to a group with its
// deletion: no membership of the deleted group may be left behind.
func testRaceDeleteGroup(t *testing.T, stores []store.Store) {
	const n = 8
	createGroups(t, stores[0], fullGroup("00g1", "Doomed"))
	var users []string
	for i := range n {
		users = append(users, fmt.Sprintf("00u%d", i))
	}
	createUsers(t, stores[0], users...)
	errs := race(n+1, stores, func(i int, s store.Store) error {
		if i == n {
			return s.DeleteGroup(ctx(t), "00g1")
		}
		return s.AddGroupMember(ctx(t), "00g1", users[i])
	})
	must(t, "DeleteGroup", errs[n])
	for i, err := range errs[:n] {
		if err != nil {
			wantErr(t, fmt.Sprintf("AddGroupMember %d", i), err, store.ErrNotFound)
		}
	}
	for _, u := range users {
		got, err := userGroupIDs(t, stores[0], u)
		sameIDs(t, "ListUserGroups "+u+" after the group was deleted", got, err)
	}
}
