package oidc

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/latchkey/latchkey/internal/policy"
)

// DefaultRecheck is how long a prepared document is served when no change
// is heard of (Handlers.Recheck unset): the store cache's default TTL, so
// that a change no notification carries (the CLI writing to a SQLite file
// from another process) is seen within the same bound as elsewhere.
const DefaultRecheck = 5 * time.Second

// buildTimeout bounds the store reads of one rebuild, which runs without
// the cancellation of the request that started it: its result serves
// every other request too.
const buildTimeout = 10 * time.Second

// InvalidationKind is the kind published through the store cache's
// Invalidator (package store/cache) when an authorization server's signing
// keys change, so that every instance rebuilds its JWKS. The cache keeps
// no signing keys and ignores the kind.
const InvalidationKind = "signingkeys"

// docKind names one of the documents served from prepared bytes.
type docKind uint8

const (
	docJWKS docKind = iota
	docOpenID
	docOAuth
)

// docKey is one document of one authorization server ("" is the org
// server, as in the {server} path value).
type docKey struct {
	server string
	kind   docKind
}

// prepared is one document encoded once, with what its answers carry.
// Header values are slices shared by every answer: nobody modifies them.
type prepared struct {
	body          []byte
	etag          string   // strong: the quoted hash of body
	etagHdr       []string // etag, as a header value
	contentLength []string
	cacheControl  []string
	gen           uint64    // the generation of changes it was built after
	expires       time.Time // when it is rebuilt even with no change heard
}

// slot holds the current answer of one document. build is held while the
// document is rebuilt, so that one request rebuilds and the others wait
// (after a change) or keep serving the current answer (when it is only
// due for a recheck).
type slot struct {
	build sync.Mutex
	cur   atomic.Pointer[prepared]
}

// preparedDocs are the documents of every authorization server. The zero
// value is ready to use.
type preparedDocs struct {
	// gen moves on at every change heard of: an answer built before it
	// moved is never served after.
	gen   atomic.Uint64
	mu    sync.RWMutex
	slots map[docKey]*slot
}

func (d *preparedDocs) slot(k docKey) *slot {
	d.mu.RLock()
	s := d.slots[k]
	d.mu.RUnlock()
	if s != nil {
		return s
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if s = d.slots[k]; s == nil {
		if d.slots == nil {
			d.slots = map[docKey]*slot{}
		}
		s = &slot{}
		d.slots[k] = s
	}
	return s
}

// forget drops the slot of a document whose server no longer exists, so
// that the slots stay as many as the servers.
func (d *preparedDocs) forget(k docKey) {
	d.mu.Lock()
	delete(d.slots, k)
	d.mu.Unlock()
}

// Invalidate drops every prepared document: the next request for each
// builds it again from the store. Call it when anything a document shows
// may have changed (an authorization server, its scopes, its keys); it is
// cheap and safe for concurrent use, so an Invalidator's subscriber may
// call it for every kind it hears of.
func (h *Handlers) Invalidate() { h.docs.gen.Add(1) }

func (h *Handlers) recheck() time.Duration {
	if h.Recheck > 0 {
		return h.Recheck
	}
	return DefaultRecheck
}

// doc returns the prepared document k, building it when there is none,
// when a change was heard of since it was built, or when it is due for a
// recheck. policy.ErrUnknownServer when the server does not exist.
func (h *Handlers) doc(ctx context.Context, k docKey) (*prepared, error) {
	s := h.docs.slot(k)
	p := s.cur.Load()
	if p != nil && p.gen == h.docs.gen.Load() {
		if time.Now().Before(p.expires) {
			return p, nil
		}
		// Only due for a recheck: one request rebuilds it, the others
		// serve the current answer meanwhile.
		if !s.build.TryLock() {
			return p, nil
		}
	} else {
		s.build.Lock()
		// Another request may have built it while this one waited.
		if q := s.cur.Load(); q != nil && q.gen == h.docs.gen.Load() && time.Now().Before(q.expires) {
			s.build.Unlock()
			return q, nil
		}
	}
	defer s.build.Unlock()
	gen := h.docs.gen.Load() // read before the store: a change after it moves gen on
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), buildTimeout)
	defer cancel()
	q, err := h.build(ctx, k, gen)
	if errors.Is(err, policy.ErrUnknownServer) {
		h.docs.forget(k)
		return nil, err
	}
	if err != nil {
		if p != nil && p.gen == gen {
			// No change heard of since p was built: keep serving it while
			// the store cannot be read, and try again at the next request.
			h.Logger.WarnContext(ctx, "discovery: rebuild failed; serving the document built before", "err", err)
			return p, nil
		}
		return nil, err
	}
	s.cur.Store(q)
	return q, nil
}

// build encodes document k from the store.
func (h *Handlers) build(ctx context.Context, k docKey, gen uint64) (*prepared, error) {
	start := time.Now()
	srv, err := h.Policy.Server(ctx, k.server)
	if err != nil {
		return nil, err
	}
	var v any
	var cacheControl string
	switch k.kind {
	case docJWKS:
		set, err := h.Keys.JWKS(ctx, srv.ID)
		if err != nil {
			return nil, err
		}
		v, cacheControl = set, "max-age="+strconv.Itoa(int(h.jwksMaxAge().Seconds()))+", must-revalidate"
	default:
		m, err := h.metadata(ctx, srv, k.kind == docOpenID)
		if err != nil {
			return nil, err
		}
		v, cacheControl = m, discoveryCacheControl
	}
	body, err := encodeJSON(v)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(body)
	etag := `"` + base64.RawURLEncoding.EncodeToString(sum[:]) + `"`
	return &prepared{
		body:          body,
		etag:          etag,
		etagHdr:       []string{etag},
		contentLength: []string{strconv.Itoa(len(body))},
		cacheControl:  []string{cacheControl},
		gen:           gen,
		// Counted from the start of the reads, as the store cache counts
		// its TTL.
		expires: start.Add(h.recheck()),
	}, nil
}

// encodeJSON is the body the documents always had: encoding/json without
// HTML escaping, ending in a newline.
func encodeJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

var jsonContentType = []string{"application/json"}

// serveDoc answers GET and HEAD of document kind of the server the path
// names, from its prepared bytes, with a strong ETag; a matching
// If-None-Match is answered 304 (RFC 9110 sections 13.1.2 and 15.4.5).
func (h *Handlers) serveDoc(w http.ResponseWriter, r *http.Request, kind docKind) {
	k := docKey{server: r.PathValue("server"), kind: kind}
	p, err := h.doc(r.Context(), k)
	if errors.Is(err, policy.ErrUnknownServer) {
		// Okta's 404, written where every endpoint writes it.
		if _, ok := resolveServer(w, r, h); !ok {
			return
		}
		// The server was made since: build its document now.
		p, err = h.doc(r.Context(), k)
	}
	if err != nil {
		h.Logger.ErrorContext(r.Context(), "discovery", "err", err)
		writeInternalError(w)
		return
	}
	hdr := w.Header()
	hdr["Etag"] = p.etagHdr
	hdr["Cache-Control"] = p.cacheControl
	if inm, ok := r.Header["If-None-Match"]; ok && noneMatchFails(inm, p.etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	hdr["Content-Type"] = jsonContentType
	hdr["Content-Length"] = p.contentLength
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(p.body)
	}
}

// noneMatchFails reports whether an If-None-Match field (its lines) names
// etag or is "*", the condition that makes a GET or HEAD answer 304 (RFC
// 9110 section 13.1.2). The comparison is weak: W/"x" matches "x". Parsing
// stops at the first element that is not an entity tag, as net/http's
// ServeContent does.
func noneMatchFails(lines []string, etag string) bool {
	for _, buf := range lines {
		for {
			buf = trimOWS(buf)
			if buf == "" {
				break
			}
			if buf[0] == ',' {
				buf = buf[1:]
				continue
			}
			if buf[0] == '*' {
				return true
			}
			tag, rest := scanETag(buf)
			if tag == "" {
				break
			}
			if tag == etag {
				return true
			}
			buf = rest
		}
	}
	return false
}

// scanETag returns the opaque tag (quotes included, W/ dropped) at the
// start of s and what follows it; "" when s does not start with one (RFC
// 9110 section 8.8.3: entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE).
func scanETag(s string) (tag, rest string) {
	if len(s) >= 2 && s[0] == 'W' && s[1] == '/' {
		s = s[2:]
	}
	if len(s) < 2 || s[0] != '"' {
		return "", ""
	}
	for i := 1; i < len(s); i++ {
		switch c := s[i]; {
		case c == 0x21 || c >= 0x23 && c <= 0x7E || c >= 0x80:
		case c == '"':
			return s[:i+1], s[i+1:]
		default:
			return "", ""
		}
	}
	return "", ""
}

// trimOWS trims the optional white space of RFC 9110 section 5.6.3 (and
// CR and LF, as net/http does).
func trimOWS(s string) string {
	for s != "" && isSpace(s[0]) {
		s = s[1:]
	}
	for s != "" && isSpace(s[len(s)-1]) {
		s = s[:len(s)-1]
	}
	return s
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }
