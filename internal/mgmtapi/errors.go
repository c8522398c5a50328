package mgmtapi

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/latchkey/latchkey/internal/apierr"
)

// Error is an answer in Okta's error shape ({errorCode, errorSummary,
// errorLink, errorId, errorCauses}). Handlers return it; anything else a
// handler returns is a 500 whose detail goes to the log only.
type Error struct {
	Status  int
	Code    string
	Summary string
	Causes  []string
	// Header is set on the answer (WWW-Authenticate, Retry-After).
	Header http.Header
}

func (e *Error) Error() string { return fmt.Sprintf("%d %s: %s", e.Status, e.Code, e.Summary) }

// withHeader returns a copy of e that also sets a header.
func (e *Error) withHeader(k, v string) *Error {
	c := *e
	c.Header = http.Header{}
	for hk, hv := range e.Header {
		c.Header[hk] = hv
	}
	c.Header.Set(k, v)
	return &c
}

// Okta's error codes the management API answers with
// (developer.okta.com/docs/reference/error-codes).
const (
	CodeValidation      = "E0000001" // Api validation failed
	CodeBadRequest      = "E0000003" // The request body was not well-formed
	CodeAuthentication  = "E0000004" // Authentication failed
	CodeInvalidSession  = "E0000005" // Invalid session
	CodeForbidden       = "E0000006" // You do not have permission to perform the requested action
	CodeNotFound        = "E0000007" // Not found: Resource not found
	CodeInternal        = "E0000009" // Internal Server Error
	CodeInvalidToken    = "E0000011" // Invalid token provided
	CodeOperationFailed = "E0000001" // lifecycle refusals are validation errors in Okta
	CodeMethod          = "E0000022" // The endpoint does not support the provided HTTP method
	CodeRateLimit       = "E0000047" // API call exceeded rate limit due to too many requests
	CodeUnsupportedType = "E0000015" // You do not have permission to access the feature you are requesting
)

// NotFound is Okta's E0000007 for a resource of a kind ("User", "UserGroup",
// "Application", "AuthorizationServer", …) named by the id the caller sent.
func NotFound(id, kind string) *Error {
	return &Error{Status: http.StatusNotFound, Code: CodeNotFound, Summary: "Not found: Resource not found: " + clip(id, 128) + " (" + kind + ")"}
}

// Validation is Okta's E0000001 "Api validation failed: {field}" with the
// causes ("login: An object with this field already exists in the current
// organization").
func Validation(field string, causes ...string) *Error {
	return &Error{Status: http.StatusBadRequest, Code: CodeValidation, Summary: "Api validation failed: " + field, Causes: causes}
}

// BadRequest is Okta's E0000003 for a body that is not JSON of the
// expected shape.
func BadRequest(cause string) *Error {
	return &Error{Status: http.StatusBadRequest, Code: CodeBadRequest, Summary: "The request body was not well-formed.", Causes: []string{cause}}
}

// Forbidden is Okta's E0000006.
func Forbidden() *Error {
	return &Error{Status: http.StatusForbidden, Code: CodeForbidden, Summary: "You do not have permission to perform the requested action"}
}

// Conflict is an operation the resource's state refuses, which Okta
// answers as E0000001 with a cause (for instance activating an ACTIVE user).
func Conflict(summary string, causes ...string) *Error {
	return &Error{Status: http.StatusBadRequest, Code: CodeValidation, Summary: summary, Causes: causes}
}

// writeError sends err in Okta's shape.
func writeError(w http.ResponseWriter, err error) {
	var e *Error
	if !errors.As(err, &e) {
		e = &Error{Status: http.StatusInternalServerError, Code: CodeInternal, Summary: "Internal Server Error"}
	}
	for k, vs := range e.Header {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	apierr.Write(w, e.Status, e.Code, e.Summary, e.Causes...)
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
