// Package apierr writes Okta-style API error bodies ({"errorCode",
// "errorSummary", "errorLink", "errorId", "errorCauses"}), used for
// everything that is not an OAuth 2.0 protocol error: unknown authorization
// servers, unknown routes, and the management API.
package apierr

import (
	"encoding/json"
	"net/http"

	"github.com/latchkey/latchkey/internal/ids"
)

// Body is an Okta error body.
type Body struct {
	ErrorCode    string  `json:"errorCode"`
	ErrorSummary string  `json:"errorSummary"`
	ErrorLink    string  `json:"errorLink"`
	ErrorID      string  `json:"errorId"`
	ErrorCauses  []Cause `json:"errorCauses"`
}

// Cause is one entry of errorCauses.
type Cause struct {
	ErrorSummary string `json:"errorSummary"`
}

// Write sends an Okta error body with the given status.
func Write(w http.ResponseWriter, status int, code, summary string, causes ...string) {
	b := Body{ErrorCode: code, ErrorSummary: summary, ErrorLink: code, ErrorID: "oae" + ids.Alnum(19), ErrorCauses: []Cause{}}
	for _, c := range causes {
		b.ErrorCauses = append(b.ErrorCauses, Cause{ErrorSummary: c})
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(b)
}

// NotFound writes Okta's E0000007 "Not found" for a resource of the given kind.
func NotFound(w http.ResponseWriter, id, kind string) {
	Write(w, http.StatusNotFound, "E0000007", "Not found: Resource not found: "+id+" ("+kind+")")
}
