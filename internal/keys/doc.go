// Package keys manages the signing keys of authorization servers: it
// generates them, seals the private parts with the master key before they
// reach the store, rotates them, serves the signer that tokens are minted
// with, and builds the JWKS that resource servers fetch.
//
// A key is ACTIVE (signs), NEXT (published ahead of signing) or EXPIRED
// (published until the tokens it signed expire, then deleted). Every
// authorization server has one ACTIVE and one NEXT key, plus the EXPIRED
// keys still inside their publication window. A rotation promotes NEXT to
// ACTIVE, expires the ACTIVE key and publishes a new NEXT, so a key is
// published one full rotation interval before it signs.
//
// A key is RS256 (RSA 2048), ES256 (P-256) or EdDSA (Ed25519): the
// authorization server's SigningAlg when it was made, which it keeps. A
// change of the server's algorithm replaces the NEXT key, which never
// signed, with one of the new algorithm (ApplySigningAlg); the ACTIVE key
// signs until the next rotation, so every issued token stays verifiable.
//
// All state changes go through Store.UpdateKeys, so several instances
// sharing one database agree: two instances rotating at once rotate once.
package keys
