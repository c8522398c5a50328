package mgmtapi_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/okta/okta-sdk-golang/v2/okta/query"

	"github.com/latchkey/latchkey/internal/events"
	"github.com/latchkey/latchkey/internal/store"
)

const (
	logUser1 = "00uLogAda00000000001"
	logUser2 = "00uLogBob00000000002"
	logApp   = "0oaLogBilling0000001"
)

// logFixture stores events with known uuids and times relative to now.
type logFixture struct {
	e   *apiEnv
	now time.Time
	n   int
}

func (f *logFixture) add(t testing.TB, ago time.Duration, ev events.Event) string {
	t.Helper()
	f.n++
	ev.UUID = fmt.Sprintf("00000000-0000-4000-8000-%012d", f.n)
	ev.Published = f.now.Add(-ago)
	s, err := events.ToStored(ev)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.e.app.Store.AppendEvents(context.Background(), []store.StoredEvent{s}); err != nil {
		t.Fatal(err)
	}
	return ev.UUID
}

// logUUIDs follows next links from path while they bring events, and
// returns the uuids read, the pages and the last next link.
func logUUIDs(t testing.TB, e *apiEnv, path string) ([]string, int, string) {
	t.Helper()
	var ids []string
	pages := 0
	u := path
	for ; u != "" && pages < 20; pages++ {
		r := e.do("GET", u, nil)
		if r.status != http.StatusOK {
			t.Fatalf("GET %s: %d %s", u, r.status, r.raw)
		}
		var list []map[string]any
		r.decode(t, &list)
		for _, ev := range list {
			ids = append(ids, ev["uuid"].(string))
		}
		u = nextLink(t, r)
		if len(list) == 0 {
			break // a poll that brought nothing
		}
	}
	return ids, pages, u
}

func ts(t time.Time) string { return url.QueryEscape(t.UTC().Format(time.RFC3339Nano)) }

// TestLogs: the System Log over the stored audit events: time bounds,
// order, filters, keywords, paging and polling.
func TestLogs(t *testing.T) {
	t.Parallel()
	e := newAPIEnv(t)
	// "Now" is 10 seconds ago: polling requests leave out the last second.
	f := &logFixture{e: e, now: time.Now().Add(-10 * time.Second).Truncate(time.Millisecond)}
	ada, bob := events.User(logUser1, "ada@example.com", "Ada"), events.User(logUser2, "bob@example.com", "Bob")
	billing := events.App(logApp, "Billing")
	e1 := f.add(t, 3*time.Hour, events.SessionStart(ada, billing, ""))
	e2 := f.add(t, 2*time.Hour, events.SessionStart(bob, billing, events.ReasonInvalidCredentials))
	e3 := f.add(t, time.Hour, events.AccountLocked(bob, 5))
	e4 := f.add(t, 8*24*time.Hour, events.SessionStart(ada, billing, ""))
	e5 := f.add(t, 30*time.Minute, events.AccountUnlockedByAdmin(events.System(), bob))

	r := e.do("GET", "/api/v1/logs?filter="+url.QueryEscape(`eventType eq "user.account.lock"`), nil)
	e.golden("logs-list", r.raw)

	since, until := "since="+ts(f.now.Add(-4*time.Hour)), "until="+ts(f.now.Add(time.Minute))
	for _, c := range []struct {
		query string
		want  []string
	}{
		{"", []string{e1, e2, e3, e5}}, // since defaults to 7 days ago
		{"since=" + ts(f.now.Add(-9*24*time.Hour)), []string{e4, e1, e2, e3, e5}},
		{since + "&until=" + ts(f.now.Add(-time.Hour)), []string{e1, e2}}, // until is exclusive
		{"until=" + ts(f.now.Add(-2*time.Hour)), []string{e1}},            // since: 7 days before until
		{"sortOrder=DESCENDING", []string{e5, e3, e2, e1}},
		{"filter=" + url.QueryEscape(`eventType eq "user.session.start"`), []string{e1, e2}},
		{"filter=" + url.QueryEscape(`outcome.result eq "FAILURE"`), []string{e2}},
		{"filter=" + url.QueryEscape(`actor.id eq "`+logUser2+`"`), []string{e2, e3}},
		{"filter=" + url.QueryEscape(`target.id eq "`+logUser2+`"`), []string{e3, e5}},
		{"filter=" + url.QueryEscape(`target.id eq "`+logUser2+`" and actor.id eq "latchkey"`), []string{e5}},
		{"filter=" + url.QueryEscape(`(eventType eq "user.session.start" and outcome.result eq "SUCCESS") or eventType eq "user.account.lock"`), []string{e1, e3}},
		{"filter=" + url.QueryEscape(`debugContext.debugData.failedAttempts eq "5"`), []string{e3}},
		{"filter=" + url.QueryEscape(`actor.alternateId co "BOB"`), []string{e2, e3}},
		{"filter=" + url.QueryEscape(`outcome.reason pr`), []string{e2, e3}},
		{"filter=" + url.QueryEscape(`eventType ne "user.session.start"`), []string{e3, e5}},
		{"filter=" + url.QueryEscape(`target.displayName sw "bill" and severity eq "INFO"`), []string{e1, e2}},
		{"q=bob", []string{e2, e3, e5}},
		{"q=" + url.QueryEscape("BOB billing"), []string{e2}},
		{"q=nothing-matches", nil},
	} {
		got, _, _ := logUUIDs(t, e, "/api/v1/logs?"+c.query)
		if !slices.Equal(got, c.want) {
			t.Errorf("%s: got %v, want %v", c.query, got, c.want)
		}
	}

	// Bounded queries page to the end, then give no next link.
	for _, c := range []struct {
		query string
		want  []string
		pages int
	}{
		{since + "&" + until + "&limit=1", []string{e1, e2, e3, e5}, 4},
		{since + "&" + until + "&limit=3", []string{e1, e2, e3, e5}, 2},
		{since + "&" + until + "&limit=1&filter=" + url.QueryEscape(`target.id eq "`+logUser2+`"`), []string{e3, e5}, 2},
		{since + "&limit=2&sortOrder=DESCENDING", []string{e5, e3, e2, e1}, 2},
	} {
		got, pages, next := logUUIDs(t, e, "/api/v1/logs?"+c.query)
		if !slices.Equal(got, c.want) || pages != c.pages || next != "" {
			t.Errorf("%s: got %v in %d pages (next %q), want %v in %d", c.query, got, pages, next, c.want, c.pages)
		}
	}

	// Polling (no until): a next link always, from which later events come.
	got, _, next := logUUIDs(t, e, "/api/v1/logs?"+since+"&limit=3")
	if !slices.Equal(got, []string{e1, e2, e3, e5}) || next == "" {
		t.Fatalf("poll: %v, next %q", got, next)
	}
	r = e.do("GET", next, nil)
	if r.status != http.StatusOK || string(r.raw) != "[]\n" || nextLink(t, r) != next {
		t.Fatalf("an empty poll: %d %s, next %q want %q", r.status, r.raw, nextLink(t, r), next)
	}
	e6 := f.add(t, time.Millisecond, events.AccountUnlocked(bob)) // recorded after the poll began
	// An event of the last second waits for the next poll.
	fresh := f.add(t, time.Until(f.now), events.AccountUnlocked(bob)) // published now
	got, _, next2 := logUUIDs(t, e, next)
	if !slices.Equal(got, []string{e6}) || next2 == "" || next2 == next {
		t.Fatalf("poll after a new event: %v, next %q", got, next2)
	}
	time.Sleep(1100 * time.Millisecond)
	if got, _, _ := logUUIDs(t, e, next2); !slices.Equal(got, []string{fresh}) {
		t.Fatalf("the poll a second later: %v, want %s", got, fresh)
	}
	// A poll that finds nothing at all repeats itself.
	r = e.do("GET", "/api/v1/logs?filter="+url.QueryEscape(`eventType eq "none.such"`), nil)
	if string(r.raw) != "[]\n" || !strings.Contains(nextLink(t, r), "filter=") || strings.Contains(nextLink(t, r), "after=") {
		t.Fatalf("an empty first poll: %s, next %q", r.raw, nextLink(t, r))
	}

	// Refusals.
	for _, bad := range []string{`published gt "2024-01-01T00:00:00Z"`, `eventType eq`, `actor.id eq "x" or`, `a..b eq "x"`, `eventType eq user`,
		`(eventType eq "x"`, strings.Repeat("(", 10) + `eventType eq "x"` + strings.Repeat(")", 10)} {
		wantError(t, e.do("GET", "/api/v1/logs?filter="+url.QueryEscape(bad), nil), http.StatusBadRequest, "E0000031")
	}
	for _, bad := range []string{"since=yesterday", "until=2024-13-01T00:00:00Z", since + "&until=" + ts(f.now.Add(-5*time.Hour)),
		"sortOrder=UP", "limit=0", "limit=x", "after=junk", "after=lk1.bm9uc2Vuc2U", "q=" + url.QueryEscape(strings.Repeat("w ", 11)),
		"q=" + strings.Repeat("k", 41)} {
		wantError(t, e.do("GET", "/api/v1/logs?"+bad, nil), http.StatusBadRequest, "E0000001")
	}
	if r := e.do("GET", "/api/v1/logs?limit=5000", nil); r.status != http.StatusOK {
		t.Fatalf("a limit past the most: %d %s", r.status, r.raw)
	}
}

// TestLogsSDK reads the System Log with Okta's Go SDK across pages, in
// SSWS and in PrivateKey mode with okta.logs.read.
func TestLogsSDK(t *testing.T) {
	t.Parallel()
	e := newAPIEnv(t)
	f := &logFixture{e: e, now: time.Now().Truncate(time.Millisecond)}
	bob := events.User(logUser2, "bob@example.com", "Bob")
	billing := events.App(logApp, "Billing")
	var want []string
	for i := range 5 {
		want = append(want, f.add(t, time.Duration(10-i)*time.Minute, events.SessionStart(bob, billing, events.ReasonInvalidCredentials)))
	}
	f.add(t, time.Minute, events.AccountLocked(bob, 5))
	ctx := context.Background()
	qp := &query.Params{Filter: `eventType eq "user.session.start" and outcome.result eq "FAILURE"`, Limit: 2,
		Since: f.now.Add(-time.Hour).UTC().Format(time.RFC3339), Until: f.now.Add(time.Minute).UTC().Format(time.RFC3339)}
	c := e.sdk()
	logs, resp, err := c.LogEvent.GetLogs(ctx, qp)
	var got []string
	for pages := 1; ; pages++ {
		if err != nil {
			t.Fatalf("GetLogs: %v", err)
		}
		for _, l := range logs {
			if l.Outcome.Result != "FAILURE" || l.Actor.Id != logUser2 || l.Published == nil {
				t.Fatalf("event: %+v", l)
			}
			got = append(got, l.Uuid)
		}
		if !resp.HasNextPage() {
			if pages != 3 {
				t.Fatalf("%d pages, want 3", pages)
			}
			break
		}
		logs = nil
		resp, err = resp.Next(ctx, &logs)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("GetLogs: %v, want %v", got, want)
	}

	clientID, key := e.serviceClient("okta.logs.read")
	logs, _, err = e.sdkOAuth(clientID, key, "okta.logs.read").LogEvent.GetLogs(ctx, &query.Params{Filter: `eventType eq "user.account.lock"`})
	if err != nil || len(logs) != 1 || logs[0].EventType != "user.account.lock" {
		t.Fatalf("GetLogs in PrivateKey mode: %v %v", logs, err)
	}
}
