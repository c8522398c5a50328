// Package sqlite is Latchkey's embedded default store: a single SQLite file
// through the pure-Go driver modernc.org/sqlite (no cgo), served by the
// portable statements of package sqlstore.
//
// Open prepares the file for several writers, in one process or many:
//
//   - WAL journal, so readers never block the writer and vice versa;
//   - busy_timeout (5 s unless the DSN sets one), so a writer waits for
//     another process's write lock instead of failing with SQLITE_BUSY;
//   - every write transaction begins IMMEDIATE (_txlock=immediate), taking
//     the write lock before it reads: a deferred transaction that read first
//     could not wait for the lock and would fail with SQLITE_BUSY_SNAPSHOT;
//   - one writer connection per Store, so writers of one process queue in
//     database/sql rather than in SQLite's busy loop, and a separate
//     read-only pool for queries;
//   - foreign_keys on;
//   - a new database file is created with mode 0600 (it holds password
//     hashes), which SQLite passes on to the -wal and -shm files.
//
// Migrations are embedded (migrations/*.sql) and applied by Open with goose's
// Provider. Processes starting at once on a fresh file take turns: the switch
// to WAL and the migrations run under an exclusive lock on a sidecar file,
// <db>.migrate-lock, which SQLite's file locking makes a cross-process mutex
// that the operating system releases if its holder dies.
//
// In-memory databases are refused: every connection would get a database of
// its own. Tests use a file in t.TempDir().
package sqlite
