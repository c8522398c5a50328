// Package bench is the engine of `latchkey bench`: a load generator for any
// OAuth 2.0 token endpoint (RFC 6749 section 3.2), Latchkey's or another
// server's.
//
// A run sends token requests of one grant (password, client_credentials or
// refresh_token) from a fixed number of workers, each with its own
// keep-alive connection:
//
//   - closed loop (Config.Rate 0): each worker sends its next request as
//     soon as the previous answer arrives; latency is measured from the
//     send;
//   - open loop (Config.Rate > 0): requests are due on a fixed schedule
//     (start + i/rate) whatever the answers do, and latency is measured
//     from the time a request was due, not from when a free worker sent
//     it, so a slow server cannot hide its slowness by slowing the
//     generator down ("coordinated omission"). At most Concurrency
//     requests are outstanding; a request due while every worker is busy
//     is counted as late and waits for one.
//
// A run is bounded by a duration, a request count or both; Validate
// refuses a run with neither. Requests go only to the token URL's host:
// redirects are not followed (a 3xx is counted as its status) and no proxy
// is used.
//
// Latencies are kept as recorded samples (up to MaxSamples, then a uniform
// reservoir of that size), so the percentiles are exact up to that bound.
package bench
