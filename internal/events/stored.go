package events

import (
	"encoding/json"
	"fmt"
	"slices"

	"github.com/latchkey/latchkey/internal/store"
)

// ToStored encodes e for the store: its JSON and the columns it is found
// by.
func ToStored(e Event) (store.StoredEvent, error) {
	b, err := json.Marshal(e)
	if err != nil {
		return store.StoredEvent{}, fmt.Errorf("events: encode %s: %w", e.EventType, err)
	}
	var targets []string
	for _, t := range e.Target {
		if t.ID != "" && !slices.Contains(targets, t.ID) {
			targets = append(targets, t.ID)
		}
	}
	return store.StoredEvent{ID: e.UUID, Published: e.Published, EventType: e.EventType, ActorID: e.Actor.ID,
		TargetIDs: targets, JSON: b}, nil
}

// FromStored decodes an event the store kept.
func FromStored(s store.StoredEvent) (Event, error) {
	var e Event
	if err := json.Unmarshal(s.JSON, &e); err != nil {
		return Event{}, fmt.Errorf("events: decode %s: %w", s.ID, err)
	}
	return e, nil
}
