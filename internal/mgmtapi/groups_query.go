package mgmtapi

import (
	"net/url"
	"time"

	"github.com/latchkey/latchkey/internal/store"
)

// groupAttr is an attribute a group filter or search may compare, with
// the operators it takes there.
type groupAttr struct {
	field store.GroupField
	time  bool
	ops   map[string]bool
}

var (
	textEq   = map[string]bool{"eq": true}
	textEqSw = map[string]bool{"eq": true, "sw": true}
	timeOps  = map[string]bool{"eq": true, "gt": true, "ge": true, "lt": true, "le": true}
)

// groupFilterAttrs are what Okta's filter parameter of GET /groups takes.
var groupFilterAttrs = map[string]groupAttr{
	"id":                    {field: store.GroupFieldID, ops: textEq},
	"type":                  {field: store.GroupFieldType, ops: textEq},
	"lastUpdated":           {field: store.GroupFieldLastUpdated, time: true, ops: timeOps},
	"lastMembershipUpdated": {field: store.GroupFieldLastMembershipUpdated, time: true, ops: timeOps},
}

// groupSearchAttrs are what its search parameter takes: the filter's and
// the profile.
var groupSearchAttrs = map[string]groupAttr{
	"id":                    {field: store.GroupFieldID, ops: textEq},
	"type":                  {field: store.GroupFieldType, ops: textEq},
	"created":               {field: store.GroupFieldCreated, time: true, ops: timeOps},
	"lastUpdated":           {field: store.GroupFieldLastUpdated, time: true, ops: timeOps},
	"lastMembershipUpdated": {field: store.GroupFieldLastMembershipUpdated, time: true, ops: timeOps},
	"profile.name":          {field: store.GroupFieldName, ops: textEqSw},
	"profile.description":   {field: store.GroupFieldDescription, ops: textEqSw},
}

// groupQuery reads q (a name prefix), filter and search into one condition
// that all of them must meet.
func groupQuery(q url.Values) (store.GroupCond, error) {
	var all []store.GroupCond
	if v := q.Get("q"); v != "" {
		all = append(all, store.GroupCond{Op: store.OpSw, Field: store.GroupFieldName, Value: v})
	}
	for _, p := range []struct {
		param string
		attrs map[string]groupAttr
	}{{"filter", groupFilterAttrs}, {"search", groupSearchAttrs}} {
		v := q.Get(p.param)
		if v == "" {
			continue
		}
		n, err := parseFilter(v)
		if err != nil {
			return store.GroupCond{}, asFilterError(err)
		}
		c, err := groupCond(n, p.attrs)
		if err != nil {
			return store.GroupCond{}, err
		}
		all = append(all, c)
	}
	switch len(all) {
	case 0:
		return store.GroupCond{}, nil
	case 1:
		return all[0], nil
	}
	return store.GroupCond{Op: store.OpAnd, Args: all}, nil
}

// groupCond maps a parsed expression to a store condition, refusing an
// attribute or operator that attrs does not take (E0000031).
func groupCond(n *filterNode, attrs map[string]groupAttr) (store.GroupCond, error) {
	if n.op == "and" || n.op == "or" {
		c := store.GroupCond{Op: n.op}
		for _, a := range n.args {
			ac, err := groupCond(a, attrs)
			if err != nil {
				return store.GroupCond{}, err
			}
			c.Args = append(c.Args, ac)
		}
		return c, nil
	}
	a, ok := attrs[n.attr]
	if !ok {
		return store.GroupCond{}, invalidSearch("Invalid search syntax: groups cannot be filtered by " + clip(n.attr, 64) + ".")
	}
	if !a.ops[n.op] {
		return store.GroupCond{}, invalidSearch("Invalid search syntax: the operator " + n.op + " is not supported for " + n.attr + ".")
	}
	if !n.quoted {
		return store.GroupCond{}, invalidSearch("Invalid search syntax: the value of " + n.attr + " must be a string in double quotes.")
	}
	c := store.GroupCond{Op: n.op, Field: a.field, Value: n.value}
	if a.time {
		t, err := time.Parse(time.RFC3339Nano, n.value)
		if err != nil {
			return store.GroupCond{}, invalidSearch("Invalid search syntax: " + n.attr + " takes an ISO 8601 time such as 2024-01-31T00:00:00.000Z.")
		}
		c.Value, c.Time = "", t
	}
	return c, nil
}
