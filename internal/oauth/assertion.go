package oauth

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"slices"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/latchkey/latchkey/internal/oautherr"
	"github.com/latchkey/latchkey/internal/store"
)

// Client assertions (RFC 7523 section 2.2 and 3, OIDC Core 1.0 section 9).
const (
	// AssertionTypeJWTBearer is the only client_assertion_type accepted.
	AssertionTypeJWTBearer = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
	// MaxAssertionBytes bounds a client_assertion.
	MaxAssertionBytes = 8 << 10
	// MaxAssertionLifetime is how far ahead of now an assertion's exp may be.
	MaxAssertionLifetime = time.Hour
	// AssertionLeeway absorbs clock skew in exp, nbf and iat.
	AssertionLeeway = time.Minute
	// maxJTILength bounds the jti, which is stored until the assertion expires.
	maxJTILength = 256
)

// AssertionSigningAlgs are the algorithms accepted in client assertions:
// HS256 for client_secret_jwt, RS256 and ES256 for private_key_jwt.
var AssertionSigningAlgs = []string{string(jose.HS256), string(jose.RS256), string(jose.ES256)}

// assertionAlgs is the allowlist given to the parser; "none" is never in it.
var assertionAlgs = []jose.SignatureAlgorithm{jose.HS256, jose.RS256, jose.ES256}

// assertionFailed is the contract's "other client-auth failure"; what went
// wrong goes to the Debug field only.
func assertionFailed(format string, args ...any) error {
	return oautherr.ErrInvalidClient.WithDebug("client_assertion: "+format, args...)
}

// checkAssertion authenticates a client by a JWT client assertion signed
// with its secret (client_secret_jwt, HS256) or its private key
// (private_key_jwt, RS256 or ES256), implementing RFC 7523 section 3 and
// OIDC Core 1.0 section 9: iss and sub are the client id (and the form's
// client_id when given), aud names the endpoint called (audience), exp is
// present and at most MaxAssertionLifetime ahead, nbf and iat are not in
// the future, and the jti is used once across all instances. The cheap
// checks run before the client is loaded or any key is fetched; the jti is
// recorded only once the signature is verified, so a forger cannot burn a
// client's jtis.
func (s *Server) checkAssertion(ctx context.Context, creds clientCredentials, audience string) (store.Client, error) {
	if creds.assertionType != AssertionTypeJWTBearer {
		return store.Client{}, assertionFailed("client_assertion_type %q", truncate(creds.assertionType, 100))
	}
	if len(creds.assertion) > MaxAssertionBytes {
		return store.Client{}, assertionFailed("longer than %d bytes", MaxAssertionBytes)
	}
	jws, err := jose.ParseSignedCompact(creds.assertion, assertionAlgs)
	if err != nil {
		return store.Client{}, assertionFailed("parse: %v", err)
	}
	if len(jws.Signatures) != 1 {
		return store.Client{}, assertionFailed("%d signatures", len(jws.Signatures))
	}
	hdr := jws.Signatures[0].Protected
	var claims jwt.Claims
	if err := json.Unmarshal(jws.UnsafePayloadWithoutVerification(), &claims); err != nil {
		return store.Client{}, assertionFailed("claims: %v", err)
	}
	if err := checkAssertionClaims(&claims, creds.id, audience, s.now()); err != nil {
		return store.Client{}, err
	}
	c, err := s.loadClient(ctx, claims.Issuer)
	if err != nil {
		return store.Client{}, err
	}
	alg := jose.SignatureAlgorithm(hdr.Algorithm)
	switch method := configuredMethod(c); method {
	case AuthSecretJWT:
		if alg != jose.HS256 {
			return store.Client{}, assertionFailed("alg %s for a client_secret_jwt client", alg)
		}
		err = s.verifyWithSecret(ctx, jws, c)
	case AuthPrivateKeyJWT:
		if alg != jose.RS256 && alg != jose.ES256 {
			return store.Client{}, assertionFailed("alg %s for a private_key_jwt client", alg)
		}
		err = s.verifyWithClientKey(ctx, jws, c, alg, hdr.KeyID)
	default:
		return store.Client{}, assertionFailed("client is configured for %s", method)
	}
	if err != nil {
		return store.Client{}, err
	}
	// Accepted until exp plus the leeway, so remembered as long. An
	// assertion without a jti (which Okta accepts, and Okta's Go SDK
	// sends) is remembered by its hash: the same assertion is still
	// refused a second time.
	jti := claims.ID
	if jti == "" {
		sum := sha256.Sum256([]byte(creds.assertion))
		jti = "sha256:" + hex.EncodeToString(sum[:])
	}
	key := "client-assertion:" + c.ID + ":" + jti
	if err := s.Store.UseOnce(ctx, key, claims.Expiry.Time().Add(AssertionLeeway)); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return store.Client{}, assertionFailed("jti %q was already used", truncate(jti, 80))
		}
		return store.Client{}, errorf("oauth: record client assertion jti: %w", err)
	}
	return c, nil
}

// checkAssertionClaims runs the claim checks that need no key.
func checkAssertionClaims(c *jwt.Claims, formClientID, audience string, now time.Time) error {
	switch {
	case c.Issuer == "":
		return assertionFailed("no iss")
	case c.Subject != c.Issuer:
		return assertionFailed("sub %q is not iss %q", truncate(c.Subject, 64), truncate(c.Issuer, 64))
	case formClientID != "" && formClientID != c.Issuer:
		return assertionFailed("iss %q is not the client_id parameter %q", truncate(c.Issuer, 64), truncate(formClientID, 64))
	case !slices.Contains(c.Audience, audience):
		return assertionFailed("aud %q does not contain %q", truncateAll(c.Audience, 4, 100), audience)
	case c.Expiry == nil:
		return assertionFailed("no exp")
	case !now.Before(c.Expiry.Time().Add(AssertionLeeway)):
		return assertionFailed("expired at %v", c.Expiry.Time().UTC())
	case c.Expiry.Time().After(now.Add(MaxAssertionLifetime + AssertionLeeway)):
		return assertionFailed("exp %v is more than %v ahead", c.Expiry.Time().UTC(), MaxAssertionLifetime)
	case c.NotBefore != nil && c.NotBefore.Time().After(now.Add(AssertionLeeway)):
		return assertionFailed("not valid before %v", c.NotBefore.Time().UTC())
	case c.IssuedAt != nil && c.IssuedAt.Time().After(now.Add(AssertionLeeway)):
		return assertionFailed("issued in the future, at %v", c.IssuedAt.Time().UTC())
	case len(c.ID) > maxJTILength:
		return assertionFailed("jti longer than %d bytes", maxJTILength)
	}
	return nil
}

// verifyWithSecret checks an HS256 signature with the client's ACTIVE
// secrets, each unsealed from its record (client id as associated data).
// Every ACTIVE secret is tried, with no early exit, so that the time taken
// does not say which one signed (during a rotation a client holds two).
func (s *Server) verifyWithSecret(ctx context.Context, jws *jose.JSONWebSignature, c store.Client) error {
	if s.Sealer == nil {
		return assertionFailed("no sealer configured")
	}
	all, err := s.Store.ListClientSecrets(ctx, c.ID)
	if err != nil {
		return err
	}
	tried, verified := 0, 0
	for _, cs := range all {
		if cs.Status != store.StatusActive || len(cs.Sealed) == 0 {
			continue
		}
		secret, err := s.Sealer.Open(cs.Sealed, []byte(c.ID))
		if err != nil {
			return assertionFailed("unseal the client secret %s: %v", cs.ID, err)
		}
		tried++
		if _, err := jws.Verify(secret); err == nil {
			verified |= 1
		}
		clear(secret)
	}
	switch {
	case tried == 0:
		return assertionFailed("no sealed secret for this client")
	case verified == 0:
		return assertionFailed("signature: no ACTIVE secret of the client verifies it")
	}
	return nil
}

// verifyWithClientKey checks an RS256 or ES256 signature with a key of the
// client's JWKS, inline or fetched from its URL. Without a kid, every key
// that fits the algorithm is tried.
func (s *Server) verifyWithClientKey(ctx context.Context, jws *jose.JSONWebSignature, c store.Client, alg jose.SignatureAlgorithm, kid string) error {
	var keys []clientKey
	switch {
	case len(c.JWKS) > 0:
		all, err := parseClientJWKS(c.JWKS, false)
		if err != nil {
			return assertionFailed("client JWKS: %v", err)
		}
		for _, k := range all {
			if kid == "" || k.kid == kid {
				keys = append(keys, k)
			}
		}
		if len(keys) == 0 {
			return assertionFailed("%v: %q", errUnknownKid, truncate(kid, 64))
		}
	case c.JWKSURI != "":
		if s.ClientJWKS == nil {
			return assertionFailed("no remote JWKS cache configured")
		}
		var err error
		if keys, err = s.ClientJWKS.keys(ctx, c.JWKSURI, kid); err != nil {
			return assertionFailed("%v", err)
		}
	default:
		return assertionFailed("client has no JWKS")
	}
	for _, k := range keys {
		if !k.fits(alg) {
			continue
		}
		if _, err := jws.Verify(k.key); err == nil {
			return nil
		}
	}
	return assertionFailed("signature: no key of kid %q verifies it", truncate(kid, 64))
}

func truncateAll(ss []string, n, each int) []string {
	out := make([]string, 0, min(len(ss), n))
	for _, s := range ss[:min(len(ss), n)] {
		out = append(out, truncate(s, each))
	}
	return out
}
