// Package password hashes and verifies user passwords.
//
// New hashes are argon2id in the PHC string format
// ($argon2id$v=19$m=19456,t=2,p=1$salt$hash) at OWASP's parameters by
// default. bcrypt hashes ($2a$, $2b$, $2y$) verify too, and so do the
// imported formats FromOktaHash and FromKeycloakCredential write: Okta's
// salted SHA-512, SHA-256, SHA-1 and MD5 ($okta-sha256$o=prefix$salt$digest)
// and PBKDF2 ($pbkdf2-sha256$i=N$salt$key), each compared in constant time
// and bounded in cost (MaxPBKDF2Work, MaxBcryptCost). Any hash that is not
// of the configured algorithm and parameters reports that it needs a
// rehash, so callers upgrade it on the next successful login.
//
// # Fair admission
//
// Hashing is deliberately expensive and argon2id allocates its whole memory
// cost per call, so every Hash, Verify and VerifyDummy runs in a pool of
// Config.Workers slots. A caller that finds no free slot waits in a queue
// under the QueueKey its context carries (WithQueueKey: the OAuth client and
// the source address; no key is the zero key). Waiters are served
// round-robin across clients, round-robin across the sources of a client,
// and first come first served within a source, so a client with a long
// backlog gets one turn per round like a client with one request. At most
// Config.Queue callers wait in all, at most Config.ClientQueue per client and
// Config.SourceQueue per source; past any of these the caller gets ErrBusy at
// once (the token endpoint answers 503 with Retry-After) while other keys are
// still admitted. A caller whose context ends while waiting leaves the queue;
// a slot handed to it at that moment is passed on.
//
// # Equal time
//
// Unknown users are verified against a dummy hash of the configured cost
// (VerifyDummy). That alone does not make "no such user" look like "wrong
// password" when stored hashes differ in cost (bcrypt imported at cost 12
// is three times slower than argon2id at OWASP's parameters). So every
// verification that computed a hash returns no earlier than the time floor
// after its worker slot was granted, and waits after giving the slot back:
// the wait costs no CPU and no pool capacity. The floor is measured from the
// grant, not from the call, so that time spent queueing cannot hide the
// difference. Delay waits the floor without hashing, for refusals that skip
// the check (a locked-out user).
//
// The floor is, for each hash format and cost ("class") verified within
// Config.FloorWindow (24 hours by default), the class's smoothed cost plus
// two smoothed deviations, computed like TCP's retransmission timeout
// (RFC 6298 section 2, with 2 deviations instead of 4) from the time each
// verification spent in its worker:
//
//	dev  += (|d − mean| − dev) / 4
//	mean += (d − mean) / 8
//	floor = max over classes of (mean + 2·dev)
//
// The first sample of a class sets mean = d and dev = 0. The class of the
// configured argon2id parameters is never forgotten and is seeded in New by
// the dummy hash and one dummy check (the faster of the two), so the floor
// is never below the cost of an unknown-user check. A class unused for FloorWindow drops out, and the next
// verification of it (which then runs above the floor once) brings it back.
// An unreadable stored hash (ErrUnknownFormat, ErrMalformed) returns at once
// without hashing; callers follow it with VerifyDummy.
package password
