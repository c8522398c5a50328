package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/latchkey/latchkey/internal/store"
)

// AppendEvents implements store.Store: all events in one transaction; an
// event whose id exists is skipped with its targets.
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
	return s.inTx(ctx, op, func(tx *sql.Tx) error {
		for _, e := range events {
			// seq numbers events in append order, so that the events of
			// one request, often of one millisecond, list in the order
			// they happened. Concurrent appends on PostgreSQL may share a
			// number; their order among themselves is then arbitrary.
			res, err := tx.ExecContext(ctx,
				`INSERT INTO events (id, published, event_type, actor_id, body, seq)
				VALUES ($1, $2, $3, $4, $5, (SELECT COALESCE(MAX(seq), 0) + 1 FROM events))
				ON CONFLICT (id) DO NOTHING`,
				e.ID, millis(e.Published), e.EventType, e.ActorID, string(e.JSON))
			if err != nil {
				return s.execErr(op, err)
			}
			if n, err := res.RowsAffected(); err != nil {
				return s.errf("%s: %w", op, err)
			} else if n == 0 {
				continue // appended before
			}
			for _, target := range e.TargetIDs {
				if _, err := tx.ExecContext(ctx,
					`INSERT INTO event_targets (event_id, target_id) VALUES ($1, $2) ON CONFLICT (event_id, target_id) DO NOTHING`,
					e.ID, target); err != nil {
					return s.execErr(op, err)
				}
			}
		}
		return nil
	})
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
