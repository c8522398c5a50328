// Package e2e holds Latchkey's end-to-end tests: the real HTTP server on an
// embedded store, driven by clients other people wrote (golang.org/x/oauth2,
// github.com/coreos/go-oidc/v3) and by raw HTTP where the wire matters.
package e2e
