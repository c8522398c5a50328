// Package keys manages the signing keys of authorization servers: it
// generates them, seals the private parts with the master key before they
// reach the store, serves the signer that tokens are minted with, and builds
// the JWKS that resource servers fetch.
//
// A key is ACTIVE (signs), NEXT (published ahead of signing) or EXPIRED
// (published until the tokens it signed expire). All state changes go
// through Store.UpdateKeys, so several instances sharing one database agree.
package keys
