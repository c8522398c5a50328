// Package multi holds the multi-instance end-to-end tests of issue 9: two
// real `latchkey serve` processes, built once per test binary run, over one
// throwaway PostgreSQL database (package pgtest), driven through HTTP on
// 127.0.0.1 and the CLI.
//
// TestTwoInstances checks that the instances behave as one server: a token
// issued by one verifies through the other's JWKS, two instances starting
// with a rotation due rotate once, refresh rotation, reuse detection and
// revocation hold across instances (also with refreshes and a revocation
// racing on both), a lockout counts failures made on either, housekeeping
// runs on both without errors, and a change made with the CLI reaches the
// other instance's cache through NOTIFY well inside cache.ttl.
//
// TestFaults kills one instance with SIGKILL under load and restarts the
// PostgreSQL server under load: the survivor keeps serving, every token
// acknowledged with 200 stays valid, failures during the outage are clean
// JSON 5xx answers, and the instances recover without being restarted.
//
// The package has no non-test code.
package multi
