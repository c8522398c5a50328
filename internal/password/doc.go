// Package password hashes and verifies user passwords.
//
// New hashes are argon2id in the PHC string format
// ($argon2id$v=19$m=19456,t=2,p=1$salt$hash) at OWASP's parameters by
// default. bcrypt hashes ($2a$, $2b$, $2y$) verify too, and any hash that is
// not of the configured algorithm and parameters reports that it needs a
// rehash, so callers upgrade it on the next successful login.
//
// Hashing is deliberately expensive and argon2id allocates its whole memory
// cost per call, so every hash and verification runs through a Pool: at most
// Workers at once, at most Queue waiting; past that ErrBusy is returned at
// once and the caller answers 503 instead of letting work pile up.
//
// Unknown users are verified against a dummy hash of the configured cost
// (VerifyDummy) so that "no such user" takes as long as "wrong password".
package password
