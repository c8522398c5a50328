// Package httpapi assembles Latchkey's HTTP server: it lists every route in
// one place with the handlers' explicit dependencies, and wraps them in the
// middleware every request passes (request id, panic recovery, access log).
package httpapi
