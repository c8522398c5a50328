package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/latchkey/latchkey/internal/store"
)

// Rows per multi-row INSERT of AppendEvents: well under the parameter
// limits of both engines (SQLite 32,766, PostgreSQL 65,535).
const (
	eventsPerInsert  = 100 // 5 parameters each
	targetsPerInsert = 250 // 2 parameters each
)

// AppendEvents implements store.Store: all events in one transaction,
// written with multi-row INSERTs (one statement, one round trip, per
// eventsPerInsert events, and one per targetsPerInsert targets of the
// events inserted), so that a batch of the audit trail's writer costs a
// few round trips instead of one per event and per target. An event whose
// id exists, or appears earlier in the batch, is skipped with its targets.
func (s *Store) AppendEvents(ctx context.Context, events []store.StoredEvent) error {
	const op = "append events"
	if len(events) == 0 {
		return nil
	}
	for _, e := range events {
		if err := s.checkID(op, e.ID); err != nil {
			return err
		}
	}
	events = uniqueEvents(events)
	if s.d.InProcess {
		return s.appendEventsByRow(ctx, events)
	}
	return s.inTx(ctx, op, func(tx *sql.Tx) error {
		var targets []eventTarget
		for start := 0; start < len(events); start += eventsPerInsert {
			chunk := events[start:min(start+eventsPerInsert, len(events))]
			inserted, err := s.insertEvents(ctx, tx, chunk)
			if err != nil {
				return err
			}
			for _, e := range chunk {
				if !inserted[e.ID] {
					continue // appended before
				}
				for _, target := range e.TargetIDs {
					targets = append(targets, eventTarget{e.ID, target})
				}
			}
		}
		for start := 0; start < len(targets); start += targetsPerInsert {
			if err := s.insertTargets(ctx, tx, targets[start:min(start+targetsPerInsert, len(targets))]); err != nil {
				return err
			}
		}
		return nil
	})
}

// The statements of appendEventsByRow.
const (
	insertEventRow = `INSERT INTO events (id, published, event_type, actor_id, body, seq) ` +
		`VALUES ($1, $2, $3, $4, $5, (SELECT COALESCE(MAX(seq), 0) FROM events) + 1) ON CONFLICT (id) DO NOTHING`
	insertTargetRow = `INSERT INTO event_targets (event_id, target_id) VALUES ($1, $2) ON CONFLICT (event_id, target_id) DO NOTHING`
)

// appendEventsByRow is AppendEvents for an in-process engine: one
// transaction, each event and target inserted by a statement prepared
// once. On SQLite this costs about half the CPU of the multi-row
// statements (BenchmarkAppendEvents), which SQLite parses anew for each
// batch and, since they write many rows that could fail half-way, guards
// with a statement journal.
func (s *Store) appendEventsByRow(ctx context.Context, events []store.StoredEvent) error {
	const op = "append events"
	s.prepareWrites(ctx, insertEventRow, insertTargetRow)
	return s.inTx(ctx, op, func(tx *sql.Tx) error {
		// Each statement bound to tx once for the batch; one that
		// prepareWrites could not prepare is parsed here.
		stmt := func(q string) (*sql.Stmt, error) {
			if st := s.txStmt(ctx, tx, q); st != nil {
				return st, nil
			}
			return tx.PrepareContext(ctx, q)
		}
		insEvent, err := stmt(insertEventRow)
		if err != nil {
			return s.execErr(op, err)
		}
		insTarget, err := stmt(insertTargetRow)
		if err != nil {
			return s.execErr(op, err)
		}
		for _, e := range events {
			res, err := insEvent.ExecContext(ctx, e.ID, millis(e.Published), e.EventType, e.ActorID, string(e.JSON))
			if err != nil {
				return s.execErr(op, err)
			}
			if n, err := res.RowsAffected(); err != nil {
				return s.execErr(op, err)
			} else if n == 0 {
				continue // appended before
			}
			for _, target := range e.TargetIDs {
				if _, err := insTarget.ExecContext(ctx, e.ID, target); err != nil {
					return s.execErr(op, err)
				}
			}
		}
		return nil
	})
}

type eventTarget struct{ event, target string }

// uniqueEvents drops the events whose id came earlier in events, and the
// repeated targets of each, keeping the order.
func uniqueEvents(events []store.StoredEvent) []store.StoredEvent {
	seen := make(map[string]bool, len(events))
	out := make([]store.StoredEvent, 0, len(events))
	for _, e := range events {
		if seen[e.ID] {
			continue
		}
		seen[e.ID] = true
		if len(e.TargetIDs) > 1 {
			ts := make([]string, 0, len(e.TargetIDs))
			for _, t := range e.TargetIDs {
				if !slices.Contains(ts, t) {
					ts = append(ts, t)
				}
			}
			e.TargetIDs = ts
		}
		out = append(out, e)
	}
	return out
}

// insertEvents inserts events in one statement and returns the ids it
// inserted (not those stored before). seq numbers events in append order,
// so that the events of one request, often of one millisecond, list in the
// order they happened: the k-th row of the statement gets the largest seq
// stored plus k. Concurrent appends on PostgreSQL may share a number;
// their order among themselves is then arbitrary.
func (s *Store) insertEvents(ctx context.Context, tx *sql.Tx, events []store.StoredEvent) (map[string]bool, error) {
	const op = "append events"
	var q strings.Builder
	q.WriteString(`INSERT INTO events (id, published, event_type, actor_id, body, seq) VALUES `)
	args := make([]any, 0, 5*len(events))
	for i, e := range events {
		if i > 0 {
			q.WriteString(", ")
		}
		n := len(args)
		fmt.Fprintf(&q, "($%d, $%d, $%d, $%d, $%d, (SELECT COALESCE(MAX(seq), 0) FROM events) + %d)", n+1, n+2, n+3, n+4, n+5, i+1)
		args = append(args, e.ID, millis(e.Published), e.EventType, e.ActorID, string(e.JSON))
	}
	q.WriteString(` ON CONFLICT (id) DO NOTHING RETURNING id`)
	rows, err := tx.QueryContext(ctx, q.String(), args...)
	if err != nil {
		return nil, s.execErr(op, err)
	}
	ids, err := collect(rows, func(sc scanner) (string, error) {
		var id string
		return id, sc.Scan(&id)
	})
	if err != nil {
		return nil, s.execErr(op, err)
	}
	inserted := make(map[string]bool, len(ids))
	for _, id := range ids {
		inserted[id] = true
	}
	return inserted, nil
}

// insertTargets inserts event targets in one statement.
func (s *Store) insertTargets(ctx context.Context, tx *sql.Tx, targets []eventTarget) error {
	var q strings.Builder
	q.WriteString(`INSERT INTO event_targets (event_id, target_id) VALUES `)
	args := make([]any, 0, 2*len(targets))
	for i, t := range targets {
		if i > 0 {
			q.WriteString(", ")
		}
		fmt.Fprintf(&q, "($%d, $%d)", len(args)+1, len(args)+2)
		args = append(args, t.event, t.target)
	}
	q.WriteString(` ON CONFLICT (event_id, target_id) DO NOTHING`)
	if _, err := tx.ExecContext(ctx, q.String(), args...); err != nil {
		return s.execErr("append events", err)
	}
	return nil
}

func scanEvent(sc scanner) (store.StoredEvent, error) {
	var e store.StoredEvent
	var published int64
	var body string
	if err := sc.Scan(&e.ID, &published, &e.EventType, &e.ActorID, &body); err != nil {
		return store.StoredEvent{}, err
	}
	e.Published, e.JSON = fromMillis(published), []byte(body)
	return e, nil
}

// ListEvents implements store.Store. Each returned event carries its
// target ids.
func (s *Store) ListEvents(ctx context.Context, f store.EventFilter) ([]store.StoredEvent, error) {
	const op = "list events"
	var where []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if f.UserID != "" {
		p := arg(f.UserID)
		where = append(where, `(actor_id = `+p+` OR id IN (SELECT event_id FROM event_targets WHERE target_id = `+p+`))`)
	}
	if f.EventType != "" {
		where = append(where, `event_type = `+arg(f.EventType))
	}
	if f.ActorID != "" {
		where = append(where, `actor_id = `+arg(f.ActorID))
	}
	if f.TargetID != "" {
		where = append(where, `id IN (SELECT event_id FROM event_targets WHERE target_id = `+arg(f.TargetID)+`)`)
	}
	if f.After != (store.EventPosition{}) {
		cond, err := s.afterEvent(ctx, f.After, f.Descending, arg)
		if err != nil {
			return nil, s.errf("%s: %w", op, err)
		}
		where = append(where, cond)
	}
	if !f.Since.IsZero() {
		where = append(where, `published >= `+arg(millis(f.Since)))
	}
	if !f.Until.IsZero() {
		where = append(where, `published < `+arg(millis(f.Until)))
	}
	q := `SELECT id, published, event_type, actor_id, body FROM events`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, ` AND `)
	}
	if f.Descending {
		q += ` ORDER BY published DESC, seq DESC, id DESC`
	} else {
		q += ` ORDER BY published, seq, id`
	}
	limit := f.Limit
	if limit <= 0 {
		limit = store.DefaultEventLimit
	}
	q += ` LIMIT ` + arg(limit)
	events, err := readAll(ctx, s, scanEvent, q, args...)
	if err != nil {
		return nil, s.errf("%s: %w", op, err)
	}
	if err := s.eventTargets(ctx, events); err != nil {
		return nil, s.errf("%s: %w", op, err)
	}
	return events, nil
}

// afterEvent is the condition that keeps the events listed after pos:
// later (or, descending, earlier) in (published, seq, id). The event's seq
// is read first; an event no longer stored (retention) keeps the events
// strictly after its published time.
func (s *Store) afterEvent(ctx context.Context, pos store.EventPosition, desc bool, arg func(any) string) (string, error) {
	seq := int64(math.MaxInt64)
	if desc {
		seq = -1
	}
	err := s.read.QueryRowContext(ctx, `SELECT seq FROM events WHERE id = $1 AND published = $2`, pos.ID, millis(pos.Published)).Scan(&seq)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return "", err
	}
	cmp := ">"
	if desc {
		cmp = "<"
	}
	p, q, id := arg(millis(pos.Published)), arg(seq), arg(pos.ID)
	return `(published ` + cmp + ` ` + p + ` OR (published = ` + p + ` AND (seq ` + cmp + ` ` + q +
		` OR (seq = ` + q + ` AND id ` + cmp + ` ` + id + `))))`, nil
}

// eventTargets fills in the target ids of events in one query.
func (s *Store) eventTargets(ctx context.Context, events []store.StoredEvent) error {
	if len(events) == 0 {
		return nil
	}
	at := make(map[string]int, len(events))
	params := make([]string, len(events))
	args := make([]any, len(events))
	for i, e := range events {
		at[e.ID] = i
		params[i] = "$" + strconv.Itoa(i+1)
		args[i] = e.ID
	}
	type pair struct{ event, target string }
	// Not a cached prepared statement: its text changes with the page size.
	pairs, err := queryAll(ctx, s.read, func(sc scanner) (pair, error) {
		var p pair
		err := sc.Scan(&p.event, &p.target)
		return p, err
	}, `SELECT event_id, target_id FROM event_targets WHERE event_id IN (`+strings.Join(params, ", ")+`) ORDER BY event_id, target_id`, args...)
	if err != nil {
		return err
	}
	for _, p := range pairs {
		i := at[p.event]
		events[i].TargetIDs = append(events[i].TargetIDs, p.target)
	}
	return nil
}

// DeleteEventsBefore implements store.Store.
func (s *Store) DeleteEventsBefore(ctx context.Context, t time.Time) (int64, error) {
	const op = "delete events"
	var n int64
	err := s.inTx(ctx, op, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx,
			`DELETE FROM event_targets WHERE event_id IN (SELECT id FROM events WHERE published < $1)`, millis(t)); err != nil {
			return s.execErr(op, err)
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM events WHERE published < $1`, millis(t))
		if err != nil {
			return s.execErr(op, err)
		}
		n, err = res.RowsAffected()
		if err != nil {
			return s.errf("%s: %w", op, err)
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}
