package storecopy

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"strings"

	"github.com/latchkey/latchkey/internal/store"
)

// ErrNotEmpty means the target store already holds records: a copy only
// goes into an empty store, so that nothing of another deployment is mixed
// into this one.
var ErrNotEmpty = errors.New("storecopy: the target store is not empty")

// Report says how many records of each kind were copied and verified.
type Report struct {
	Kinds []KindCount
}

// KindCount is the number of records of one kind.
type KindCount struct {
	Kind  string
	Count int
}

// String lists the counts, one kind a line.
func (r Report) String() string {
	var b strings.Builder
	for _, k := range r.Kinds {
		fmt.Fprintf(&b, "%-22s %d\n", k.Kind, k.Count)
	}
	return b.String()
}

// Count returns the count of a kind; 0 for an unknown kind.
func (r Report) Count(kind string) int {
	for _, k := range r.Kinds {
		if k.Kind == kind {
			return k.Count
		}
	}
	return 0
}

// Copy copies every record of from into to, which must be empty
// (ErrNotEmpty otherwise), then verifies that both hold the same records.
// Neither store is closed. On an error the target holds part of the copy:
// empty it (a new database or file) before trying again.
func Copy(ctx context.Context, from, to store.Store) (Report, error) {
	for _, k := range kinds {
		n, err := k.count(ctx, to, 1)
		if err != nil {
			return Report{}, fmt.Errorf("storecopy: read target %s: %w", k.name(), err)
		}
		if n > 0 {
			return Report{}, fmt.Errorf("%w: it has %s", ErrNotEmpty, k.name())
		}
	}
	for _, k := range kinds {
		if err := k.copy(ctx, from, to); err != nil {
			return Report{}, fmt.Errorf("storecopy: copy %s: %w", k.name(), err)
		}
	}
	return Verify(ctx, from, to)
}

// Verify compares the records of every kind in a and b by count and
// digest, and returns the counts; an error names the first kind that
// differs.
func Verify(ctx context.Context, a, b store.Store) (Report, error) {
	var r Report
	for _, k := range kinds {
		na, da, err := k.digest(ctx, a)
		if err != nil {
			return r, fmt.Errorf("storecopy: verify: read source %s: %w", k.name(), err)
		}
		nb, db, err := k.digest(ctx, b)
		if err != nil {
			return r, fmt.Errorf("storecopy: verify: read target %s: %w", k.name(), err)
		}
		if na != nb || da != db {
			return r, fmt.Errorf("storecopy: verify: %s differ: source has %d, target %d", k.name(), na, nb)
		}
		r.Kinds = append(r.Kinds, KindCount{Kind: k.name(), Count: na})
	}
	return r, nil
}

// kind is one kind of record: how to read all of it, a page at a time,
// and how to write a page of it.
type kind interface {
	name() string
	// count counts records, stopping once it reaches limit (0: no limit).
	count(ctx context.Context, s store.Store, limit int) (int, error)
	copy(ctx context.Context, from, to store.Store) error
	digest(ctx context.Context, s store.Store) (int, [sha256.Size]byte, error)
}

// kindOf is a kind whose records are T.
type kindOf[T any] struct {
	label string
	walk  func(ctx context.Context, s store.Store, emit func([]T) error) error
	put   func(ctx context.Context, s store.Store, recs []T) error
}

func (k kindOf[T]) name() string { return k.label }

var errEnough = errors.New("enough")

func (k kindOf[T]) count(ctx context.Context, s store.Store, limit int) (int, error) {
	n := 0
	err := k.walk(ctx, s, func(recs []T) error {
		n += len(recs)
		if limit > 0 && n >= limit {
			return errEnough
		}
		return nil
	})
	if errors.Is(err, errEnough) {
		err = nil
	}
	return n, err
}

func (k kindOf[T]) copy(ctx context.Context, from, to store.Store) error {
	return k.walk(ctx, from, func(recs []T) error { return k.put(ctx, to, recs) })
}

// digest hashes the JSON of every record in the order walk reads them:
// both backends read records back in one order and one form (UTC times,
// millisecond precision, nil for empty lists).
func (k kindOf[T]) digest(ctx context.Context, s store.Store) (int, [sha256.Size]byte, error) {
	var h hash.Hash = sha256.New()
	enc := json.NewEncoder(h)
	n := 0
	err := k.walk(ctx, s, func(recs []T) error {
		n += len(recs)
		for _, r := range recs {
			if err := enc.Encode(r); err != nil {
				return err
			}
		}
		return nil
	})
	return n, [sha256.Size]byte(h.Sum(nil)), err
}

// pageSize is how many records are read at once.
const pageSize = 500

// pages reads a paged list to its end, emitting each non-empty page.
func pages[T any](list func(store.Page) ([]T, error), key func(T) string, emit func([]T) error) error {
	p := store.Page{Limit: pageSize}
	for {
		recs, err := list(p)
		if err != nil {
			return err
		}
		if len(recs) > 0 {
			if err := emit(recs); err != nil {
				return err
			}
		}
		if len(recs) < p.Limit {
			return nil
		}
		p.After = key(recs[len(recs)-1])
	}
}

// each is put for writes that take one record at a time.
func each[T any](put func(ctx context.Context, s store.Store, r T) error) func(context.Context, store.Store, []T) error {
	return func(ctx context.Context, s store.Store, recs []T) error {
		for _, r := range recs {
			if err := put(ctx, s, r); err != nil {
				return err
			}
		}
		return nil
	}
}

// method turns a store method expression (store.Store.CreateClient) into
// a put of one record.
func method[T any](f func(store.Store, context.Context, T) error) func(context.Context, store.Store, T) error {
	return func(ctx context.Context, s store.Store, r T) error { return f(s, ctx, r) }
}
