package oauth

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"strings"

	jose "github.com/go-jose/go-jose/v4"
)

// Bounds of a client's key set (private_key_jwt).
const (
	// MaxJWKSBytes bounds an inline key set and a fetched JWKS response.
	MaxJWKSBytes = 64 << 10
	// maxJWKSKeys bounds the keys kept from one set.
	maxJWKSKeys = 100
	// minClientRSABits refuses RSA keys too short to trust.
	minClientRSABits = 2048
	// maxJWKSURILength bounds a JWKS URL.
	maxJWKSURILength = 2048
)

// clientKey is one usable public key of a client.
type clientKey struct {
	kid string
	alg string // the JWK "alg": RS256, ES256 or empty
	key any    // *rsa.PublicKey or *ecdsa.PublicKey (P-256)
}

// fits reports whether k may verify a signature made with alg.
func (k clientKey) fits(alg jose.SignatureAlgorithm) bool {
	if k.alg != "" && k.alg != string(alg) {
		return false
	}
	switch pub := k.key.(type) {
	case *rsa.PublicKey:
		return alg == jose.RS256
	case *ecdsa.PublicKey:
		return alg == jose.ES256 && pub.Curve == elliptic.P256()
	}
	return false
}

// ValidateClientJWKS checks an inline key set for a private_key_jwt client:
// a JWK Set (RFC 7517 section 5) of one or more public signing keys, RSA of
// at least 2048 bits or EC P-256, each with a distinct "kid", "use" absent
// or "sig", "alg" absent or matching the key (RS256, ES256). Private and
// symmetric keys are refused.
func ValidateClientJWKS(data []byte) error {
	_, err := parseClientJWKS(data, true)
	return err
}

// parseClientJWKS returns the usable keys of a JWK Set. Strict (what an
// operator configures) refuses any key it cannot use; lenient (what a
// client's JWKS URL serves) skips them, as RFC 7517 section 5 asks of keys
// that are not understood.
func parseClientJWKS(data []byte, strict bool) ([]clientKey, error) {
	if len(data) > MaxJWKSBytes {
		return nil, fmt.Errorf("key set larger than %d bytes", MaxJWKSBytes)
	}
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(data, &set); err != nil {
		return nil, fmt.Errorf("key set is not a JWK Set: %w", err)
	}
	if len(set.Keys) == 0 {
		return nil, errors.New(`key set has no "keys"`)
	}
	if strict && len(set.Keys) > maxJWKSKeys {
		return nil, fmt.Errorf("key set has more than %d keys", maxJWKSKeys)
	}
	var out []clientKey
	seen := map[string]bool{}
	for i, raw := range set.Keys {
		k, err := parseClientJWK(raw)
		if err == nil && seen[k.kid] {
			err = fmt.Errorf("kid %q appears twice", k.kid)
		}
		if err != nil {
			if strict {
				return nil, fmt.Errorf("key %d: %w", i, err)
			}
			continue
		}
		seen[k.kid] = true
		out = append(out, k)
		if len(out) == maxJWKSKeys {
			break
		}
	}
	if len(out) == 0 {
		return nil, errors.New("key set has no usable RS256 or ES256 public key with a kid")
	}
	return out, nil
}

func parseClientJWK(raw json.RawMessage) (clientKey, error) {
	var jwk jose.JSONWebKey
	if err := jwk.UnmarshalJSON(raw); err != nil {
		return clientKey{}, err
	}
	if jwk.KeyID == "" {
		return clientKey{}, errors.New(`no "kid"`)
	}
	if jwk.Use != "" && jwk.Use != "sig" {
		return clientKey{}, fmt.Errorf(`"use" is %q, not "sig"`, jwk.Use)
	}
	if !jwk.IsPublic() {
		return clientKey{}, errors.New("not a public key (private or symmetric keys are never accepted)")
	}
	k := clientKey{kid: jwk.KeyID, alg: jwk.Algorithm, key: jwk.Key}
	switch pub := jwk.Key.(type) {
	case *rsa.PublicKey:
		if pub.N.BitLen() < minClientRSABits {
			return clientKey{}, fmt.Errorf("RSA key of %d bits; at least %d required", pub.N.BitLen(), minClientRSABits)
		}
		if !k.fits(jose.RS256) {
			return clientKey{}, fmt.Errorf(`"alg" %q does not fit an RSA key (RS256)`, jwk.Algorithm)
		}
	case *ecdsa.PublicKey:
		if pub.Curve != elliptic.P256() {
			return clientKey{}, errors.New("EC key not on P-256")
		}
		if !k.fits(jose.ES256) {
			return clientKey{}, fmt.Errorf(`"alg" %q does not fit an EC P-256 key (ES256)`, jwk.Algorithm)
		}
	default:
		return clientKey{}, fmt.Errorf("key type %T is not RSA or EC", jwk.Key)
	}
	return k, nil
}

// ValidateJWKSURI checks the JWKS URL of a private_key_jwt client: an
// absolute https URL without credentials or fragment, whose host is not
// "localhost" nor an address RemoteJWKS would refuse to dial. With
// allowInsecure (clients.allow_insecure_jwks_uri, development and tests
// only), http and loopback or private hosts are accepted too. The check at
// dial time is the one that counts: a name may resolve to anything later.
func ValidateJWKSURI(s string, allowInsecure bool) error {
	if len(s) > maxJWKSURILength {
		return fmt.Errorf("JWKS URI longer than %d characters", maxJWKSURILength)
	}
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("JWKS URI: %w", err)
	}
	if !u.IsAbs() || u.Host == "" || u.Opaque != "" {
		return fmt.Errorf("JWKS URI %q is not an absolute URL", s)
	}
	if u.User != nil || u.Fragment != "" {
		return fmt.Errorf("JWKS URI %q must not carry credentials or a fragment", s)
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !allowInsecure {
			return fmt.Errorf("JWKS URI %q: the scheme must be https (http only with clients.allow_insecure_jwks_uri, for development)", s)
		}
	default:
		return fmt.Errorf("JWKS URI %q: the scheme must be https", s)
	}
	host := u.Hostname()
	if ip, err := netip.ParseAddr(host); err == nil {
		if err := checkAddr(ip, allowInsecure); err != nil {
			return fmt.Errorf("JWKS URI %q: %w", s, err)
		}
	} else if !allowInsecure && (strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost")) {
		return fmt.Errorf("JWKS URI %q: a loopback host is allowed only with clients.allow_insecure_jwks_uri", s)
	}
	return nil
}
