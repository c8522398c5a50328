package mgmtapi

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/latchkey/latchkey/internal/store"
)

// MaxBodyBytes bounds a request body.
const MaxBodyBytes = 1 << 20

// Page sizes: Okta's default and most for most lists.
const (
	DefaultLimit = 200
	MaxLimit     = 200
)

// decodeJSON reads a JSON body into v. Unknown fields are ignored (Okta's
// SDKs send whole objects back, read-only fields included); a body that is
// not JSON of v's shape is E0000003.
func decodeJSON(r *http.Request, v any) error {
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, MaxBodyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return &Error{Status: http.StatusRequestEntityTooLarge, Code: CodeBadRequest, Summary: "The request body was not well-formed.",
				Causes: []string{"The request body is larger than 1 MiB."}}
		}
		return BadRequest("The request body could not be read.")
	}
	if len(strings.TrimSpace(string(body))) == 0 {
		return BadRequest("The request body is empty.")
	}
	if err := json.Unmarshal(body, v); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) && typeErr.Field != "" {
			return BadRequest("Could not parse the field " + clip(typeErr.Field, 64) + ": expected " + typeErr.Type.String() + ".")
		}
		return BadRequest("The request body is not valid JSON.")
	}
	return nil
}

// writeJSON sends v as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// Link is one entry of _links.
type Link struct {
	Href   string `json:"href"`
	Method string `json:"method,omitempty"`
}

// Links is an object's _links.
type Links map[string]Link

// href is the URL of a resource: {base}/api/v1/{path}, where path is the
// kind and id ("users/00u…"). Okta's SDKs cache objects by it.
func (a *API) href(path ...string) string {
	for i, p := range path {
		path[i] = url.PathEscape(p)
	}
	return a.cfg.BaseURL + "/api/v1/" + strings.Join(path, "/")
}

// self is _links with just self.
func (a *API) self(path ...string) Links { return Links{"self": {Href: a.href(path...)}} }

// pageRequest reads limit and after: limit defaults to def and is capped
// at max; after is the opaque cursor of a previous page's next link.
func pageRequest(r *http.Request, def, max int) (store.Page, error) {
	q := r.URL.Query()
	p := store.Page{Limit: def}
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return p, Validation("limit", "limit: must be a positive number")
		}
		p.Limit = min(n, max)
	}
	if s := q.Get("after"); s != "" {
		id, err := decodeCursor(s)
		if err != nil {
			return p, Validation("after", "after: is not a cursor this API returned")
		}
		p.After = id
	}
	return p, nil
}

const cursorPrefix = "lk1."

func encodeCursor(id string) string {
	return cursorPrefix + base64.RawURLEncoding.EncodeToString([]byte(id))
}

func decodeCursor(s string) (string, error) {
	rest, ok := strings.CutPrefix(s, cursorPrefix)
	if !ok {
		return "", errors.New("no prefix")
	}
	b, err := base64.RawURLEncoding.DecodeString(rest)
	if err != nil || len(b) == 0 || len(b) > 256 {
		return "", errors.New("bad cursor")
	}
	return string(b), nil
}

// page trims items fetched with Limit+1 to one page and returns the id to
// continue after, or "" on the last page.
func page[T any](items []T, limit int, id func(T) string) ([]T, string) {
	if len(items) <= limit {
		return items, ""
	}
	items = items[:limit]
	return items, id(items[len(items)-1])
}

// setPageLinks sets Okta's Link headers: rel="self" for this request, and
// rel="next" (the same query with after set to the cursor) unless this is
// the last page. Both are absolute URLs.
func (a *API) setPageLinks(w http.ResponseWriter, r *http.Request, nextAfter string) {
	q := r.URL.Query()
	self := a.cfg.BaseURL + r.URL.Path
	if enc := q.Encode(); enc != "" {
		self += "?" + enc
	}
	w.Header().Add("Link", "<"+self+`>; rel="self"`)
	if nextAfter == "" {
		return
	}
	q.Set("after", encodeCursor(nextAfter))
	w.Header().Add("Link", "<"+a.cfg.BaseURL+r.URL.Path+"?"+q.Encode()+`>; rel="next"`)
}

func itoa(n int) string     { return strconv.Itoa(n) }
func itoa64(n int64) string { return strconv.FormatInt(n, 10) }
