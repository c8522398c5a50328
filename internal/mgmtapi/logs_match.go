package mgmtapi

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/latchkey/latchkey/internal/store"
)

// System Log filters (filter=) are evaluated on each event's LogEvent
// JSON, so that any of its attributes can be compared; the store narrows
// what is read by the event type, actor and target when the expression
// requires one (see logPushdown).

// maxLogAttrPath bounds an attribute path: its length and segments.
const (
	maxLogAttrLength   = 128
	maxLogAttrSegments = 8
)

// checkLogFilter refuses what the System Log does not filter by: the
// published time (since, until and after say it, as in Okta), and paths
// that are not attribute names.
func checkLogFilter(n *filterNode) error {
	if n.op == "and" || n.op == "or" {
		for _, a := range n.args {
			if err := checkLogFilter(a); err != nil {
				return err
			}
		}
		return nil
	}
	if n.attr == "published" {
		return invalidSearch("Invalid search syntax: filter by published time with since, until and after, not in the filter.")
	}
	segs := strings.Split(n.attr, ".")
	if len(n.attr) > maxLogAttrLength || len(segs) > maxLogAttrSegments {
		return invalidSearch("Invalid search syntax: the attribute " + clip(n.attr, 64) + " is too long.")
	}
	for _, s := range segs {
		if s == "" || strings.IndexFunc(s, func(r rune) bool {
			return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_')
		}) >= 0 {
			return invalidSearch("Invalid search syntax: " + clip(n.attr, 64) + " is not an attribute name.")
		}
	}
	return nil
}

// logPushdown sets what the store can select by from the comparisons the
// whole expression requires: eventType, actor.id and target.id eq a
// string. The expression is still evaluated on each event.
func logPushdown(n *filterNode, f *store.EventFilter) {
	if n == nil {
		return
	}
	terms := []*filterNode{n}
	if n.op == "and" {
		terms = n.args
	}
	for _, t := range terms {
		if t.op != "eq" || !t.quoted {
			continue
		}
		switch {
		case t.attr == "eventType" && f.EventType == "":
			f.EventType = t.value
		case t.attr == "actor.id" && f.ActorID == "":
			f.ActorID = t.value
		case t.attr == "target.id" && f.TargetID == "":
			f.TargetID = t.value
		}
	}
}

// matchLog reports whether the event (decoded JSON) meets n. An attribute
// of a list (target) holds when one element's does, as SCIM's
// multi-valued attributes.
func matchLog(n *filterNode, ev any) bool {
	switch n.op {
	case "and":
		for _, a := range n.args {
			if !matchLog(a, ev) {
				return false
			}
		}
		return true
	case "or":
		for _, a := range n.args {
			if matchLog(a, ev) {
				return true
			}
		}
		return false
	case "ne":
		eq := *n
		eq.op = "eq"
		return !matchLog(&eq, ev)
	}
	vals := attrValues(ev, strings.Split(n.attr, "."), nil)
	for _, v := range vals {
		if compareLog(n, v) {
			return true
		}
	}
	return false
}

// attrValues collects the scalar values at path (strings, numbers and
// booleans as their JSON text; null and missing give none).
func attrValues(v any, path []string, out []string) []string {
	if len(out) > 64 {
		return out
	}
	if arr, ok := v.([]any); ok {
		for _, e := range arr {
			out = attrValues(e, path, out)
		}
		return out
	}
	if len(path) == 0 {
		switch x := v.(type) {
		case string:
			out = append(out, x)
		case float64:
			out = append(out, strconv.FormatFloat(x, 'f', -1, 64))
		case bool:
			out = append(out, strconv.FormatBool(x))
		}
		return out
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return out
	}
	next, ok := obj[path[0]]
	if !ok {
		return out
	}
	return attrValues(next, path[1:], out)
}

// compareLog applies a comparison to one value: eq exactly, co, sw and ew
// case-insensitively, gt, ge, lt and le as strings (ISO 8601 times of one
// format order as strings), pr when the value is not empty.
func compareLog(n *filterNode, v string) bool {
	want := n.value
	switch n.op {
	case "eq":
		return v == want
	case "co":
		return strings.Contains(strings.ToLower(v), strings.ToLower(want))
	case "sw":
		return strings.HasPrefix(strings.ToLower(v), strings.ToLower(want))
	case "ew":
		return strings.HasSuffix(strings.ToLower(v), strings.ToLower(want))
	case "gt":
		return v > want
	case "ge":
		return v >= want
	case "lt":
		return v < want
	case "le":
		return v <= want
	case "pr":
		return v != ""
	}
	return false
}

// Okta's q: up to 10 keywords of at most 40 characters each.
const (
	maxLogKeywords      = 10
	maxLogKeywordLength = 40
)

// logKeywords splits q into lower-case keywords, or refuses it.
func logKeywords(q string) ([]string, error) {
	words := strings.Fields(q)
	if len(words) > maxLogKeywords {
		return nil, Validation("q", "q: at most 10 keywords")
	}
	for i, w := range words {
		if len([]rune(w)) > maxLogKeywordLength {
			return nil, Validation("q", "q: a keyword has at most 40 characters")
		}
		words[i] = strings.ToLower(w)
	}
	return words, nil
}

// matchKeywords reports whether every keyword occurs, case-insensitively,
// in one of the event's text values.
func matchKeywords(words []string, ev any) bool {
	if len(words) == 0 {
		return true
	}
	var texts []string
	collectText(ev, &texts)
	for _, w := range words {
		found := false
		for _, t := range texts {
			if strings.Contains(t, w) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

func collectText(v any, out *[]string) {
	switch x := v.(type) {
	case string:
		*out = append(*out, strings.ToLower(x))
	case []any:
		for _, e := range x {
			collectText(e, out)
		}
	case map[string]any:
		for _, e := range x {
			collectText(e, out)
		}
	}
}

// decodeLog decodes a stored event's JSON for matching.
func decodeLog(raw []byte) (any, error) {
	var v any
	err := json.Unmarshal(raw, &v)
	return v, err
}
