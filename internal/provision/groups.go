package provision

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/latchkey/latchkey/internal/store"
)

// ErrBuiltIn refuses a change to a built-in group (Everyone): its profile
// and members are fixed, and it cannot be deleted.
var ErrBuiltIn = errors.New("the group is built in")

// builtInErr maps the store's refusal of a built-in group to ErrBuiltIn.
func builtInErr(g store.Group) error {
	return fmt.Errorf("%w: %s cannot be changed", ErrBuiltIn, g.Name)
}

// UpdateGroup replaces a group's profile (name and description), as
// Okta's PUT /groups/{id}. store.ErrNotFound for a missing group,
// ErrBuiltIn for Everyone, store.ErrConflict for a name another group has, ErrInvalid for
// a bad name or description.
func (s *Service) UpdateGroup(ctx context.Context, id, name, description string) (store.Group, error) {
	if err := checkText("name", name, true); err != nil {
		return store.Group{}, err
	}
	if err := checkText("description", description, false); err != nil {
		return store.Group{}, err
	}
	now := s.now()
	g, err := s.Store.UpdateGroup(ctx, id, func(g store.Group) (store.Group, error) {
		if g.Type == store.GroupBuiltIn {
			return g, builtInErr(g)
		}
		g.Name, g.Description, g.UpdatedAt = strings.TrimSpace(name), description, now
		return g, nil
	})
	switch {
	case errors.Is(err, store.ErrConflict):
		return store.Group{}, fmt.Errorf("%w: a group named %q already exists", store.ErrConflict, strings.TrimSpace(name))
	case err != nil:
		return store.Group{}, fmt.Errorf("provision: update group %s: %w", id, err)
	}
	return g, nil
}

// DeleteGroup deletes an operator-managed group with its memberships and
// client assignments: its members lose what the group gave them (rules,
// group claims, assignments) from their next token on. ErrBuiltIn for
// Everyone.
func (s *Service) DeleteGroup(ctx context.Context, id string) error {
	g, err := s.Store.GetGroup(ctx, id)
	if err != nil {
		return fmt.Errorf("provision: delete group %s: %w", id, err)
	}
	if g.Type == store.GroupBuiltIn {
		return builtInErr(g)
	}
	if err := s.Store.DeleteGroup(ctx, id); err != nil {
		if errors.Is(err, store.ErrConflict) { // turned built-in meanwhile: cannot happen, but say it right
			return builtInErr(g)
		}
		return fmt.Errorf("provision: delete group %s: %w", id, err)
	}
	return nil
}

// AddGroupMember adds a user to a group (idempotent) and stamps the
// group's lastMembershipUpdated when the membership changed: the user's
// next tokens carry the group. store.ErrNotFound when the group or user is
// missing, ErrBuiltIn for Everyone (every user is a member already).
func (s *Service) AddGroupMember(ctx context.Context, groupID, userID string) error {
	return s.changeMembership(ctx, groupID, userID, true)
}

// RemoveGroupMember removes a user from a group (idempotent).
// store.ErrNotFound when the group or user is missing, ErrBuiltIn for
// Everyone.
func (s *Service) RemoveGroupMember(ctx context.Context, groupID, userID string) error {
	return s.changeMembership(ctx, groupID, userID, false)
}

func (s *Service) changeMembership(ctx context.Context, groupID, userID string, add bool) error {
	op := "remove user " + userID + " from group " + groupID
	if add {
		op = "add user " + userID + " to group " + groupID
	}
	g, err := s.Store.GetGroup(ctx, groupID)
	if err != nil {
		return fmt.Errorf("provision: %s: %w", op, err)
	}
	if g.Type == store.GroupBuiltIn {
		return builtInErr(g)
	}
	if _, err := s.Store.GetUser(ctx, userID); err != nil {
		return fmt.Errorf("provision: %s: user: %w", op, err)
	}
	// Whether the membership changes decides only the time stamp: the
	// read may come from a cache, so the write is made either way (it is
	// idempotent).
	groups, err := s.Store.ListUserGroups(ctx, userID)
	if err != nil {
		return fmt.Errorf("provision: %s: %w", op, err)
	}
	changes := slices.ContainsFunc(groups, func(m store.Group) bool { return m.ID == groupID }) != add
	if add {
		err = s.Store.AddGroupMember(ctx, groupID, userID)
	} else {
		err = s.Store.RemoveGroupMember(ctx, groupID, userID)
	}
	if err != nil {
		return fmt.Errorf("provision: %s: %w", op, err)
	}
	if !changes {
		return nil
	}
	now := s.now()
	_, err = s.Store.UpdateGroup(ctx, groupID, func(g store.Group) (store.Group, error) {
		g.MembershipUpdatedAt = now
		return g, nil
	})
	if err != nil && !errors.Is(err, store.ErrNotFound) { // deleted meanwhile: nothing to stamp
		return fmt.Errorf("provision: %s: %w", op, err)
	}
	return nil
}
