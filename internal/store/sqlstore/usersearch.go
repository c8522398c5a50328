package sqlstore

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/latchkey/latchkey/internal/store"
)

// SearchUsers implements store.Store. The query is built from the parsed
// expression: column names come from a fixed table, operators from a
// fixed set, and every value is a bound parameter.
func (s *Store) SearchUsers(ctx context.Context, q store.UserQuery, p store.Page) ([]store.User, error) {
	b := &whereBuilder{args: []any{p.After, limitOf(p)}}
	conds := []string{"id > $1"}
	if q.Prefix != "" {
		if len(q.Prefix) > store.MaxQueryValue {
			return nil, fmt.Errorf("search users: %w: a prefix longer than %d bytes", store.ErrInvalidQuery, store.MaxQueryValue)
		}
		n := b.arg(likePrefix(q.Prefix))
		conds = append(conds, "(LOWER(login) LIKE "+n+" ESCAPE '\\' OR LOWER(email) LIKE "+n+" ESCAPE '\\' OR LOWER(first_name) LIKE "+
			n+" ESCAPE '\\' OR LOWER(last_name) LIKE "+n+" ESCAPE '\\')")
	}
	if q.Where != nil {
		if err := q.Where.Validate(); err != nil {
			return nil, fmt.Errorf("search users: %w", err)
		}
		conds = append(conds, b.expr(*q.Where))
	}
	query := `SELECT ` + userCols + ` FROM users WHERE ` + strings.Join(conds, " AND ") + ` ORDER BY id LIMIT $2`
	// Not through the prepared-statement cache: the query text varies
	// with the expression's shape.
	rows, err := s.read.QueryContext(ctx, query, b.args...)
	if err != nil {
		return nil, s.errf("search users: %w", err)
	}
	out, err := collect(rows, scanUser)
	if err != nil {
		return nil, s.errf("search users: %w", err)
	}
	return out, nil
}

// userColumns maps a store.UserExpr field to its column.
var userColumns = map[string]string{
	store.FieldID: "id", store.FieldStatus: "status", store.FieldLogin: "login", store.FieldEmail: "email",
	store.FieldFirstName: "first_name", store.FieldLastName: "last_name", store.FieldLocale: "locale",
	store.FieldZoneInfo: "zone_info", store.FieldCreated: "created_at", store.FieldLastUpdated: "updated_at",
	store.FieldPasswordChanged: "password_changed_at", store.FieldLastLogin: "last_login_at",
}

var timeOps = map[string]string{store.OpEq: "=", store.OpNe: "<>", store.OpGt: ">", store.OpGe: ">=", store.OpLt: "<", store.OpLe: "<="}

// whereBuilder collects a WHERE clause's bound parameters.
type whereBuilder struct{ args []any }

// arg binds v and returns its placeholder.
func (b *whereBuilder) arg(v any) string {
	b.args = append(b.args, v)
	return "$" + strconv.Itoa(len(b.args))
}

// expr renders a validated expression.
func (b *whereBuilder) expr(e store.UserExpr) string {
	switch e.Op {
	case store.OpAnd, store.OpOr:
		parts := make([]string, len(e.Args))
		for i, a := range e.Args {
			parts[i] = b.expr(a)
		}
		return "(" + strings.Join(parts, " "+strings.ToUpper(e.Op)+" ") + ")"
	}
	col := userColumns[e.Field]
	if store.IsTimeField(e.Field) {
		// 0 is "never" (a user who never logged in): no comparison
		// matches it, as no comparison with SQL's NULL would.
		if e.Op == store.OpPr {
			return "(" + col + " <> 0)"
		}
		// Stored times are whole milliseconds: compared exactly, as for
		// groups (msCompare).
		return "(" + col + " <> 0 AND " + msCompare(col, e.Op, e.Time, b.arg) + ")"
	}
	exact := e.Field == store.FieldID || e.Field == store.FieldStatus
	switch e.Op {
	case store.OpPr:
		return "(" + col + " <> '')"
	case store.OpSw:
		return "(LOWER(" + col + ") LIKE " + b.arg(likePrefix(e.Value)) + " ESCAPE '\\')"
	}
	op := "="
	if e.Op == store.OpNe {
		op = "<>"
	}
	switch {
	case e.Field == store.FieldLogin:
		// Logins compare as they are unique: by their normalised key.
		return "(login_key " + op + " " + b.arg(loginKey(e.Value)) + ")"
	case exact:
		return "(" + col + " " + op + " " + b.arg(e.Value) + ")"
	default:
		return "(LOWER(" + col + ") " + op + " " + b.arg(strings.ToLower(e.Value)) + ")"
	}
}

// likePrefix is a LIKE pattern (escape character \) matching strings that
// start with the lower-cased prefix.
func likePrefix(prefix string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return r.Replace(strings.ToLower(prefix)) + "%"
}
