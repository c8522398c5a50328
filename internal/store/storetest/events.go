package storetest

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/store"
)

var eventTests = []test{
	{"AppendListRoundTrip", testEventRoundTrip},
	{"AppendIsIdempotent", testEventAppendAgain},
	{"AppendEmpty", testEventAppendEmpty},
	{"AppendLargeBatch", testEventAppendLarge},
	{"ListOrderAndLimit", testEventOrder},
	{"ListFilters", testEventFilters},
	{"DeleteBefore", testEventDeleteBefore},
	{"ListByActorAndTarget", testEventActorTarget},
	{"ListAfter", testEventAfter},
}

// newEvent returns an event published at t0 plus offset; its JSON names
// its id, as a real event's does.
func newEvent(id string, offset time.Duration, eventType, actor string, targets ...string) store.StoredEvent {
	return store.StoredEvent{ID: id, Published: t0.Add(offset), EventType: eventType, ActorID: actor, TargetIDs: targets,
		JSON: []byte(fmt.Sprintf(`{"uuid":%q,"eventType":%q}`, id, eventType))}
}

func appendEvents(t *testing.T, s store.Store, evs ...store.StoredEvent) {
	t.Helper()
	must(t, "AppendEvents", s.AppendEvents(ctx(t), evs))
}

func listEvents(t *testing.T, s store.Store, f store.EventFilter) []store.StoredEvent {
	t.Helper()
	got, err := s.ListEvents(ctx(t), f)
	must(t, fmt.Sprintf("ListEvents %+v", f), err)
	return got
}

func eventIDs(evs []store.StoredEvent) string {
	ids := make([]string, len(evs))
	for i, e := range evs {
		ids[i] = e.ID
	}
	return strings.Join(ids, " ")
}

func testEventRoundTrip(t *testing.T, s store.Store) {
	full := newEvent("ev-1", 0, "app.oauth2.as.token.grant.access_token", "0oa1", "00u1", "AT.abc")
	bare := newEvent("ev-2", time.Second, "user.account.unlock", "latchkey")
	appendEvents(t, s, full, bare)
	got := listEvents(t, s, store.EventFilter{})
	sameList(t, "events", got, []store.StoredEvent{full, bare})
	if string(got[0].JSON) != string(full.JSON) {
		t.Errorf("JSON: got %s, want %s", got[0].JSON, full.JSON)
	}
}

// testEventAppendAgain: a batch appended again after a failure stores
// nothing twice, and the new events of the batch still go in.
func testEventAppendAgain(t *testing.T, s store.Store) {
	a := newEvent("ev-a", 0, "x", "00u1", "0oa1")
	b := newEvent("ev-b", time.Second, "x", "00u1")
	appendEvents(t, s, a)
	appendEvents(t, s, a, b)
	got := listEvents(t, s, store.EventFilter{})
	sameList(t, "events", got, []store.StoredEvent{a, b})
	if got := listEvents(t, s, store.EventFilter{UserID: "0oa1"}); eventIDs(got) != "ev-a" {
		t.Errorf("by target after append again: %s", eventIDs(got))
	}
}

// testEventAppendLarge: a batch larger than any one statement a backend
// writes keeps its order within one millisecond, its targets, and stores an
// event repeated in the batch (and a target repeated in an event) once.
func testEventAppendLarge(t *testing.T, s store.Store) {
	const n = 700
	evs := make([]store.StoredEvent, 0, n+2)
	var want []store.StoredEvent
	for i := range n {
		// Ids in the opposite order of the batch, all of one time: only
		// the append order can list them right.
		e := newEvent(fmt.Sprintf("ev-%04d", n-i), 0, "x", "00u1", "AT.shared", fmt.Sprintf("t-%d", i%3))
		evs = append(evs, e)
		want = append(want, e)
	}
	dup := evs[5]
	dup.EventType = "changed"
	evs = append(evs, dup)
	twice := newEvent("ev-twice", 0, "x", "00u2", "t-x", "t-x")
	evs = append(evs, twice)
	twice.TargetIDs = []string{"t-x"}
	want = append(want, twice)
	appendEvents(t, s, evs...)

	got := listEvents(t, s, store.EventFilter{Limit: n + 10})
	sameList(t, "events", got, want)
	if got := listEvents(t, s, store.EventFilter{TargetID: "t-1", Limit: n}); len(got) != n/3 {
		t.Errorf("events with target t-1: %d, want %d", len(got), n/3)
	}
}

func testEventAppendEmpty(t *testing.T, s store.Store) {
	must(t, "AppendEvents(nil)", s.AppendEvents(ctx(t), nil))
	if got := listEvents(t, s, store.EventFilter{}); len(got) != 0 {
		t.Fatalf("events after an empty append: %s", eventIDs(got))
	}
}

// testEventOrder: oldest first as Okta's /api/v1/logs, events of the same
// time in the order they were appended (whatever their ids); newest first
// on request; the limit applies after the order.
func testEventOrder(t *testing.T, s store.Store) {
	appendEvents(t, s,
		newEvent("ev-c", 2*time.Second, "x", "a"),
		newEvent("ev-b", 0, "x", "a"),
	)
	appendEvents(t, s,
		newEvent("ev-a", 0, "x", "a"),
		newEvent("ev-d", time.Second, "x", "a"),
	)
	cases := []struct {
		f    store.EventFilter
		want string
	}{
		{store.EventFilter{}, "ev-b ev-a ev-d ev-c"},
		{store.EventFilter{Limit: 2}, "ev-b ev-a"},
		{store.EventFilter{Descending: true}, "ev-c ev-d ev-a ev-b"},
		{store.EventFilter{Descending: true, Limit: 1}, "ev-c"},
	}
	for _, c := range cases {
		if got := eventIDs(listEvents(t, s, c.f)); got != c.want {
			t.Errorf("ListEvents %+v: got %s, want %s", c.f, got, c.want)
		}
	}
	var many []store.StoredEvent
	for i := range store.DefaultEventLimit + 5 {
		many = append(many, newEvent(fmt.Sprintf("many-%03d", i), time.Hour, "y", "b"))
	}
	appendEvents(t, s, many...)
	if got := listEvents(t, s, store.EventFilter{EventType: "y"}); len(got) != store.DefaultEventLimit {
		t.Errorf("no limit: got %d events, want the default %d", len(got), store.DefaultEventLimit)
	}
}

func testEventFilters(t *testing.T, s store.Store) {
	appendEvents(t, s,
		newEvent("ev-1", 0, "user.session.start", "00u1", "0oa1"),
		newEvent("ev-2", time.Minute, "app.oauth2.as.token.grant.access_token", "0oa1", "00u1", "AT.1"),
		newEvent("ev-3", 2*time.Minute, "app.oauth2.as.token.grant.access_token", "0oa1", "00u2", "AT.2"),
		newEvent("ev-4", 3*time.Minute, "user.account.lock", "00u2", "00u2"),
	)
	cases := []struct {
		f    store.EventFilter
		want string
	}{
		{store.EventFilter{UserID: "00u1"}, "ev-1 ev-2"}, // actor or target
		{store.EventFilter{UserID: "00u2"}, "ev-3 ev-4"}, // both at once counts once
		{store.EventFilter{UserID: "00u9"}, ""},
		{store.EventFilter{EventType: "app.oauth2.as.token.grant.access_token"}, "ev-2 ev-3"},
		{store.EventFilter{Since: t0.Add(time.Minute)}, "ev-2 ev-3 ev-4"}, // since is inclusive
		{store.EventFilter{Until: t0.Add(2 * time.Minute)}, "ev-1 ev-2"},  // until is exclusive
		{store.EventFilter{Since: t0.Add(time.Minute), Until: t0.Add(3 * time.Minute)}, "ev-2 ev-3"},
		{store.EventFilter{UserID: "0oa1", EventType: "user.session.start"}, "ev-1"},
		{store.EventFilter{UserID: "00u2", EventType: "app.oauth2.as.token.grant.access_token", Since: t0, Limit: 5}, "ev-3"},
	}
	for _, c := range cases {
		if got := eventIDs(listEvents(t, s, c.f)); got != c.want {
			t.Errorf("ListEvents %+v: got %q, want %q", c.f, got, c.want)
		}
	}
}

func testEventDeleteBefore(t *testing.T, s store.Store) {
	appendEvents(t, s,
		newEvent("ev-old", -48*time.Hour, "x", "00u1", "0oa1"),
		newEvent("ev-edge", 0, "x", "00u1", "0oa1"),
		newEvent("ev-new", time.Hour, "x", "00u1", "0oa1"),
	)
	n, err := s.DeleteEventsBefore(ctx(t), t0)
	must(t, "DeleteEventsBefore", err)
	if n != 1 {
		t.Errorf("deleted %d events, want 1", n)
	}
	if got := eventIDs(listEvents(t, s, store.EventFilter{})); got != "ev-edge ev-new" {
		t.Errorf("after delete: %s", got)
	}
	if got := eventIDs(listEvents(t, s, store.EventFilter{UserID: "0oa1"})); got != "ev-edge ev-new" {
		t.Errorf("by target after delete: %s", got)
	}
	n, err = s.DeleteEventsBefore(ctx(t), t0)
	must(t, "DeleteEventsBefore again", err)
	if n != 0 {
		t.Errorf("deleted %d events again, want 0", n)
	}
	// An event appended again after its deletion is new again.
	appendEvents(t, s, newEvent("ev-old", -48*time.Hour, "x", "00u1", "0oa1"))
	if got := eventIDs(listEvents(t, s, store.EventFilter{UserID: "0oa1"})); got != "ev-old ev-edge ev-new" {
		t.Errorf("re-appended: %s", got)
	}
}

func testEventActorTarget(t *testing.T, s store.Store) {
	appendEvents(t, s,
		newEvent("ev-1", 0, "user.session.start", "00u1", "0oa1"),
		newEvent("ev-2", time.Minute, "app.oauth2.as.token.grant.access_token", "0oa1", "00u1", "AT.1"),
		newEvent("ev-3", 2*time.Minute, "user.account.lock", "00u2", "00u2"),
	)
	cases := []struct {
		f    store.EventFilter
		want string
	}{
		{store.EventFilter{ActorID: "00u1"}, "ev-1"}, // not as a target
		{store.EventFilter{ActorID: "0oa1"}, "ev-2"},
		{store.EventFilter{TargetID: "00u1"}, "ev-2"}, // not as the actor
		{store.EventFilter{TargetID: "00u2"}, "ev-3"},
		{store.EventFilter{TargetID: "AT.1", ActorID: "0oa1"}, "ev-2"},
		{store.EventFilter{TargetID: "AT.1", ActorID: "00u1"}, ""},
		{store.EventFilter{ActorID: "00u2", TargetID: "00u2", EventType: "user.account.lock"}, "ev-3"},
		{store.EventFilter{ActorID: "' OR 1=1 --"}, ""},
	}
	for _, c := range cases {
		if got := eventIDs(listEvents(t, s, c.f)); got != c.want {
			t.Errorf("ListEvents %+v: got %q, want %q", c.f, got, c.want)
		}
	}
}

// testEventAfter: paging by the position of the last event read walks
// every event once, in either order, events of one instant included; a
// position whose event is gone continues after its time.
func testEventAfter(t *testing.T, s store.Store) {
	appendEvents(t, s,
		newEvent("ev-c", time.Second, "x", "a"),
		newEvent("ev-b", 0, "x", "a"),
		newEvent("ev-z", 0, "x", "a"),
	)
	appendEvents(t, s,
		newEvent("ev-a", 0, "x", "a"),
		newEvent("ev-d", 2*time.Second, "x", "a"),
		newEvent("ev-e", 2*time.Second, "y", "b"),
	)
	walk := func(f store.EventFilter) string {
		var all []store.StoredEvent
		for range 10 {
			page := listEvents(t, s, f)
			all = append(all, page...)
			if len(page) < f.Limit {
				break
			}
			last := page[len(page)-1]
			f.After = store.EventPosition{Published: last.Published, ID: last.ID}
		}
		return eventIDs(all)
	}
	for _, limit := range []int{1, 2, 4} {
		if got := walk(store.EventFilter{Limit: limit}); got != "ev-b ev-z ev-a ev-c ev-d ev-e" {
			t.Errorf("ascending, by %d: %s", limit, got)
		}
		if got := walk(store.EventFilter{Limit: limit, Descending: true}); got != "ev-e ev-d ev-c ev-a ev-z ev-b" {
			t.Errorf("descending, by %d: %s", limit, got)
		}
		if got := walk(store.EventFilter{Limit: limit, EventType: "x"}); got != "ev-b ev-z ev-a ev-c ev-d" {
			t.Errorf("of one type, by %d: %s", limit, got)
		}
	}
	gone := store.EventPosition{Published: t0, ID: "ev-deleted"}
	if got := eventIDs(listEvents(t, s, store.EventFilter{After: gone})); got != "ev-c ev-d ev-e" {
		t.Errorf("after an event no longer stored: %s", got)
	}
	if got := eventIDs(listEvents(t, s, store.EventFilter{After: gone, Descending: true})); got != "" {
		t.Errorf("descending after an event no longer stored: %q", got)
	}
	// The position's time must be the event's: an id alone does not move it.
	moved := store.EventPosition{Published: t0.Add(time.Second), ID: "ev-z"}
	if got := eventIDs(listEvents(t, s, store.EventFilter{After: moved})); got != "ev-d ev-e" {
		t.Errorf("after a position whose time is not its event's: %s", got)
	}
}
