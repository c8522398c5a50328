package store

import (
	"context"
	"time"
)

// StoredEvent is one audit event (package events) as the store keeps it:
// the event's JSON, exactly as written, beside the columns it is found by.
type StoredEvent struct {
	ID        string // the event's uuid
	Published time.Time
	EventType string
	ActorID   string
	TargetIDs []string // read back sorted, without duplicates
	JSON      []byte
}

// EventFilter selects events as Okta's /api/v1/logs does: published in
// [Since, Until), oldest first unless Descending, at most Limit of them.
type EventFilter struct {
	// UserID, when set, keeps the events whose actor or one of whose
	// targets has this id.
	UserID string
	// EventType, when set, keeps the events of this type.
	EventType string
	// ActorID, when set, keeps the events of this actor.
	ActorID string
	// TargetID, when set, keeps the events with this target.
	TargetID string
	// After, when set, keeps the events that list after this position in
	// the order asked (Okta's after cursor): past the event After.ID if it
	// is still stored at After.Published, else past After.Published.
	After EventPosition
	Since time.Time // zero: no lower bound
	Until time.Time // zero: no upper bound
	// Limit <= 0 means DefaultEventLimit.
	Limit      int
	Descending bool
}

// EventPosition is where an event lists: its published time and its id.
// The zero EventPosition is none.
type EventPosition struct {
	Published time.Time
	ID        string
}

// DefaultEventLimit is the number of events a list returns when the filter
// sets none (Okta's default page of /api/v1/logs).
const DefaultEventLimit = 100

// Events stores the audit trail. It only grows, except through
// DeleteEventsBefore (retention).
type Events interface {
	// AppendEvents stores events in one transaction. An event whose ID is
	// already stored is skipped, so a batch may be appended again after a
	// failure without duplicates.
	AppendEvents(ctx context.Context, events []StoredEvent) error
	// ListEvents returns the events the filter selects, ordered by
	// published time, then in the order they were appended.
	ListEvents(ctx context.Context, f EventFilter) ([]StoredEvent, error)
	// DeleteEventsBefore removes the events published before t and returns
	// how many went.
	DeleteEventsBefore(ctx context.Context, t time.Time) (int64, error)
}
