package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"github.com/latchkey/latchkey/internal/store"
)

const groupCols = `id, name, description, type, created_at, updated_at, membership_updated_at`

func scanGroup(sc scanner) (store.Group, error) {
	var g store.Group
	var created, updated, members int64
	err := sc.Scan(&g.ID, &g.Name, &g.Description, &g.Type, &created, &updated, &members)
	g.CreatedAt, g.UpdatedAt, g.MembershipUpdatedAt = fromMillis(created), fromMillis(updated), fromMillis(members)
	return g, err
}

// nameKey is the unique, case-insensitive form of a group name.
func nameKey(name string) string { return strings.ToLower(name) }

// CreateGroup implements store.Store.
func (s *Store) CreateGroup(ctx context.Context, g store.Group) error {
	op := "create group " + quote(g.ID)
	if err := s.checkID(op, g.ID); err != nil {
		return err
	}
	_, err := s.write.ExecContext(ctx,
		`INSERT INTO user_groups (`+groupCols+`, name_key) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		g.ID, g.Name, g.Description, g.Type, millis(g.CreatedAt), millis(g.UpdatedAt), millis(g.MembershipUpdatedAt), nameKey(g.Name))
	if err != nil {
		return s.execErr(op, err)
	}
	return nil
}

// GetGroup implements store.Store.
func (s *Store) GetGroup(ctx context.Context, id string) (store.Group, error) {
	g, err := readRow(ctx, s, scanGroup, `SELECT `+groupCols+` FROM user_groups WHERE id = $1`, id)
	if err != nil {
		return store.Group{}, s.queryErr("get group "+quote(id), err)
	}
	return g, nil
}

// GetGroupByName implements store.Store.
func (s *Store) GetGroupByName(ctx context.Context, name string) (store.Group, error) {
	g, err := readRow(ctx, s, scanGroup, `SELECT `+groupCols+` FROM user_groups WHERE name_key = $1`, nameKey(name))
	if err != nil {
		return store.Group{}, s.queryErr("get group by name "+quote(name), err)
	}
	return g, nil
}

// ListGroups implements store.Store.
func (s *Store) ListGroups(ctx context.Context, p store.Page) ([]store.Group, error) {
	out, err := readAll(ctx, s, scanGroup,
		`SELECT `+groupCols+` FROM user_groups WHERE id > $1 ORDER BY id LIMIT $2`, p.After, limitOf(p))
	if err != nil {
		return nil, s.errf("list groups: %w", err)
	}
	return out, nil
}

// DeleteGroup implements store.Store: the group, its memberships and its
// client assignments go in one transaction. A built-in group cannot be
// deleted (ErrConflict).
func (s *Store) DeleteGroup(ctx context.Context, id string) error {
	op := "delete group " + quote(id)
	return s.inTx(ctx, op, func(tx *sql.Tx) error {
		if err := s.lockGroup(ctx, tx, op, id); err != nil {
			return err
		}
		for _, q := range []string{
			`DELETE FROM group_members WHERE group_id = $1`,
			`DELETE FROM client_assignments WHERE principal_id = $1`,
			`DELETE FROM user_groups WHERE id = $1`,
		} {
			if _, err := tx.ExecContext(ctx, q, id); err != nil {
				return s.execErr(op, err)
			}
		}
		return nil
	})
}

// lockGroup reads (and on engines with row locks, locks) a group that is
// about to change: ErrNotFound if it is missing, ErrConflict if it is
// built in, whose members are implicit.
func (s *Store) lockGroup(ctx context.Context, tx *sql.Tx, op, id string) error {
	var typ string
	err := tx.QueryRowContext(ctx, `SELECT type FROM user_groups WHERE id = $1`+s.d.ForUpdate, id).Scan(&typ)
	if err != nil {
		return s.queryErr(op+": group", err)
	}
	if typ == store.GroupBuiltIn {
		return s.errf("%s: %w: the group is built in", op, store.ErrConflict)
	}
	return nil
}

// exists reports whether query finds a row; it locks the row on engines
// with row locks, so that it cannot go before the transaction ends.
func (s *Store) exists(ctx context.Context, tx *sql.Tx, query string, args ...any) (bool, error) {
	var one int
	switch err := tx.QueryRowContext(ctx, query+s.d.ForUpdate, args...).Scan(&one); {
	case errors.Is(err, sql.ErrNoRows):
		return false, nil
	case err != nil:
		return false, err
	}
	return true, nil
}

// AddGroupMember implements store.Store. Built-in groups take no stored
// members (ErrConflict).
func (s *Store) AddGroupMember(ctx context.Context, groupID, userID string) error {
	op := "add user " + quote(userID) + " to group " + quote(groupID)
	return s.inTx(ctx, op, func(tx *sql.Tx) error {
		if err := s.lockGroup(ctx, tx, op, groupID); err != nil {
			return err
		}
		ok, err := s.exists(ctx, tx, `SELECT 1 FROM users WHERE id = $1`, userID)
		if err != nil {
			return s.errf("%s: %w", op, err)
		}
		if !ok {
			return s.errf("%s: user: %w", op, store.ErrNotFound)
		}
		_, err = tx.ExecContext(ctx,
			`INSERT INTO group_members (group_id, user_id) VALUES ($1, $2)
			ON CONFLICT (group_id, user_id) DO NOTHING`, groupID, userID)
		if err != nil {
			return s.execErr(op, err)
		}
		return nil
	})
}

// RemoveGroupMember implements store.Store.
func (s *Store) RemoveGroupMember(ctx context.Context, groupID, userID string) error {
	_, err := s.write.ExecContext(ctx,
		`DELETE FROM group_members WHERE group_id = $1 AND user_id = $2`, groupID, userID)
	if err != nil {
		return s.execErr("remove user "+quote(userID)+" from group "+quote(groupID), err)
	}
	return nil
}

// scanString scans a single string column.
func scanString(sc scanner) (string, error) {
	var v string
	err := sc.Scan(&v)
	return v, err
}

// ListGroupMembers implements store.Store: user ids in order, paged like
// the other lists; none for an unknown group.
func (s *Store) ListGroupMembers(ctx context.Context, groupID string, p store.Page) ([]string, error) {
	out, err := readAll(ctx, s, scanString,
		`SELECT user_id FROM group_members WHERE group_id = $1 AND user_id > $2 ORDER BY user_id LIMIT $3`,
		groupID, p.After, limitOf(p))
	if err != nil {
		return nil, s.errf("list members of group %s: %w", quote(groupID), err)
	}
	return out, nil
}

// userGroupsSQL is a hot-path read: a user's groups, in one query, for
// policy rules and group claims.
const userGroupsSQL = `SELECT g.id, g.name, g.description, g.type, g.created_at, g.updated_at, g.membership_updated_at
		 FROM group_members m JOIN user_groups g ON g.id = m.group_id
		 WHERE m.user_id = $1 ORDER BY g.id`

// ListUserGroups implements store.Store: one query, so that a login does
// not read the user's groups one by one.
func (s *Store) ListUserGroups(ctx context.Context, userID string) ([]store.Group, error) {
	out, err := readAll(ctx, s, scanGroup, userGroupsSQL, userID)
	if err != nil {
		return nil, s.errf("list groups of user %s: %w", quote(userID), err)
	}
	return out, nil
}

// AssignClient implements store.Store: ErrNotFound unless the client exists
// and principalID is a user or a group.
func (s *Store) AssignClient(ctx context.Context, clientID, principalID string) error {
	op := "assign " + quote(principalID) + " to client " + quote(clientID)
	return s.inTx(ctx, op, func(tx *sql.Tx) error {
		ok, err := s.exists(ctx, tx, `SELECT 1 FROM clients WHERE id = $1`, clientID)
		if err != nil {
			return s.errf("%s: %w", op, err)
		}
		if !ok {
			return s.errf("%s: client: %w", op, store.ErrNotFound)
		}
		isUser, err := s.exists(ctx, tx, `SELECT 1 FROM users WHERE id = $1`, principalID)
		if err != nil {
			return s.errf("%s: %w", op, err)
		}
		isGroup := false
		if !isUser {
			if isGroup, err = s.exists(ctx, tx, `SELECT 1 FROM user_groups WHERE id = $1`, principalID); err != nil {
				return s.errf("%s: %w", op, err)
			}
		}
		if !isUser && !isGroup {
			return s.errf("%s: no user or group: %w", op, store.ErrNotFound)
		}
		_, err = tx.ExecContext(ctx,
			`INSERT INTO client_assignments (client_id, principal_id) VALUES ($1, $2)
			ON CONFLICT (client_id, principal_id) DO NOTHING`, clientID, principalID)
		if err != nil {
			return s.execErr(op, err)
		}
		return nil
	})
}

// UnassignClient implements store.Store.
func (s *Store) UnassignClient(ctx context.Context, clientID, principalID string) error {
	_, err := s.write.ExecContext(ctx,
		`DELETE FROM client_assignments WHERE client_id = $1 AND principal_id = $2`, clientID, principalID)
	if err != nil {
		return s.execErr("unassign "+quote(principalID)+" from client "+quote(clientID), err)
	}
	return nil
}

// ListClientAssignments implements store.Store.
func (s *Store) ListClientAssignments(ctx context.Context, clientID string) ([]string, error) {
	out, err := readAll(ctx, s, scanString,
		`SELECT principal_id FROM client_assignments WHERE client_id = $1 ORDER BY principal_id`, clientID)
	if err != nil {
		return nil, s.errf("list assignments of client %s: %w", quote(clientID), err)
	}
	return out, nil
}
