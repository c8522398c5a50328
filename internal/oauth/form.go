package oauth

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"

	"github.com/latchkey/latchkey/internal/oautherr"
)

// MaxFormBytes bounds the body of a form request.
const MaxFormBytes = 64 << 10

// queryCredentialParams may never appear in the query string.
var queryCredentialParams = []string{"client_id", "client_secret", "client_assertion", "client_assertion_type", "password", "refresh_token"}

// ParseForm reads an application/x-www-form-urlencoded body once and returns
// its parameters, one value each. It implements RFC 6749 section 3.2
// (parameters sent without a value are treated as omitted; parameters must
// not be included more than once) and refuses credentials in the query.
func ParseForm(r *http.Request) (url.Values, error) {
	if r.URL.RawQuery != "" {
		q, err := url.ParseQuery(r.URL.RawQuery)
		if err != nil {
			return nil, oautherr.ErrInvalidRequest.WithDescription("The request query is malformed.")
		}
		for _, p := range queryCredentialParams {
			if q.Has(p) {
				return nil, oautherr.ErrInvalidRequest.WithDescription("Client credentials cannot be supplied via query parameters.").
					WithDebug("%s in query", p)
			}
		}
	}
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/x-www-form-urlencoded" {
		return nil, oautherr.ErrInvalidRequest.WithDescription("The request must be sent with Content-Type 'application/x-www-form-urlencoded'.")
	}
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, MaxFormBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, oautherr.ErrInvalidRequest.WithDescription("The request body is too large.").WithStatus(http.StatusRequestEntityTooLarge)
		}
		return nil, oautherr.ErrInvalidRequest.WithDescription("The request body could not be read.").WithDebug("%v", err)
	}
	return parseBody(string(body))
}

// parseBody parses a urlencoded body and refuses repeated parameters.
func parseBody(body string) (url.Values, error) {
	vals, err := url.ParseQuery(body)
	if err != nil {
		return nil, oautherr.ErrInvalidRequest.WithDescription("The request body is not valid form data.")
	}
	for name, vs := range vals {
		if len(vs) > 1 {
			return nil, oautherr.ErrInvalidRequest.WithDescription("The parameter '%s' must not be included more than once.", truncate(name, 64))
		}
		if vs[0] == "" {
			// RFC 6749 section 3.2: a parameter without a value is omitted.
			delete(vals, name)
		}
	}
	return vals, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
