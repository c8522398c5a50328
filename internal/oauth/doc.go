// Package oauth implements the token endpoint (RFC 6749 section 3.2): one
// small handler per grant behind shared phases that no grant can skip —
// the form is parsed once and duplicate parameters refused, the client is
// authenticated, the grant type is checked against the server and the
// client — and one place that writes errors (package oautherr).
package oauth
