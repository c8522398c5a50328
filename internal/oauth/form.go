package oauth

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/latchkey/latchkey/internal/oautherr"
)

const formType = "application/x-www-form-urlencoded"

// MaxFormBytes bounds the body of a form request.
const MaxFormBytes = 64 << 10

// MaxFormParams bounds the parameters of a form body or query string. A
// request to these endpoints has a dozen at most; the bound is checked by
// counting separators before anything is decoded, so that a 64 KiB body of
// thousands of parameters is refused for the cost of one pass over it.
const MaxFormParams = 64

var errTooManyParams = oautherr.ErrInvalidRequest.WithDescription("The request has more than %d parameters.", MaxFormParams)

// tooManyParams reports whether an urlencoded string has more than
// MaxFormParams parameters (url.ParseQuery splits on '&' only).
func tooManyParams(s string) bool { return strings.Count(s, "&") >= MaxFormParams }

// queryCredentialParams may never appear in the query string.
var queryCredentialParams = []string{"client_id", "client_secret", "client_assertion", "client_assertion_type", "password", "refresh_token"}

// ParseForm reads an application/x-www-form-urlencoded body once and returns
// its parameters, one value each. It implements RFC 6749 section 3.2
// (parameters sent without a value are treated as omitted; parameters must
// not be included more than once) and refuses credentials in the query.
func ParseForm(r *http.Request) (url.Values, error) {
	if r.URL.RawQuery != "" {
		if tooManyParams(r.URL.RawQuery) {
			return nil, errTooManyParams
		}
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
	if ct := r.Header.Get("Content-Type"); ct != formType { // the common case needs no parsing
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || mt != formType {
			return nil, oautherr.ErrInvalidRequest.WithDescription("The request must be sent with Content-Type 'application/x-www-form-urlencoded'.")
		}
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

// orgQueryParams are the parameters a client credentials request to the
// org authorization server may send in the query string instead of the
// body, as Okta accepts them there: Okta's Go management SDK
// (okta-sdk-golang, PrivateKey mode) posts its request with an empty body
// and everything in the query. A client secret or a password is never
// taken from the query; a signed assertion is single-use (its jti, or
// its hash when it has none) and short-lived.
var orgQueryParams = map[string]bool{"grant_type": true, "scope": true, "client_assertion": true, "client_assertion_type": true}

// ParseOrgTokenForm is ParseForm for the org server's token endpoint: a
// request with an empty body whose query carries a client assertion for
// the client credentials grant is read from the query (orgQueryParams
// only); any other request is read as ParseForm reads it.
func ParseOrgTokenForm(r *http.Request) (url.Values, error) {
	if r.URL.RawQuery == "" || r.ContentLength > 0 || !strings.Contains(r.URL.RawQuery, "client_assertion=") {
		return ParseForm(r)
	}
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, 1))
	if err != nil || len(body) > 0 {
		return nil, oautherr.ErrInvalidRequest.WithDescription("Client credentials cannot be supplied via query parameters.")
	}
	vals, err := parseBody(r.URL.RawQuery)
	if err != nil {
		return nil, err
	}
	for name := range vals {
		if !orgQueryParams[name] {
			return nil, oautherr.ErrInvalidRequest.WithDescription("The parameter '%s' cannot be supplied via query parameters.", truncate(name, 64))
		}
	}
	if vals.Get("grant_type") != "client_credentials" {
		return nil, oautherr.ErrInvalidRequest.WithDescription("Client credentials cannot be supplied via query parameters.")
	}
	return vals, nil
}

// parseBody parses a urlencoded body, refusing more than MaxFormParams
// parameters and repeated ones, in time linear in its length.
func parseBody(body string) (url.Values, error) {
	if tooManyParams(body) {
		return nil, errTooManyParams
	}
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
