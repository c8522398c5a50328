// Package tlsreload serves a TLS certificate and key read from two PEM files
// that can be replaced while the server runs: Reload (called on SIGHUP)
// loads the pair again and swaps it in atomically, so handshakes after it
// use the new certificate and connections already open carry on. A pair
// that fails to load (unreadable, malformed, or a key that does not match
// the certificate) is refused at start and, on a reload, leaves the old
// pair in place with a warning in the log.
package tlsreload
