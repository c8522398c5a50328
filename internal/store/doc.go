// Package store defines Latchkey's domain records and the Store interface
// that every storage backend implements.
//
// Backends live in sub-packages (sqlite, postgres) and all pass the shared
// conformance suite in storetest. Callers compare errors with errors.Is
// against ErrNotFound and ErrConflict. Atomic updates take a
// read-modify-write closure that the backend runs inside its own
// transaction, so callers never see one.
package store
