// Package metrics is Latchkey's Prometheus instrumentation: one Registry
// of the app's own (never the global default registry) holding the Go and
// process collectors, latchkey_build_info and the server's metrics, and
// the small adapters that feed them without the instrumented packages
// importing Prometheus:
//
//   - ObserveRequest, the httpapi.RequestObserver of every request, by
//     route pattern (never the raw path: unbounded label values would let
//     a client grow the server's memory) and status code;
//   - Sink, an events.Sink in front of the audit Recorder that counts the
//     outcomes the Recorder receives: tokens issued, password logins by
//     outcome, lockouts, refresh token reuse;
//   - RateLimited and KeyRotated, the guard's and the key rotation loop's
//     hooks;
//   - Store, a store.Store decorator that times the hot-path methods;
//   - HashPool, a collector that reads the password hashing pool's Stats
//     at every scrape.
//
// No label ever holds a user, a client, a token or a secret: the label
// values are fixed sets, route patterns and authorization server ids.
// docs/operations.md lists every metric.
package metrics
