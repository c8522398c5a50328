package store

import "context"

// Meta stores small facts about the deployment itself, by name, such as
// the check value that proves the master key at start. A value, once set,
// is never changed by Latchkey.
type Meta interface {
	// GetMeta returns the value stored under name; ErrNotFound if none.
	GetMeta(ctx context.Context, name string) ([]byte, error)
	// InitMeta stores value under name unless one is stored already, and
	// returns the value stored afterwards: value, or the one found. Two
	// instances starting at once thus agree on one value.
	InitMeta(ctx context.Context, name string, value []byte) ([]byte, error)
}
