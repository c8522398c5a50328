// Package events records authentication outcomes as an audit trail in the
// shape of Okta's System Log LogEvent (CONTRACT section 8), so that what a
// team already reads from Okta's /api/v1/logs — and the SIEM rules written
// for it — keeps working.
//
// An Event is built by one constructor per outcome (TokenGrant,
// ReuseDetected, SessionStart, AccountLocked, …), which fills in the event
// type, severity, display message, actor, targets and outcome, and handed
// to a Sink. The Recorder is the Sink a server uses: Record stamps the
// event (uuid, published time from an injected clock, the client's address
// and the request id from the context) and queues it without ever
// blocking; a background goroutine writes queued events to the store in
// batches. When the queue is full the event is dropped and counted, so a
// slow store can never hold up a login.
//
// An event never holds a secret: no password, client secret or token
// value. Tokens are referenced by their jti (access and ID tokens) or by
// the hash id the store keeps them under (refresh tokens).
package events
