package store

import (
	"context"
	"time"
)

// Group types.
const (
	GroupOkta    = "OKTA_GROUP" // managed by operators
	GroupBuiltIn = "BUILT_IN"   // Everyone: every user is a member, implicitly
)

// EveryoneGroupName is the name of the built-in group every user belongs to.
const EveryoneGroupName = "Everyone"

// Group is a set of users, used by policy rules, claims and client
// assignments.
type Group struct {
	ID          string // "00g…"
	Name        string // unique, compared case-insensitively
	Description string
	Type        string // GroupOkta or GroupBuiltIn
	CreatedAt   time.Time
	UpdatedAt   time.Time // when the name or description last changed
	// MembershipUpdatedAt is when a member was last added or removed
	// (Okta's lastMembershipUpdated).
	MembershipUpdatedAt time.Time
}

// Directory stores groups, memberships, and which users and groups are
// assigned to which clients (Okta's app assignments: a user may get tokens
// for a client only when assigned to it, directly or through a group).
type Directory interface {
	// CreateGroup stores a new group; ErrConflict if the id or the name
	// (case-insensitively) exists.
	CreateGroup(ctx context.Context, g Group) error
	GetGroup(ctx context.Context, id string) (Group, error)
	// GetGroupByName finds a group by name, case-insensitively.
	GetGroupByName(ctx context.Context, name string) (Group, error)
	ListGroups(ctx context.Context, p Page) ([]Group, error)
	// SearchGroups lists, ordered and paged like ListGroups, the groups
	// where holds (every group for the zero GroupCond). A condition it
	// cannot evaluate (an unknown field or operator, a time operator on a
	// text field, nesting deeper than MaxCondDepth) is an error; callers
	// check what they accept from outside before.
	SearchGroups(ctx context.Context, where GroupCond, p Page) ([]Group, error)
	// UpdateGroup changes a group by a read-modify-write closure run in
	// one transaction; the id cannot change. ErrNotFound if it is missing,
	// ErrConflict if the new name is another group's (case-insensitively).
	// It returns the group as stored.
	UpdateGroup(ctx context.Context, id string, fn func(Group) (Group, error)) (Group, error)
	// DeleteGroup removes a group, its memberships and its assignments;
	// ErrNotFound if it is missing, ErrConflict for a GroupBuiltIn group.
	DeleteGroup(ctx context.Context, id string) error

	// AddGroupMember is idempotent; ErrNotFound if the group or user is
	// missing, ErrConflict for a GroupBuiltIn group (its members are implicit).
	AddGroupMember(ctx context.Context, groupID, userID string) error
	// RemoveGroupMember is idempotent.
	RemoveGroupMember(ctx context.Context, groupID, userID string) error
	// ListGroupMembers returns the ids of the group's stored members, ordered
	// and paged like the other lists (none for an unknown group).
	ListGroupMembers(ctx context.Context, groupID string, p Page) ([]string, error)
	// ListUserGroups returns the groups the user is a stored member of (the
	// built-in Everyone group is not stored), ordered by id, in one read.
	ListUserGroups(ctx context.Context, userID string) ([]Group, error)

	// AssignClient assigns a user or group (by id) to a client; idempotent.
	// ErrNotFound if the client is missing or principalID is neither a user
	// nor a group.
	AssignClient(ctx context.Context, clientID, principalID string) error
	// UnassignClient is idempotent.
	UnassignClient(ctx context.Context, clientID, principalID string) error
	// ListClientAssignments returns the user and group ids assigned to the
	// client, ordered.
	ListClientAssignments(ctx context.Context, clientID string) ([]string, error)
	// ListPrincipalClients is the reverse: the ids of the clients a user
	// or group (by id) is directly assigned to, ordered.
	ListPrincipalClients(ctx context.Context, principalID string) ([]string, error)
}

// MaxCondDepth bounds the nesting of a GroupCond.
const MaxCondDepth = 16

// GroupField is a field of a group that a GroupCond compares.
type GroupField string

// The fields SearchGroups compares, named as in Okta's group object.
const (
	GroupFieldID                    GroupField = "id"
	GroupFieldType                  GroupField = "type"
	GroupFieldName                  GroupField = "profile.name" // compared case-insensitively
	GroupFieldDescription           GroupField = "profile.description"
	GroupFieldCreated               GroupField = "created"
	GroupFieldLastUpdated           GroupField = "lastUpdated"
	GroupFieldLastMembershipUpdated GroupField = "lastMembershipUpdated"
)

// GroupCond is a condition on groups: a comparison (Field Op Value, or
// Field Op Time for the time fields) or a connective (OpAnd, OpOr) over
// Args. Its operators are a UserExpr's: OpEq and OpSw (text fields), OpEq,
// OpGt, OpGe, OpLt and OpLe (times). The zero GroupCond holds for every
// group.
type GroupCond struct {
	Op    string
	Field GroupField
	Value string
	Time  time.Time
	Args  []GroupCond
}
