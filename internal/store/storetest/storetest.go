package storetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/store"
)

// Run runs the conformance suite. newStore must return a new, empty store on
// every call and close it through t.Cleanup; the subtests run in parallel,
// each with stores of its own.
func Run(t *testing.T, newStore func(t *testing.T) store.Store) {
	groups := []struct {
		name  string
		tests []test
	}{
		{"Ping", []test{{"Ping", testPing}}},
		{"AuthServers", authServerTests},
		{"Clients", clientTests},
		{"Users", userTests},
		{"UserImports", importTests},
		{"UserSearch", userSearchTests},
		{"UserLifecycle", userLifecycleTests},
		{"PasswordHistory", passwordHistoryTests},
		{"Keys", keyTests},
		{"Tokens", tokenTests},
		{"MFATokens", mfaTokenTests},
		{"Policies", policyTests},
		{"Directory", directoryTests},
		{"LoginCounters", loginCounterTests},
		{"Events", eventTests},
		{"Meta", metaTests},
		{"Export", exportTests},
		{"APITokens", apiTokenTests},
		{"ClientGrants", clientGrantTests},
		{"ClientSecrets", clientSecretTests},
		{"Factors", factorTests},
		{"Concurrency", concurrencyTests},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			for _, tc := range g.tests {
				t.Run(tc.name, func(t *testing.T) {
					t.Parallel()
					tc.fn(t, newStore(t))
				})
			}
		})
	}
}

type test struct {
	name string
	fn   func(t *testing.T, s store.Store)
}

func testPing(t *testing.T, s store.Store) {
	if err := s.Ping(t.Context()); err != nil {
		t.Fatalf("Ping: %v", err)
	}
}

// t0 is the suite's reference time: UTC, millisecond precision, the
// precision every backend keeps.
var t0 = time.Date(2024, time.March, 9, 14, 30, 15, 123_000_000, time.UTC)

// errBoom is what closures return to abort an update.
var errBoom = errors.New("storetest: closure refused")

// ctx returns the test's context.
func ctx(t *testing.T) context.Context { return t.Context() }

// wantErr fails t unless errors.Is(err, target).
func wantErr(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%s: got error %v, want %v", what, err, target)
	}
}

// must fails t on err.
func must(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// same fails t unless got equals want field by field: times compare with
// Equal (and must be UTC when set), empty and nil slices are equal.
func same[T any](t *testing.T, what string, got, want T) {
	t.Helper()
	if d := diff(reflect.ValueOf(got), reflect.ValueOf(want)); d != "" {
		t.Errorf("%s differs:%s", what, d)
	}
}

// sameList is same for lists, which must also have the same length.
func sameList[T any](t *testing.T, what string, got, want []T) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: got %d records %s, want %d %s", what, len(got), ids(got), len(want), ids(want))
	}
	for i := range got {
		same(t, fmt.Sprintf("%s[%d]", what, i), got[i], want[i])
	}
}

// ids lists the ID fields of records, for messages.
func ids[T any](recs []T) string {
	s := make([]string, len(recs))
	for i, r := range recs {
		s[i] = reflect.ValueOf(r).FieldByName("ID").String()
	}
	return "[" + strings.Join(s, " ") + "]"
}

var timeType = reflect.TypeFor[time.Time]()

func diff(got, want reflect.Value) string {
	var b strings.Builder
	for i := range want.NumField() {
		name := want.Type().Field(i).Name
		g, w := got.Field(i), want.Field(i)
		switch {
		case w.Type() == timeType:
			gt, wt := g.Interface().(time.Time), w.Interface().(time.Time)
			if !gt.Equal(wt) {
				fmt.Fprintf(&b, "\n  %s: got %v, want %v", name, gt, wt)
			} else if !gt.IsZero() && gt.Location() != time.UTC {
				fmt.Fprintf(&b, "\n  %s: %v is not in UTC", name, gt)
			}
		case w.Kind() == reflect.Slice && g.Len() == 0 && w.Len() == 0:
		case !reflect.DeepEqual(g.Interface(), w.Interface()):
			fmt.Fprintf(&b, "\n  %s: got %#v, want %#v", name, g.Interface(), w.Interface())
		}
	}
	return b.String()
}

// pageIDs are five ids, sorted, to create out of order and page through.
var pageIDs = []string{"id-a", "id-b", "id-c", "id-d", "id-e"}

// creationOrder is pageIDs shuffled, so that listing order cannot come from
// insertion order.
var creationOrder = []string{"id-c", "id-a", "id-e", "id-b", "id-d"}

// checkPaging pages through a store of exactly the records named pageIDs.
func checkPaging[T any](t *testing.T, list func(store.Page) ([]T, error)) {
	t.Helper()
	cases := []struct {
		page store.Page
		want []string
	}{
		{store.Page{}, pageIDs},
		{store.Page{Limit: 2}, pageIDs[:2]},
		{store.Page{After: "id-b", Limit: 2}, pageIDs[2:4]},
		{store.Page{After: "id-d", Limit: 2}, pageIDs[4:]},
		{store.Page{After: "id-e", Limit: 2}, nil},
		{store.Page{After: "id-bb"}, pageIDs[2:]}, // After need not exist
		{store.Page{After: "id-a", Limit: -1}, pageIDs[1:]},
		{store.Page{Limit: 100}, pageIDs},
	}
	for _, c := range cases {
		got, err := list(c.page)
		must(t, fmt.Sprintf("list %+v", c.page), err)
		if g, w := ids(got), "["+strings.Join(c.want, " ")+"]"; g != w {
			t.Errorf("list %+v: got %s, want %s", c.page, g, w)
		}
	}
}
