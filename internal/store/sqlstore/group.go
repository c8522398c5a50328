package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
)

// Group commit of the hot writes on an in-process engine (SQLite).
//
// SQLite has one writer at a time, and with synchronous=FULL (its default
// and ours) every commit waits for the disk (an fsync of the write-ahead
// log) while it holds the write lock. Refresh-token rotations, token records
// and login counters, written by concurrent requests one transaction each,
// queue behind each other's syncs, and each commit writes again the pages
// the previous one wrote. inTxGrouped runs the transactions that arrive
// while one is committing together: one BEGIN, each in a SAVEPOINT of its
// own, and one COMMIT. A transaction whose function fails is rolled back to
// its savepoint and answers its own error; the others are not affected. Each
// still commits durably before its caller hears of it, and each sees the
// writes of those before it in the group, as if they had run one after
// another in that order (which is what the write lock gave them before).
//
// The first caller to find no group running leads: it takes every
// transaction waiting (up to maxGroup, its own among them), runs them, and
// hands the lead to the first of those that arrived meanwhile, so that no
// caller is kept leading groups for others while its own answer waits.
// On PostgreSQL, which has group commit of its own and concurrent writers,
// inTxGrouped is inTx.

// maxGroup bounds the transactions of one group, so that a group's commit
// does not wait on an unbounded amount of work.
const maxGroup = 64

const (
	savepointSQL        = `SAVEPOINT lk_group`
	releaseSavepointSQL = `RELEASE lk_group`
	rollbackSavepoint   = `ROLLBACK TO lk_group`
)

// txGroup is the queue of grouped transactions waiting for a commit.
type txGroup struct {
	mu      sync.Mutex
	pending []*txJob
	leading bool // a caller is running a group
}

// txJob is one grouped transaction.
type txJob struct {
	ctx  context.Context
	op   string
	fn   func(*sql.Tx) error
	err  error
	done chan struct{}
	lead chan struct{} // this caller is to run the next group
}

// inTxGrouped runs fn in a write transaction that may commit together with
// others (see above): same contract as inTx.
func (s *Store) inTxGrouped(ctx context.Context, op string, fn func(*sql.Tx) error) error {
	if !s.d.InProcess {
		return s.inTx(ctx, op, fn)
	}
	j := &txJob{ctx: ctx, op: op, fn: fn, done: make(chan struct{}), lead: make(chan struct{}, 1)}
	g := &s.group
	g.mu.Lock()
	g.pending = append(g.pending, j)
	if !g.leading {
		g.leading = true
		j.lead <- struct{}{}
	}
	g.mu.Unlock()
	for {
		select {
		case <-j.done:
			return j.err
		case <-j.lead:
			s.commitGroup()
		}
	}
}

// commitGroup runs the transactions waiting, then hands the lead on.
func (s *Store) commitGroup() {
	g := &s.group
	g.mu.Lock()
	n := min(len(g.pending), maxGroup)
	batch := make([]*txJob, n)
	copy(batch, g.pending)
	g.pending = append(g.pending[:0], g.pending[n:]...)
	g.mu.Unlock()

	defer func() {
		g.mu.Lock()
		if len(g.pending) > 0 {
			g.pending[0].lead <- struct{}{}
		} else {
			g.leading = false
		}
		g.mu.Unlock()
	}()
	s.runGroup(batch)
}

// runGroup runs batch in one transaction and answers each job.
func (s *Store) runGroup(batch []*txJob) {
	s.prepareWrites(context.Background(), savepointSQL, releaseSavepointSQL, rollbackSavepoint)
	// Every job is answered, whatever happens below (a panic in a job's
	// function included: it becomes that job's error).
	defer func() {
		for _, j := range batch {
			close(j.done)
		}
	}()
	// The group's transaction is no caller's: one caller's cancellation
	// must not roll back the others.
	ctx := context.Background()
	if len(batch) == 1 { // alone: no savepoint needed
		j := batch[0]
		if j.err = j.ctx.Err(); j.err == nil {
			j.err = s.inTx(ctx, j.op, func(tx *sql.Tx) error { return runJob(j, tx) })
		}
		return
	}
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		for _, j := range batch {
			j.err = s.errf("%s: begin: %w", j.op, err)
		}
		return
	}
	// From here a job's err stays nil only while its writes stand: it was
	// run and released.
	//
	// abort rolls the whole group back when a savepoint statement fails:
	// the transaction cannot be trusted further. A job whose own function
	// failed keeps its error; the others get this one.
	abort := func(what string, err error) {
		_ = tx.Rollback()
		for _, o := range batch {
			if o.err == nil {
				o.err = s.execErr(o.op+": "+what, err)
			}
		}
	}
	for _, j := range batch {
		if err := j.ctx.Err(); err != nil {
			j.err = err
			continue
		}
		if _, err := s.txExec(ctx, tx, savepointSQL); err != nil {
			abort("savepoint", err)
			return
		}
		if err := runJob(j, tx); err != nil {
			j.err = err
			if _, err := s.txExec(ctx, tx, rollbackSavepoint); err != nil {
				abort("rollback to savepoint", err)
				return
			}
		}
		if _, err := s.txExec(ctx, tx, releaseSavepointSQL); err != nil {
			abort("release savepoint", err)
			return
		}
	}
	if err := tx.Commit(); err != nil {
		for _, j := range batch {
			if j.err == nil {
				j.err = s.execErr(j.op+": commit", err)
			}
		}
	}
}

// runJob runs j's function, turning a panic into its error.
func runJob(j *txJob, tx *sql.Tx) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("sqlstore: %s: panic: %v", j.op, r)
		}
	}()
	return j.fn(tx)
}
