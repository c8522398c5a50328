// Package cache is a store.Store decorator that keeps in memory the records
// a token request reads and an operator rarely changes, so that a password
// grant makes one round trip to the database for its user instead of about
// ten (docs/architecture.md, "The store cache").
//
// What is cached: authorization servers, clients, scopes, claims, access
// policies and rules, groups, a user's groups and a client's assignments
// (the kinds of Kinds). What never is: users (status, password hash,
// token watermark), refresh tokens, token records, single-use ids, login
// counters, events, meta, password history and signing keys (package keys
// caches the public parts itself). Those methods go to the inner store.
// Errors, ErrNotFound included, are never cached.
//
// Invalidation is by kind. Every write of a kind through the cache, failed
// or not, drops the whole kind here and publishes it through the
// Invalidator, which drops it in every other cache that subscribes. Each
// kind has a generation number moved on by every invalidation; a read
// stores what it fetched only if the generation has not moved since it
// began, so a read that raced with a change never caches the old record
// after the invalidation.
//
// Staleness bound. Let a change commit at time c.
//   - Through this cache: every read that starts after the write returns
//     sees the change.
//   - Through another cache subscribed to the same Invalidator: every read
//     that starts after the invalidation is delivered there sees the change.
//     With Local (one process) delivery happens before the write returns;
//     with PostgreSQL's (postgres.NotifyInvalidator, every instance's
//     default there), when its NOTIFY reaches the other instance's
//     listening connection: after the write commits and Publish's own
//     round trip, typically within milliseconds. After that connection is
//     lost, KindAll is delivered once it listens again, so what changed
//     meanwhile is dropped then, if the TTL has not dropped it before.
//   - Without a notification (no shared Invalidator, a failed Publish, a
//     lost connection, a write by another process on SQLite such as the
//     CLI's): every read that starts at c + TTL or later sees the change,
//     because a cached record is served only until TTL after the start of
//     the read that fetched it.
//
// Users are never cached, so a suspension, a lockout or a new password is
// seen by the next request on every instance.
package cache
