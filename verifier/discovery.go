package verifier

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
)

// maxDocumentSize bounds what is read of a discovery, JWKS or introspection
// response.
const maxDocumentSize = 1 << 20

// metadata is the part of an OpenID Provider / OAuth 2.0 Authorization Server
// metadata document that a resource server uses.
type metadata struct {
	Issuer                string `json:"issuer"`
	JWKSURI               string `json:"jwks_uri"`
	IntrospectionEndpoint string `json:"introspection_endpoint"`
}

// discovery fetches and caches the issuer's metadata. A successful answer is
// kept for the life of the process; failures are not cached.
type discovery struct {
	issuer string
	client *http.Client

	mu  sync.Mutex // held while fetching, so concurrent callers share one fetch
	doc *metadata
}

// metadata returns the issuer's metadata, fetching it on first use. It tries
// {issuer}/.well-known/openid-configuration, then
// {issuer}/.well-known/oauth-authorization-server when the first answers 404.
func (d *discovery) metadata(ctx context.Context) (*metadata, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.doc != nil {
		return d.doc, nil
	}
	base := strings.TrimSuffix(d.issuer, "/")
	doc, err := d.fetch(ctx, base+"/.well-known/openid-configuration")
	if errors.Is(err, errNotFound) {
		doc, err = d.fetch(ctx, base+"/.well-known/oauth-authorization-server")
	}
	if err != nil {
		return nil, fmt.Errorf("discovery: %w", err)
	}
	// OpenID Connect Discovery 1.0 section 4.3 and RFC 8414 section 3.3: the
	// issuer in the document must be identical to the one configured.
	if doc.Issuer != d.issuer {
		return nil, fmt.Errorf("discovery: the document's issuer %q is not the configured issuer %q", doc.Issuer, d.issuer)
	}
	d.doc = doc
	return doc, nil
}

var errNotFound = errors.New("404 Not Found")

func (d *discovery) fetch(ctx context.Context, u string) (*metadata, error) {
	body, _, err := getDocument(ctx, d.client, u)
	if err != nil {
		return nil, err
	}
	var doc metadata
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", u, err)
	}
	return &doc, nil
}

// getDocument GETs a JSON document and returns its body and headers.
func getDocument(ctx context.Context, client *http.Client, u string) ([]byte, http.Header, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, nil, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxDocumentSize+1))
	if err != nil {
		return nil, nil, fmt.Errorf("%s: reading the body: %w", u, err)
	}
	if resp.StatusCode == http.StatusNotFound {
		return nil, nil, fmt.Errorf("%s: %w", u, errNotFound)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, nil, fmt.Errorf("%s: unexpected status %s", u, resp.Status)
	}
	if len(body) > maxDocumentSize {
		return nil, nil, fmt.Errorf("%s: document larger than %d bytes", u, maxDocumentSize)
	}
	return body, resp.Header, nil
}

// checkHTTPURL accepts absolute http and https URLs.
func checkHTTPURL(name, s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("verifier: %s: %w", name, err)
	}
	if (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("verifier: %s %q is not an absolute http(s) URL", name, s)
	}
	return nil
}
