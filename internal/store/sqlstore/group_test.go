package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	_ "modernc.org/sqlite"
)

// groupStore is a Store over a SQLite file with one table, its write pool
// one connection as internal/store/sqlite opens it.
func groupStore(t *testing.T) *Store {
	t.Helper()
	dsn := "file:" + filepath.Join(t.TempDir(), "group.db") + "?_txlock=immediate&_pragma=journal_mode(WAL)&_pragma=busy_timeout(5000)"
	write, err := sql.Open("sqlite", dsn)
	if err != nil {
		t.Fatal(err)
	}
	write.SetMaxOpenConns(1)
	s, err := New(write, write, Dialect{Name: "sqlite", IsUniqueViolation: func(error) bool { return false }, InProcess: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	if _, err := write.Exec(`CREATE TABLE t (k INTEGER PRIMARY KEY)`); err != nil {
		t.Fatal(err)
	}
	return s
}

func keys(t *testing.T, s *Store) map[int]bool {
	t.Helper()
	rows, err := s.write.Query(`SELECT k FROM t`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	got := map[int]bool{}
	for rows.Next() {
		var k int
		if err := rows.Scan(&k); err != nil {
			t.Fatal(err)
		}
		got[k] = true
	}
	return got
}

// TestInTxGrouped: transactions that arrive while one runs commit together,
// and each answers as if it had run alone: a failed one (an error, a panic,
// a cancelled context) leaves nothing written and reports its own error;
// the others are committed.
func TestInTxGrouped(t *testing.T) {
	s := groupStore(t)
	const n = 40
	// The first transaction waits until the others are queued, so that
	// they form groups behind it.
	release := make(chan struct{})
	var (
		mu  sync.Mutex
		txs = map[*sql.Tx]int{}
	)
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	errs := make([]error, n)
	var wg sync.WaitGroup
	for k := range n {
		wg.Go(func() {
			ctx := context.Background()
			if k == 7 {
				ctx = cancelled
			}
			errs[k] = s.inTxGrouped(ctx, fmt.Sprint("job ", k), func(tx *sql.Tx) error {
				if k == 0 {
					<-release
				}
				mu.Lock()
				txs[tx]++
				mu.Unlock()
				if _, err := tx.Exec(`INSERT INTO t (k) VALUES (?)`, k); err != nil {
					return err
				}
				switch {
				case k%5 == 3:
					return fmt.Errorf("refused %d", k)
				case k == 11:
					panic("job 11 panics")
				}
				return nil
			})
		})
		if k == 0 {
			for !s.groupLeading() {
				time.Sleep(time.Millisecond)
			}
		}
	}
	for s.groupPending() < n-1 {
		time.Sleep(time.Millisecond)
	}
	close(release)
	wg.Wait()

	stored := keys(t, s)
	for k := range n {
		var want error
		switch {
		case k == 7:
			want = context.Canceled
		case k%5 == 3:
			want = fmt.Errorf("refused %d", k)
		case k == 11:
			want = errors.New("sqlstore: job 11: panic: job 11 panics")
		}
		if (errs[k] == nil) != (want == nil) || (want != nil && errs[k].Error() != want.Error()) {
			t.Errorf("job %d: %v, want %v", k, errs[k], want)
		}
		if stored[k] != (want == nil) {
			t.Errorf("job %d: stored %v with error %v", k, stored[k], errs[k])
		}
	}
	if len(txs) >= n-1 {
		t.Errorf("%d transactions for %d jobs: none grouped", len(txs), n)
	}
	t.Logf("%d jobs in %d transactions", n, len(txs))
	if s.groupLeading() || s.groupPending() != 0 {
		t.Error("a group is still leading or pending after every job answered")
	}
	// The lead is free again: a lone transaction runs at once.
	if err := s.inTxGrouped(context.Background(), "alone", func(tx *sql.Tx) error {
		_, err := tx.Exec(`INSERT INTO t (k) VALUES (1000)`)
		return err
	}); err != nil || !keys(t, s)[1000] {
		t.Fatalf("a lone transaction after the groups: %v", err)
	}
	// Alone and failing: rolled back, its own error answered.
	refused := errors.New("refused alone")
	if err := s.inTxGrouped(context.Background(), "alone", func(tx *sql.Tx) error {
		if _, err := tx.Exec(`INSERT INTO t (k) VALUES (1001)`); err != nil {
			return err
		}
		return refused
	}); !errors.Is(err, refused) || keys(t, s)[1001] {
		t.Fatalf("a lone failing transaction: %v, stored %v", err, keys(t, s)[1001])
	}
}

func (s *Store) groupLeading() bool {
	s.group.mu.Lock()
	defer s.group.mu.Unlock()
	return s.group.leading
}

func (s *Store) groupPending() int {
	s.group.mu.Lock()
	defer s.group.mu.Unlock()
	return len(s.group.pending)
}
