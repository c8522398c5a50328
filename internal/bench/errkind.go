package bench

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"syscall"
)

// The kinds of transport errors a result counts.
const (
	ErrTimeout           = "timeout"            // the request's time limit (--timeout) or a network timeout
	ErrConnectionRefused = "connection_refused" // nothing listens at the address
	ErrConnectionReset   = "connection_reset"   // the server reset the connection
	ErrEOF               = "eof"                // the server closed the connection before answering
	ErrDNS               = "dns"                // the host name did not resolve
	ErrTLS               = "tls"                // handshake or certificate failure
	ErrReadBody          = "read_body"          // the answer's body broke off
	ErrAddress           = "address"            // no local port or address to connect from
	ErrOther             = "other"              // anything else
)

// ErrorKind classifies an error of http.Client.Do, or of reading an
// answer, into one of the kinds above.
func ErrorKind(err error) string {
	var (
		dnsErr  *net.DNSError
		netErr  net.Error
		certErr *tls.CertificateVerificationError
		recErr  tls.RecordHeaderError
		alert   tls.AlertError
		unknown x509.UnknownAuthorityError
		host    x509.HostnameError
		invalid x509.CertificateInvalidError
	)
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return ErrTimeout
	case errors.As(err, &dnsErr):
		return ErrDNS
	case errors.Is(err, syscall.ECONNREFUSED):
		return ErrConnectionRefused
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return ErrConnectionReset
	case errors.Is(err, syscall.EADDRNOTAVAIL), errors.Is(err, syscall.EADDRINUSE):
		return ErrAddress
	case errors.As(err, &certErr), errors.As(err, &recErr), errors.As(err, &alert),
		errors.As(err, &unknown), errors.As(err, &host), errors.As(err, &invalid):
		return ErrTLS
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return ErrEOF
	case errors.As(err, &netErr) && netErr.Timeout():
		return ErrTimeout
	}
	return ErrOther
}
