// Package postgres is Latchkey's multi-instance store: PostgreSQL through
// pgx v5's database/sql driver (pgx/v5/stdlib), served by the same portable
// statements of package sqlstore as SQLite, so both engines behave alike
// (package storetest proves it).
//
// Any number of Latchkey instances may share one database. What must hold
// across them is in the database and changed atomically: row locks
// (SELECT … FOR UPDATE) serialise the read-modify-write closures of the
// Update* methods, refresh token rotation and family revocation.
//
// The pool is database/sql's, sized by pgxpool's DSN parameters (see
// Open): pool_max_conns, pool_max_conn_lifetime, pool_max_conn_idle_time.
//
// NotifyInvalidator carries the store cache's invalidations between the
// instances over LISTEN/NOTIFY (channel NotifyChannel), on connections of
// its own.
//
// Migrations are embedded (migrations/*.sql): the SQLite migrations of the
// same version numbers, translated. They run under a session advisory lock
// (goose's PostgreSQL session locker), so instances starting at once take
// turns; a server that dies while holding it releases it with its session.
package postgres
