package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/latchkey/latchkey/internal/store"
)

// SearchGroups implements store.Store: the condition is compiled to SQL
// whose every value is a bound parameter; fields map to columns through a
// fixed table.
func (s *Store) SearchGroups(ctx context.Context, where store.GroupCond, p store.Page) ([]store.Group, error) {
	const op = "search groups"
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	cond, err := groupCondSQL(where, arg, 0)
	if err != nil {
		return nil, s.errf("%s: %w", op, err)
	}
	q := `SELECT ` + groupCols + ` FROM user_groups WHERE id > ` + arg(p.After)
	if cond != "" {
		q += ` AND (` + cond + `)`
	}
	q += ` ORDER BY id LIMIT ` + arg(limitOf(p))
	// Not a cached prepared statement: its text changes with the condition.
	out, err := queryAll(ctx, s.read, scanGroup, q, args...)
	if err != nil {
		return nil, s.errf("%s: %w", op, err)
	}
	return out, nil
}

// groupColumns maps the fields a GroupCond compares to their columns;
// time says the column holds a time (milliseconds).
var groupColumns = map[store.GroupField]struct {
	col  string
	time bool
}{
	store.GroupFieldID:                    {col: "id"},
	store.GroupFieldType:                  {col: "type"},
	store.GroupFieldName:                  {col: "name_key"},
	store.GroupFieldDescription:           {col: "description"},
	store.GroupFieldCreated:               {col: "created_at", time: true},
	store.GroupFieldLastUpdated:           {col: "updated_at", time: true},
	store.GroupFieldLastMembershipUpdated: {col: "membership_updated_at", time: true},
}

// msBounds are the whole milliseconds around t: floor <= t <= ceil, equal
// when t has no fraction of a millisecond. A stored time (whole
// milliseconds) m compares with t exactly as m with one of them: m < t is
// m < ceil, m <= t is m <= floor, m > t is m > floor, m >= t is m >= ceil.
// Rounding t to a millisecond instead would make lt miss a group stamped
// earlier in t's millisecond (and ge take it), though the API shows that
// group's time as before t.
func msBounds(t time.Time) (floor, ceil int64) {
	floor = t.UnixMilli() // rounds down, before 1970 too
	ceil = floor
	if t.Nanosecond()%int(time.Millisecond) != 0 {
		ceil++
	}
	return floor, ceil
}

// msCompare is the SQL condition that a time column (whole milliseconds)
// compares with t by op (eq, ne, gt, ge, lt, le) exactly, by msBounds: eq
// matches nothing, and ne everything, when t has a fraction of a
// millisecond.
func msCompare(col, op string, t time.Time, arg func(any) string) string {
	floor, ceil := msBounds(t)
	switch op {
	case store.OpEq:
		return col + " >= " + arg(ceil) + " AND " + col + " <= " + arg(floor)
	case store.OpNe:
		return "(" + col + " < " + arg(ceil) + " OR " + col + " > " + arg(floor) + ")"
	case store.OpLt, store.OpGe:
		return col + " " + timeOps[op] + " " + arg(ceil)
	}
	return col + " " + timeOps[op] + " " + arg(floor)
}

var sqlComparisons = map[string]string{store.OpEq: "=", store.OpGt: ">", store.OpGe: ">=", store.OpLt: "<", store.OpLe: "<="}

// groupCondSQL compiles c to a boolean SQL expression ("" for the zero
// condition), passing every value through arg.
func groupCondSQL(c store.GroupCond, arg func(any) string, depth int) (string, error) {
	if depth > store.MaxCondDepth {
		return "", fmt.Errorf("condition nested deeper than %d", store.MaxCondDepth)
	}
	switch c.Op {
	case "":
		return "", nil
	case store.OpAnd, store.OpOr:
		if len(c.Args) == 0 {
			return "", fmt.Errorf("%s of nothing", c.Op)
		}
		parts := make([]string, len(c.Args))
		for i, a := range c.Args {
			p, err := groupCondSQL(a, arg, depth+1)
			if err != nil {
				return "", err
			}
			if p == "" {
				return "", fmt.Errorf("an empty condition under %s", c.Op)
			}
			parts[i] = "(" + p + ")"
		}
		return strings.Join(parts, " "+strings.ToUpper(c.Op)+" "), nil
	}
	f, ok := groupColumns[c.Field]
	if !ok {
		return "", fmt.Errorf("unknown group field %q", c.Field)
	}
	if f.time {
		if _, ok := sqlComparisons[c.Op]; !ok {
			return "", fmt.Errorf("operator %q on the time field %s", c.Op, c.Field)
		}
		return msCompare(f.col, c.Op, c.Time, arg), nil
	}
	v := c.Value
	if c.Field == store.GroupFieldName {
		v = nameKey(v)
	}
	switch c.Op {
	case store.OpEq:
		return f.col + " = " + arg(v), nil
	case store.OpSw:
		// SUBSTR counts characters on both engines; no LIKE pattern to
		// escape.
		return "SUBSTR(" + f.col + ", 1, " + arg(utf8.RuneCountInString(v)) + ") = " + arg(v), nil
	}
	return "", fmt.Errorf("operator %q on the text field %s", c.Op, c.Field)
}

// UpdateGroup implements store.Store.
func (s *Store) UpdateGroup(ctx context.Context, id string, fn func(store.Group) (store.Group, error)) (store.Group, error) {
	op := "update group " + quote(id)
	var updated store.Group
	err := s.inTx(ctx, op, func(tx *sql.Tx) error {
		old, err := scanGroup(tx.QueryRowContext(ctx, `SELECT `+groupCols+` FROM user_groups WHERE id = $1`+s.d.ForUpdate, id))
		if err != nil {
			return s.queryErr(op, err)
		}
		g, err := fn(old)
		if err != nil {
			return err
		}
		updated, err = scanGroup(tx.QueryRowContext(ctx,
			`UPDATE user_groups SET name = $2, name_key = $3, description = $4, type = $5, created_at = $6,
				updated_at = $7, membership_updated_at = $8
			WHERE id = $1 RETURNING `+groupCols,
			id, g.Name, nameKey(g.Name), g.Description, g.Type, millis(g.CreatedAt), millis(g.UpdatedAt), millis(g.MembershipUpdatedAt)))
		if err != nil {
			return s.execErr(op, err)
		}
		return nil
	})
	if err != nil {
		return store.Group{}, err
	}
	return updated, nil
}

// ListPrincipalClients implements store.Store (client_assignments is
// indexed by principal).
func (s *Store) ListPrincipalClients(ctx context.Context, principalID string) ([]string, error) {
	out, err := readAll(ctx, s, scanString,
		`SELECT client_id FROM client_assignments WHERE principal_id = $1 ORDER BY client_id`, principalID)
	if err != nil {
		return nil, s.errf("list clients assigned to %s: %w", quote(principalID), err)
	}
	return out, nil
}
