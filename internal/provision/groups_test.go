package provision_test

import (
	"errors"
	"testing"

	"github.com/latchkey/latchkey/internal/provision"
	"github.com/latchkey/latchkey/internal/store"
)

// TestGroupChanges: update, membership and delete through the service
// layer: the times they stamp, what they refuse, and Everyone fixed.
func TestGroupChanges(t *testing.T) {
	t.Parallel()
	s := newPasswordService(t, nil) // a clock that moves a minute a call
	ctx := t.Context()
	every, err := s.EnsureEveryone(ctx)
	if err != nil {
		t.Fatal(err)
	}
	g, err := s.CreateGroup(ctx, "Ops", "on call")
	if err != nil {
		t.Fatal(err)
	}
	if !g.MembershipUpdatedAt.Equal(g.CreatedAt) || !g.UpdatedAt.Equal(g.CreatedAt) {
		t.Fatalf("new group's times: %+v", g)
	}
	u, err := s.CreateUser(ctx, provision.UserInput{Login: "ops@example.com", Password: "a long passphrase"})
	if err != nil {
		t.Fatal(err)
	}
	read := func() store.Group {
		t.Helper()
		got, err := s.Store.GetGroup(ctx, g.ID)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}

	if err := s.AddGroupMember(ctx, g.ID, u.ID); err != nil {
		t.Fatal(err)
	}
	added := read()
	if !added.MembershipUpdatedAt.After(g.MembershipUpdatedAt) || !added.UpdatedAt.Equal(g.UpdatedAt) {
		t.Fatalf("after adding: %+v", added)
	}
	if err := s.AddGroupMember(ctx, g.ID, u.ID); err != nil { // nothing changes
		t.Fatal(err)
	}
	if again := read(); !again.MembershipUpdatedAt.Equal(added.MembershipUpdatedAt) {
		t.Fatalf("a second add moved lastMembershipUpdated: %v -> %v", added.MembershipUpdatedAt, again.MembershipUpdatedAt)
	}
	if err := s.RemoveGroupMember(ctx, g.ID, u.ID); err != nil {
		t.Fatal(err)
	}
	removed := read()
	if !removed.MembershipUpdatedAt.After(added.MembershipUpdatedAt) {
		t.Fatalf("after removing: %+v", removed)
	}
	if ids, err := s.Store.ListGroupMembers(ctx, g.ID, store.Page{}); err != nil || len(ids) != 0 {
		t.Fatalf("members after removing: %v %v", ids, err)
	}
	for what, err := range map[string]error{
		"add an unknown user":     s.AddGroupMember(ctx, g.ID, "00unobody"),
		"add to an unknown group": s.AddGroupMember(ctx, "00gnothing", u.ID),
		"remove an unknown user":  s.RemoveGroupMember(ctx, g.ID, "00unobody"),
	} {
		if !errors.Is(err, store.ErrNotFound) {
			t.Errorf("%s: %v, want ErrNotFound", what, err)
		}
	}

	up, err := s.UpdateGroup(ctx, g.ID, " Operations ", "")
	if err != nil || up.Name != "Operations" || up.Description != "" || !up.UpdatedAt.After(removed.UpdatedAt) ||
		!up.MembershipUpdatedAt.Equal(removed.MembershipUpdatedAt) || up.Type != store.GroupOkta {
		t.Fatalf("UpdateGroup: %+v %v", up, err)
	}
	if _, err := s.CreateGroup(ctx, "Sales", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := s.UpdateGroup(ctx, g.ID, "SALES", ""); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("rename to a taken name: %v", err)
	}
	if _, err := s.UpdateGroup(ctx, g.ID, "", ""); !errors.Is(err, provision.ErrInvalid) {
		t.Fatalf("a blank name: %v", err)
	}

	// Everyone is fixed.
	for what, err := range map[string]error{
		"update": func() error { _, err := s.UpdateGroup(ctx, every.ID, "All", ""); return err }(),
		"delete": s.DeleteGroup(ctx, every.ID),
		"add":    s.AddGroupMember(ctx, every.ID, u.ID),
		"remove": s.RemoveGroupMember(ctx, every.ID, u.ID),
	} {
		if !errors.Is(err, provision.ErrBuiltIn) {
			t.Errorf("%s Everyone: %v, want ErrBuiltIn", what, err)
		}
	}
	if got, err := s.Store.GetGroup(ctx, every.ID); err != nil || got.Name != every.Name || got.Description != every.Description || got.Type != store.GroupBuiltIn {
		t.Fatalf("Everyone after refusals: %+v %v", got, err)
	}

	if err := s.DeleteGroup(ctx, g.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteGroup(ctx, g.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("delete twice: %v", err)
	}
}
