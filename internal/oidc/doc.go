// Package oidc serves the documents clients discover an authorization
// server by: OpenID Connect Discovery 1.0's openid-configuration, RFC 8414's
// oauth-authorization-server metadata, and the JWKS (RFC 7517).
//
// Every document lists only what Latchkey implements.
package oidc
