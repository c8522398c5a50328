package storetest

import (
	"sync"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/store"
)

var loginCounterTests = []test{
	{"UpdateCreatesBoth", testLoginCountersCreate},
	{"GetReadsWithoutCreating", testLoginCountersGet},
	{"SharedOnly", testLoginCountersSharedOnly},
	{"ClosureErrorStoresNothing", testLoginCountersAbort},
	{"ConcurrentIncrementsAllCount", testLoginCountersConcurrent},
	{"ResetKeepsKnownSources", testLoginCountersReset},
	{"DeleteStale", testLoginCountersDeleteStale},
}

func testLoginCountersCreate(t *testing.T, s store.Store) {
	err := s.UpdateLoginCounters(ctx(t), "ada@example.com", "192.0.2.1", func(shared, pair store.LoginCounter) (store.LoginCounter, store.LoginCounter, error) {
		same(t, "absent shared counter", shared, store.LoginCounter{LoginKey: "ada@example.com"})
		same(t, "absent pair counter", pair, store.LoginCounter{LoginKey: "ada@example.com", Source: "192.0.2.1"})
		shared.Failures, shared.LockedUntil, shared.UpdatedAt = 3, t0.Add(time.Hour), t0
		pair.LastSuccessAt, pair.UpdatedAt = t0, t0
		return shared, pair, nil
	})
	must(t, "UpdateLoginCounters", err)
	got, err := s.ListLoginCounters(ctx(t), "ada@example.com")
	must(t, "ListLoginCounters", err)
	if len(got) != 2 {
		t.Fatalf("got %d counters, want 2", len(got))
	}
	same(t, "shared", got[0], store.LoginCounter{LoginKey: "ada@example.com", Failures: 3, LockedUntil: t0.Add(time.Hour), UpdatedAt: t0})
	same(t, "pair", got[1], store.LoginCounter{LoginKey: "ada@example.com", Source: "192.0.2.1", LastSuccessAt: t0, UpdatedAt: t0})

	// A second update sees what the first stored.
	must(t, "second update", s.UpdateLoginCounters(ctx(t), "ada@example.com", "192.0.2.1", func(shared, pair store.LoginCounter) (store.LoginCounter, store.LoginCounter, error) {
		if shared.Failures != 3 || !pair.LastSuccessAt.Equal(t0) {
			t.Errorf("second update read %+v and %+v", shared, pair)
		}
		return shared, pair, nil
	}))
	other, err := s.ListLoginCounters(ctx(t), "grace@example.com")
	must(t, "list another login", err)
	if len(other) != 0 {
		t.Errorf("another login has counters: %+v", other)
	}
}

func testLoginCountersSharedOnly(t *testing.T, s store.Store) {
	must(t, "update without source", s.UpdateLoginCounters(ctx(t), "ada", "", func(shared, pair store.LoginCounter) (store.LoginCounter, store.LoginCounter, error) {
		same(t, "pair without source is the shared counter", pair, shared)
		shared.Failures = 1
		pair.Failures = 99 // ignored
		return shared, pair, nil
	}))
	got, err := s.ListLoginCounters(ctx(t), "ada")
	must(t, "list", err)
	if len(got) != 1 || got[0].Failures != 1 || got[0].Source != "" {
		t.Errorf("got %+v, want one shared counter with 1 failure", got)
	}
}

func testLoginCountersAbort(t *testing.T, s store.Store) {
	err := s.UpdateLoginCounters(ctx(t), "ada", "192.0.2.1", func(shared, pair store.LoginCounter) (store.LoginCounter, store.LoginCounter, error) {
		shared.Failures = 5
		return shared, pair, errBoom
	})
	wantErr(t, "aborted update", err, errBoom)
	got, err := s.ListLoginCounters(ctx(t), "ada")
	must(t, "list", err)
	if len(got) != 0 {
		t.Errorf("an aborted update left %+v", got)
	}
}

func testLoginCountersConcurrent(t *testing.T, s store.Store) {
	const n = 16
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			src := []string{"192.0.2.1", "192.0.2.2"}[i%2]
			err := s.UpdateLoginCounters(ctx(t), "ada", src, func(shared, pair store.LoginCounter) (store.LoginCounter, store.LoginCounter, error) {
				shared.Failures++
				pair.Failures++
				return shared, pair, nil
			})
			if err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	got, err := s.ListLoginCounters(ctx(t), "ada")
	must(t, "list", err)
	if len(got) != 3 || got[0].Failures != n || got[1].Failures != n/2 || got[2].Failures != n/2 {
		t.Errorf("after %d concurrent increments got %+v", n, got)
	}
}

func testLoginCountersReset(t *testing.T, s store.Store) {
	must(t, "lock", s.UpdateLoginCounters(ctx(t), "ada", "192.0.2.1", func(shared, pair store.LoginCounter) (store.LoginCounter, store.LoginCounter, error) {
		shared.Failures, shared.LockedUntil = 10, t0.Add(time.Hour)
		pair.Failures, pair.LockedUntil, pair.LastSuccessAt = 10, t0.Add(time.Hour), t0
		return shared, pair, nil
	}))
	must(t, "reset", s.ResetLoginCounters(ctx(t), "ada", t0.Add(time.Minute)))
	got, err := s.ListLoginCounters(ctx(t), "ada")
	must(t, "list", err)
	want := []store.LoginCounter{
		{LoginKey: "ada", UpdatedAt: t0.Add(time.Minute)},
		{LoginKey: "ada", Source: "192.0.2.1", LastSuccessAt: t0, UpdatedAt: t0.Add(time.Minute)},
	}
	if len(got) != 2 {
		t.Fatalf("got %+v", got)
	}
	for i := range want {
		same(t, "after reset", got[i], want[i])
	}
}

func testLoginCountersDeleteStale(t *testing.T, s store.Store) {
	set := func(login, src string, c store.LoginCounter) {
		t.Helper()
		must(t, "set "+login, s.UpdateLoginCounters(ctx(t), login, src, func(shared, pair store.LoginCounter) (store.LoginCounter, store.LoginCounter, error) {
			if src == "" {
				c.LoginKey = shared.LoginKey
				return c, c, nil
			}
			shared.UpdatedAt = t0.Add(-48 * time.Hour)
			return shared, c, nil
		}))
	}
	// idle failures: gone; still locked: kept; recently updated: kept;
	// a source known recently: kept; a source known long ago: gone.
	set("idle", "", store.LoginCounter{Failures: 3, UpdatedAt: t0.Add(-2 * time.Hour)})
	set("locked", "", store.LoginCounter{Failures: 10, LockedUntil: t0.Add(time.Hour), UpdatedAt: t0.Add(-2 * time.Hour)})
	set("recent", "", store.LoginCounter{Failures: 1, UpdatedAt: t0})
	set("known", "192.0.2.1", store.LoginCounter{LastSuccessAt: t0.Add(-24 * time.Hour), UpdatedAt: t0.Add(-24 * time.Hour)})
	set("forgotten", "192.0.2.1", store.LoginCounter{LastSuccessAt: t0.Add(-100 * 24 * time.Hour), UpdatedAt: t0.Add(-100 * 24 * time.Hour)})

	n, err := s.DeleteStaleLoginCounters(ctx(t), t0.Add(-time.Hour), t0.Add(-90*24*time.Hour))
	must(t, "DeleteStaleLoginCounters", err)
	count := func(login string) int {
		got, err := s.ListLoginCounters(ctx(t), login)
		must(t, "list "+login, err)
		return len(got)
	}
	// "known" and "forgotten" each had a stale shared counter (gone); the
	// known source stays, the forgotten one goes.
	wantCounts := map[string]int{"idle": 0, "locked": 1, "recent": 1, "known": 1, "forgotten": 0}
	for login, want := range wantCounts {
		if got := count(login); got != want {
			t.Errorf("%s: %d counters left, want %d", login, got, want)
		}
	}
	if n != 4 {
		t.Errorf("deleted %d rows, want 4", n)
	}
}

func testLoginCountersGet(t *testing.T, s store.Store) {
	shared, pair, err := s.GetLoginCounters(ctx(t), "ada", "192.0.2.1")
	must(t, "get absent", err)
	same(t, "absent shared", shared, store.LoginCounter{LoginKey: "ada"})
	same(t, "absent pair", pair, store.LoginCounter{LoginKey: "ada", Source: "192.0.2.1"})
	if got, err := s.ListLoginCounters(ctx(t), "ada"); err != nil || len(got) != 0 {
		t.Fatalf("a read created counters: %+v, %v", got, err)
	}
	must(t, "set", s.UpdateLoginCounters(ctx(t), "ada", "192.0.2.1", func(sh, p store.LoginCounter) (store.LoginCounter, store.LoginCounter, error) {
		sh.Failures, sh.UpdatedAt = 2, t0
		p.LastSuccessAt, p.UpdatedAt = t0, t0
		return sh, p, nil
	}))
	shared, pair, err = s.GetLoginCounters(ctx(t), "ada", "192.0.2.1")
	must(t, "get", err)
	same(t, "shared", shared, store.LoginCounter{LoginKey: "ada", Failures: 2, UpdatedAt: t0})
	same(t, "pair", pair, store.LoginCounter{LoginKey: "ada", Source: "192.0.2.1", LastSuccessAt: t0, UpdatedAt: t0})
	shared, pair, err = s.GetLoginCounters(ctx(t), "ada", "")
	must(t, "get without source", err)
	same(t, "pair without source is the shared counter", pair, shared)
	_, other, err := s.GetLoginCounters(ctx(t), "ada", "192.0.2.99")
	must(t, "get another source", err)
	same(t, "another source", other, store.LoginCounter{LoginKey: "ada", Source: "192.0.2.99"})
}
