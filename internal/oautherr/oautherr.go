// Package oautherr is the RFC 6749 error type that every endpoint returns
// and one place writes (section 5.2 for the token endpoint).
//
// Sentinels are never mutated: WithDescription and WithDebug return copies,
// and Is compares the error code, so errors.Is(err, ErrInvalidGrant) holds
// after decoration. The description is what the client sees; Debug is for
// logs only.
package oautherr

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/latchkey/latchkey/internal/reqlog"
)

// Error is an OAuth 2.0 error response.
type Error struct {
	Code        string // the "error" member
	Description string // the "error_description" member
	Status      int    // HTTP status
	// Debug is internal detail for logs; never sent to the client.
	Debug string
	// Header holds extra response headers (WWW-Authenticate, Retry-After, …).
	Header http.Header
	// MFAToken is the "mfa_token" member of an mfa_required answer; it is
	// never logged (Error leaves it out).
	MFAToken string
}

func (e *Error) Error() string {
	if e.Debug != "" {
		return fmt.Sprintf("%s: %s (%s)", e.Code, e.Description, e.Debug)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Description)
}

// Is reports whether target is an *Error with the same code.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

func (e *Error) clone() *Error {
	c := *e
	if e.Header != nil {
		c.Header = e.Header.Clone()
	}
	return &c
}

// WithDescription returns a copy with the given client-facing description.
func (e *Error) WithDescription(format string, args ...any) *Error {
	c := e.clone()
	c.Description = fmt.Sprintf(format, args...)
	return c
}

// WithStatus returns a copy with another HTTP status.
func (e *Error) WithStatus(status int) *Error {
	c := e.clone()
	c.Status = status
	return c
}

// WithDebug returns a copy carrying internal detail for the log.
func (e *Error) WithDebug(format string, args ...any) *Error {
	c := e.clone()
	c.Debug = fmt.Sprintf(format, args...)
	return c
}

// WithMFAToken returns a copy that carries an mfa_token to the client.
func (e *Error) WithMFAToken(token string) *Error {
	c := e.clone()
	c.MFAToken = token
	return c
}

// WithHeader returns a copy that also sets a response header.
func (e *Error) WithHeader(key, value string) *Error {
	c := e.clone()
	if c.Header == nil {
		c.Header = http.Header{}
	}
	c.Header.Set(key, value)
	return c
}

// The RFC 6749 (and RFC 6750, 7009) error codes with Latchkey's default
// status and Okta's default description.
var (
	ErrInvalidRequest         = &Error{Code: "invalid_request", Status: http.StatusBadRequest, Description: "The request is missing a required parameter, includes an invalid parameter value, or is otherwise malformed."}
	ErrInvalidClient          = &Error{Code: "invalid_client", Status: http.StatusUnauthorized, Description: "Client authentication failed. Either the client or the client credentials are invalid."}
	ErrInvalidGrant           = &Error{Code: "invalid_grant", Status: http.StatusBadRequest, Description: "The credentials provided were invalid."}
	ErrUnauthorizedClient     = &Error{Code: "unauthorized_client", Status: http.StatusBadRequest, Description: "The client is not authorized to use the provided grant type."}
	ErrUnsupportedGrantType   = &Error{Code: "unsupported_grant_type", Status: http.StatusBadRequest, Description: "The authorization grant type is not supported by the authorization server."}
	ErrInvalidScope           = &Error{Code: "invalid_scope", Status: http.StatusBadRequest, Description: "The requested scope is invalid, unknown, or malformed."}
	ErrAccessDenied           = &Error{Code: "access_denied", Status: http.StatusBadRequest, Description: "The resource owner or authorization server denied the request."}
	ErrServerError            = &Error{Code: "server_error", Status: http.StatusInternalServerError, Description: "The authorization server encountered an unexpected condition that prevented it from fulfilling the request."}
	ErrTemporarilyUnavailable = &Error{Code: "temporarily_unavailable", Status: http.StatusServiceUnavailable, Description: "The authorization server is currently unable to handle the request due to a temporary overloading or maintenance of the server."}
	ErrInvalidToken           = &Error{Code: "invalid_token", Status: http.StatusUnauthorized, Description: "The access token is invalid."}
	// ErrMFARequired answers a right password when policy asks for a
	// second factor (Okta's direct authentication, Auth0's MFA API); it
	// carries the mfa_token that the MFA grant redeems. Status and
	// description are Okta's (direct authentication, MFA OTP flow).
	ErrMFARequired       = &Error{Code: "mfa_required", Status: http.StatusForbidden, Description: "Verify with an additional authenticator to complete the sign-in process."}
	ErrInsufficientScope = &Error{Code: "insufficient_scope", Status: http.StatusForbidden, Description: "The access token must provide access to at least one of these scopes."}
)

type body struct {
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description,omitempty"`
	MFAToken         string `json:"mfa_token,omitempty"`
}

// Write sends err as an OAuth 2.0 error response with no-store headers.
// An error that is not an *Error becomes server_error with no detail.
func Write(w http.ResponseWriter, err error) {
	var e *Error
	if !errors.As(err, &e) {
		e = ErrServerError
	}
	h := w.Header()
	for k, vs := range e.Header {
		h[k] = vs
	}
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	w.WriteHeader(e.Status)
	_ = json.NewEncoder(w).Encode(body{Error: e.Code, ErrorDescription: e.Description, MFAToken: e.MFAToken})
}

// Note records err's code and a short reason in the request's access log
// (package reqlog): the Debug detail, else the description the client
// sees. An error that is not an *Error is noted as server_error with no
// detail, since its text may name internals; its caller logs it.
func Note(ctx context.Context, err error) {
	var e *Error
	if !errors.As(err, &e) {
		reqlog.SetError(ctx, ErrServerError.Code, "internal error")
		return
	}
	reason := e.Debug
	if reason == "" {
		reason = e.Description
	}
	reqlog.SetError(ctx, e.Code, reason)
}
