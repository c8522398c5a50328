package store

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// UserSearch is the store's part of the management API's user lists
// (Okta's q, filter and search): SearchUsers runs the selection in the
// database, so that a list never loads every user.
type UserSearch interface {
	// SearchUsers returns one page (ordered by id, like ListUsers) of the
	// users q selects. A query that fails UserQuery.Validate is refused
	// with an error wrapping ErrInvalidQuery; values only ever reach the
	// database as bound parameters.
	SearchUsers(ctx context.Context, q UserQuery, p Page) ([]User, error)
}

// ErrInvalidQuery means a UserQuery names an unknown field or operator,
// or is larger than MaxQueryTerms / MaxQueryDepth.
var ErrInvalidQuery = errors.New("store: invalid user query")

// UserQuery selects users. Both parts are optional and must both hold.
type UserQuery struct {
	// Prefix matches users whose login, email, first name or last name
	// starts with it, case-insensitively (Okta's q). "" matches all.
	Prefix string
	// Where is a condition on the user's fields; nil matches all.
	Where *UserExpr
}

// UserExpr is a condition on users: And or Or of Args, or the comparison
// Field Op Value (Time for the time fields).
type UserExpr struct {
	Op    string
	Field string
	Value string
	Time  time.Time
	Args  []UserExpr
}

// Operators of a UserExpr.
const (
	OpAnd = "and"
	OpOr  = "or"
	OpEq  = "eq" // equal; strings compare case-insensitively except id and status
	OpNe  = "ne" // not equal
	OpSw  = "sw" // starts with (strings), case-insensitively
	OpPr  = "pr" // present: not empty (strings) or set (times)
	OpGt  = "gt" // after (times)
	OpGe  = "ge"
	OpLt  = "lt" // before (times)
	OpLe  = "le"
)

// The fields a UserExpr may compare, named as Okta names them.
const (
	FieldID              = "id"
	FieldStatus          = "status"
	FieldLogin           = "profile.login"
	FieldEmail           = "profile.email"
	FieldFirstName       = "profile.firstName"
	FieldLastName        = "profile.lastName"
	FieldLocale          = "profile.locale"
	FieldZoneInfo        = "profile.zoneInfo"
	FieldCreated         = "created"
	FieldLastUpdated     = "lastUpdated"
	FieldPasswordChanged = "passwordChanged"
	FieldLastLogin       = "lastLogin"
)

// IsTimeField reports whether field holds a time (compared with Time).
func IsTimeField(field string) bool {
	switch field {
	case FieldCreated, FieldLastUpdated, FieldPasswordChanged, FieldLastLogin:
		return true
	}
	return false
}

// IsStringField reports whether field holds text (compared with Value).
func IsStringField(field string) bool {
	switch field {
	case FieldID, FieldStatus, FieldLogin, FieldEmail, FieldFirstName, FieldLastName, FieldLocale, FieldZoneInfo:
		return true
	}
	return false
}

// Bounds of a UserExpr: a query is a few comparisons, not a program.
const (
	MaxQueryTerms = 50 // comparisons
	MaxQueryDepth = 10 // nesting of and/or
	MaxQueryValue = 256
)

// Validate checks that every comparison names a known field with an
// operator that applies to it, and that the expression is within bounds.
func (e *UserExpr) Validate() error {
	terms := 0
	return e.validate(0, &terms)
}

func (e *UserExpr) validate(depth int, terms *int) error {
	if depth > MaxQueryDepth {
		return fmt.Errorf("%w: nested deeper than %d", ErrInvalidQuery, MaxQueryDepth)
	}
	switch e.Op {
	case OpAnd, OpOr:
		if len(e.Args) < 2 {
			return fmt.Errorf("%w: %s needs two operands", ErrInvalidQuery, e.Op)
		}
		for i := range e.Args {
			if err := e.Args[i].validate(depth+1, terms); err != nil {
				return err
			}
		}
		return nil
	}
	if *terms++; *terms > MaxQueryTerms {
		return fmt.Errorf("%w: more than %d comparisons", ErrInvalidQuery, MaxQueryTerms)
	}
	if len(e.Args) > 0 {
		return fmt.Errorf("%w: a comparison has no operands", ErrInvalidQuery)
	}
	switch {
	case IsStringField(e.Field):
		switch e.Op {
		case OpEq, OpNe, OpSw, OpPr:
		default:
			return fmt.Errorf("%w: %s does not apply to %s", ErrInvalidQuery, e.Op, e.Field)
		}
		if len(e.Value) > MaxQueryValue {
			return fmt.Errorf("%w: a value longer than %d bytes", ErrInvalidQuery, MaxQueryValue)
		}
	case IsTimeField(e.Field):
		switch e.Op {
		case OpEq, OpNe, OpGt, OpGe, OpLt, OpLe, OpPr:
		default:
			return fmt.Errorf("%w: %s does not apply to %s", ErrInvalidQuery, e.Op, e.Field)
		}
	default:
		return fmt.Errorf("%w: unknown field %q", ErrInvalidQuery, e.Field)
	}
	return nil
}
