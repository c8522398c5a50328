package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/store"
)

// testGroupUpdate: a read-modify-write that renames a group and stamps
// its times; reads by id and by both names see it at once (through a
// cache too).
func testGroupUpdate(t *testing.T, s store.Store) {
	orig := fullGroup("00g1", "Admins")
	createGroups(t, s, orig, fullGroup("00g2", "Staff"))
	// Read through every cached path first, so that a stale cache shows.
	for _, name := range []string{"Admins", "Ops"} {
		_, _ = s.GetGroupByName(ctx(t), name)
	}
	_, _ = s.GetGroup(ctx(t), "00g1")

	var seen store.Group
	got, err := s.UpdateGroup(ctx(t), "00g1", func(g store.Group) (store.Group, error) {
		seen = g
		g.ID = "00g-ignored"
		g.Name, g.Description = "Ops", "Operators « ω »"
		g.UpdatedAt, g.MembershipUpdatedAt = t0.Add(3*time.Hour), t0.Add(4*time.Hour)
		return g, nil
	})
	must(t, "UpdateGroup", err)
	same(t, "the group UpdateGroup's closure saw", seen, orig)
	want := orig
	want.Name, want.Description = "Ops", "Operators « ω »"
	want.UpdatedAt, want.MembershipUpdatedAt = t0.Add(3*time.Hour), t0.Add(4*time.Hour)
	same(t, "UpdateGroup's result", got, want)
	got, err = s.GetGroup(ctx(t), "00g1")
	must(t, "GetGroup", err)
	same(t, "GetGroup after UpdateGroup", got, want)
	got, err = s.GetGroupByName(ctx(t), "OPS")
	must(t, "GetGroupByName of the new name", err)
	same(t, "GetGroupByName of the new name", got, want)
	_, err = s.GetGroupByName(ctx(t), "Admins")
	wantErr(t, "GetGroupByName of the old name", err, store.ErrNotFound)
	_, err = s.GetGroup(ctx(t), "00g-ignored")
	wantErr(t, "GetGroup of the id the closure set", err, store.ErrNotFound)

	// A closure's error is returned and nothing changes.
	boom := errors.New("boom")
	_, err = s.UpdateGroup(ctx(t), "00g1", func(g store.Group) (store.Group, error) {
		g.Name = "Changed"
		return g, boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("UpdateGroup with a failing closure: %v, want boom", err)
	}
	got, err = s.GetGroup(ctx(t), "00g1")
	must(t, "GetGroup", err)
	same(t, "GetGroup after a failed UpdateGroup", got, want)

	_, err = s.UpdateGroup(ctx(t), "00g404", func(g store.Group) (store.Group, error) { return g, nil })
	wantErr(t, "UpdateGroup of a missing group", err, store.ErrNotFound)
}

// testGroupUpdateConflict: a rename to another group's name (in any case)
// is refused; a change of case of its own name is not.
func testGroupUpdateConflict(t *testing.T, s store.Store) {
	a, b := fullGroup("00g1", "Admins"), fullGroup("00g2", "Staff")
	createGroups(t, s, a, b)
	_, err := s.UpdateGroup(ctx(t), "00g1", func(g store.Group) (store.Group, error) {
		g.Name = "STAFF"
		return g, nil
	})
	wantErr(t, "UpdateGroup to a taken name", err, store.ErrConflict)
	got, err := s.GetGroup(ctx(t), "00g1")
	must(t, "GetGroup", err)
	same(t, "the group after the refused rename", got, a)
	got, err = s.UpdateGroup(ctx(t), "00g1", func(g store.Group) (store.Group, error) {
		g.Name = "ADMINS"
		return g, nil
	})
	must(t, "UpdateGroup to its own name in another case", err)
	if got.Name != "ADMINS" {
		t.Fatalf("name %q, want ADMINS", got.Name)
	}
}

func groupSearchIDs(t *testing.T, s store.Store, what string, c store.GroupCond, want ...string) {
	t.Helper()
	got, err := s.SearchGroups(ctx(t), c, store.Page{})
	must(t, "SearchGroups "+what, err)
	ids := make([]string, len(got))
	for i, g := range got {
		ids[i] = g.ID
	}
	sameIDs(t, "SearchGroups "+what, ids, nil, want...)
}

func gcmp(f store.GroupField, op string, v string) store.GroupCond {
	return store.GroupCond{Op: op, Field: f, Value: v}
}

func gcmpTime(f store.GroupField, op string, at time.Time) store.GroupCond {
	return store.GroupCond{Op: op, Field: f, Time: at}
}

func testGroupSearch(t *testing.T, s store.Store) {
	g1 := fullGroup("00g1", "Admins-EU")
	g2 := fullGroup("00g2", "admins-US")
	g2.UpdatedAt, g2.MembershipUpdatedAt = t0.Add(5*time.Hour), t0.Add(time.Minute)
	g3 := fullGroup("00g3", "Équipe 50%_x")
	g3.Description = "Group with % and _"
	all := store.Group{ID: "00g4", Name: store.EveryoneGroupName, Description: "All users", Type: store.GroupBuiltIn,
		CreatedAt: t0.Add(-time.Hour), UpdatedAt: t0.Add(-time.Hour), MembershipUpdatedAt: t0.Add(-time.Hour)}
	createGroups(t, s, g1, g2, g3, all)

	groupSearchIDs(t, s, "zero", store.GroupCond{}, "00g1", "00g2", "00g3", "00g4")
	groupSearchIDs(t, s, "type eq BUILT_IN", gcmp(store.GroupFieldType, store.OpEq, store.GroupBuiltIn), "00g4")
	groupSearchIDs(t, s, "type eq OKTA_GROUP", gcmp(store.GroupFieldType, store.OpEq, store.GroupOkta), "00g1", "00g2", "00g3")
	groupSearchIDs(t, s, "type eq of another case", gcmp(store.GroupFieldType, store.OpEq, "built_in"))
	groupSearchIDs(t, s, "id eq", gcmp(store.GroupFieldID, store.OpEq, "00g2"), "00g2")
	groupSearchIDs(t, s, "name sw, case-insensitively", gcmp(store.GroupFieldName, store.OpSw, "ADMINS"), "00g1", "00g2")
	groupSearchIDs(t, s, "name sw a whole name", gcmp(store.GroupFieldName, store.OpSw, "admins-eu"), "00g1")
	groupSearchIDs(t, s, "name sw longer than any name", gcmp(store.GroupFieldName, store.OpSw, "admins-eu-west"))
	groupSearchIDs(t, s, "name sw with LIKE's wildcards, literally", gcmp(store.GroupFieldName, store.OpSw, "équipe 50%_"), "00g3")
	groupSearchIDs(t, s, "name sw a wildcard alone", gcmp(store.GroupFieldName, store.OpSw, "%"))
	groupSearchIDs(t, s, "name eq", gcmp(store.GroupFieldName, store.OpEq, "EVERYONE"), "00g4")
	groupSearchIDs(t, s, "description eq", gcmp(store.GroupFieldDescription, store.OpEq, "All users"), "00g4")
	groupSearchIDs(t, s, "description sw, case-sensitively", gcmp(store.GroupFieldDescription, store.OpSw, "group "))
	groupSearchIDs(t, s, "description sw", gcmp(store.GroupFieldDescription, store.OpSw, "Group "), "00g1", "00g2", "00g3")
	groupSearchIDs(t, s, "name sw the empty string", gcmp(store.GroupFieldName, store.OpSw, ""), "00g1", "00g2", "00g3", "00g4")

	groupSearchIDs(t, s, "lastUpdated gt", gcmpTime(store.GroupFieldLastUpdated, store.OpGt, t0.Add(time.Hour)), "00g2")
	groupSearchIDs(t, s, "lastUpdated ge", gcmpTime(store.GroupFieldLastUpdated, store.OpGe, t0.Add(time.Hour)), "00g1", "00g2", "00g3")
	groupSearchIDs(t, s, "lastUpdated lt", gcmpTime(store.GroupFieldLastUpdated, store.OpLt, t0.Add(time.Hour)), "00g4")
	groupSearchIDs(t, s, "lastUpdated le", gcmpTime(store.GroupFieldLastUpdated, store.OpLe, t0.Add(time.Hour)), "00g1", "00g3", "00g4")
	groupSearchIDs(t, s, "lastUpdated eq, to the millisecond", gcmpTime(store.GroupFieldLastUpdated, store.OpEq, t0.Add(5*time.Hour)), "00g2")
	groupSearchIDs(t, s, "lastMembershipUpdated lt", gcmpTime(store.GroupFieldLastMembershipUpdated, store.OpLt, t0), "00g4")
	groupSearchIDs(t, s, "lastMembershipUpdated gt", gcmpTime(store.GroupFieldLastMembershipUpdated, store.OpGt, t0.Add(time.Hour)), "00g1", "00g3")
	groupSearchIDs(t, s, "created lt", gcmpTime(store.GroupFieldCreated, store.OpLt, t0), "00g4")
	// A bound between whole milliseconds compares with the stored time (in
	// whole milliseconds, as the API shows it) exactly: 00g1 and 00g3 are
	// stamped at t0+2h, which is before t0+2h+0.5ms and after t0+2h-0.5ms.
	ms2h := t0.Add(2 * time.Hour)
	for _, c := range []struct {
		op   string
		at   time.Time
		want []string
	}{
		{store.OpLt, ms2h.Add(500 * time.Microsecond), []string{"00g1", "00g2", "00g3", "00g4"}},
		{store.OpLe, ms2h.Add(500 * time.Microsecond), []string{"00g1", "00g2", "00g3", "00g4"}},
		{store.OpGt, ms2h.Add(500 * time.Microsecond), nil},
		{store.OpGe, ms2h.Add(500 * time.Microsecond), nil},
		{store.OpEq, ms2h.Add(500 * time.Microsecond), nil},
		{store.OpLt, ms2h.Add(-time.Nanosecond), []string{"00g2", "00g4"}},
		{store.OpLe, ms2h.Add(-time.Nanosecond), []string{"00g2", "00g4"}},
		{store.OpGt, ms2h.Add(-time.Nanosecond), []string{"00g1", "00g3"}},
		{store.OpGe, ms2h.Add(-time.Nanosecond), []string{"00g1", "00g3"}},
		{store.OpEq, ms2h.Add(-time.Nanosecond), nil},
		{store.OpEq, ms2h, []string{"00g1", "00g3"}},
		{store.OpLt, ms2h, []string{"00g2", "00g4"}},
		{store.OpGe, ms2h, []string{"00g1", "00g3"}},
	} {
		groupSearchIDs(t, s, "lastMembershipUpdated "+c.op+" "+c.at.Format(time.RFC3339Nano),
			gcmpTime(store.GroupFieldLastMembershipUpdated, c.op, c.at), c.want...)
	}

	and := store.GroupCond{Op: store.OpAnd, Args: []store.GroupCond{
		gcmp(store.GroupFieldType, store.OpEq, store.GroupOkta),
		gcmpTime(store.GroupFieldLastUpdated, store.OpLe, t0.Add(time.Hour)),
	}}
	groupSearchIDs(t, s, "and", and, "00g1", "00g3")
	or := store.GroupCond{Op: store.OpOr, Args: []store.GroupCond{
		gcmp(store.GroupFieldID, store.OpEq, "00g4"),
		and,
	}}
	groupSearchIDs(t, s, "or over and", or, "00g1", "00g3", "00g4")
	// An injection attempt is a value like any other.
	groupSearchIDs(t, s, "a quote in a value", gcmp(store.GroupFieldName, store.OpEq, "x' OR '1'='1"))
}

func testGroupSearchPaging(t *testing.T, s store.Store) {
	for _, id := range creationOrder {
		createGroups(t, s, fullGroup(id, "Group "+id))
	}
	checkPaging(t, func(p store.Page) ([]store.Group, error) {
		return s.SearchGroups(ctx(t), gcmp(store.GroupFieldName, store.OpSw, "group"), p)
	})
}

func testGroupSearchBad(t *testing.T, s store.Store) {
	createGroups(t, s, fullGroup("00g1", "Admins"))
	deep := gcmp(store.GroupFieldID, store.OpEq, "00g1")
	for range store.MaxCondDepth + 2 {
		deep = store.GroupCond{Op: store.OpAnd, Args: []store.GroupCond{deep}}
	}
	for what, c := range map[string]store.GroupCond{
		"an unknown field":         gcmp("password", store.OpEq, "x"),
		"an unknown operator":      gcmp(store.GroupFieldID, "ne", "x"),
		"gt on a text field":       gcmp(store.GroupFieldName, store.OpGt, "a"),
		"sw on a time field":       gcmpTime(store.GroupFieldLastUpdated, store.OpSw, t0),
		"and of nothing":           {Op: store.OpAnd},
		"an empty operand of or":   {Op: store.OpOr, Args: []store.GroupCond{{}}},
		"nesting past the bound":   deep,
		"a field with no operator": {Field: store.GroupFieldID, Value: "00g1", Op: "??"},
	} {
		if got, err := s.SearchGroups(ctx(t), c, store.Page{}); err == nil {
			t.Errorf("SearchGroups with %s: %v, want an error", what, got)
		}
	}
}

func testPrincipalClients(t *testing.T, s store.Store) {
	for _, id := range []string{"0oa2", "0oa1", "0oa3"} {
		must(t, "CreateClient", s.CreateClient(ctx(t), fullClient(id)))
	}
	createUsers(t, s, "00u1")
	createGroups(t, s, fullGroup("00g1", "One"), fullGroup("00g2", "Two"))
	for _, a := range [][2]string{{"0oa2", "00g1"}, {"0oa1", "00g1"}, {"0oa1", "00u1"}, {"0oa3", "00g2"}} {
		must(t, "AssignClient", s.AssignClient(ctx(t), a[0], a[1]))
	}
	got, err := s.ListPrincipalClients(ctx(t), "00g1")
	sameIDs(t, "ListPrincipalClients of a group", got, err, "0oa1", "0oa2")
	got, err = s.ListPrincipalClients(ctx(t), "00u1")
	sameIDs(t, "ListPrincipalClients of a user", got, err, "0oa1")
	got, err = s.ListPrincipalClients(ctx(t), "00g404")
	sameIDs(t, "ListPrincipalClients of an unknown id", got, err)
	must(t, "UnassignClient", s.UnassignClient(ctx(t), "0oa2", "00g1"))
	got, err = s.ListPrincipalClients(ctx(t), "00g1")
	sameIDs(t, "ListPrincipalClients after UnassignClient", got, err, "0oa1")
	must(t, "DeleteGroup", s.DeleteGroup(ctx(t), "00g2"))
	got, err = s.ListPrincipalClients(ctx(t), "00g2")
	sameIDs(t, "ListPrincipalClients of a deleted group", got, err)
}
