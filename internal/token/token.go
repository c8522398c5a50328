package token

import (
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/keys"
	"github.com/latchkey/latchkey/internal/store"
)

// Prefixes of token ids (the jti claim).
const (
	AccessPrefix = "AT."
	IDPrefix     = "ID."
)

// Minter mints tokens. It is safe for concurrent use.
type Minter struct {
	Keys *keys.Manager
	Now  func() time.Time
	// IDP is the idp claim of ID tokens: the id of the identity provider
	// that authenticated the user, here the deployment's org id ("00o…").
	IDP string
}

// Request describes the tokens to mint for one grant.
type Request struct {
	AuthServerID string
	Issuer       string // the authorization server's issuer URL
	Audience     string // the access token's aud
	ClientID     string
	User         *store.User // nil for client credentials
	Scopes       []string    // granted scopes, in order
	AccessTTL    time.Duration
	IDTTL        time.Duration
	AuthTime     time.Time // when the user authenticated
	AMR          []string  // authentication methods, e.g. ["pwd"]
	// IDToken asks for an ID token (the openid scope was granted).
	IDToken bool
	// ExtraAccess and ExtraID are custom claims; they never replace a
	// reserved claim.
	ExtraAccess map[string]any
	ExtraID     map[string]any
}

// Issued is what Mint returns.
type Issued struct {
	AccessToken string
	AccessJTI   string
	IssuedAt    time.Time
	AccessExp   time.Time
	IDToken     string // empty unless requested
	IDJTI       string
}

// jtiBytes of randomness in each token id.
const jtiBytes = 24

// Mint signs an access token and, when asked, an ID token.
func (m *Minter) Mint(ctx context.Context, req Request) (Issued, error) {
	signer, err := m.Keys.ActiveSigner(ctx, req.AuthServerID)
	if err != nil {
		return Issued{}, err
	}
	now := time.Now
	if m.Now != nil {
		now = m.Now
	}
	if req.User != nil {
		if err := awaitWatermark(ctx, now, req.User.TokensValidAfter); err != nil {
			return Issued{}, err
		}
	}
	iat := now().Truncate(time.Second)
	out := Issued{IssuedAt: iat, AccessExp: iat.Add(req.AccessTTL), AccessJTI: AccessPrefix + ids.Secret(jtiBytes)}

	// The claims are written straight into JSON, in a fixed order: no map
	// and no reflection for the reserved claims (json.Marshal of a map cost
	// about a hundred allocations a token). Custom claims follow and never
	// replace a claim already written.
	at := claimsObject{buf: make([]byte, 0, 512)}
	at.num("ver", 1)
	at.str("jti", out.AccessJTI)
	at.str("iss", req.Issuer)
	at.str("aud", req.Audience)
	at.num("iat", iat.Unix())
	at.num("exp", out.AccessExp.Unix())
	at.str("cid", req.ClientID)
	at.strs("scp", req.Scopes)
	if req.User != nil {
		at.str("uid", req.User.ID)
		at.str("sub", req.User.Login)
		at.num("auth_time", req.AuthTime.Unix())
	} else {
		at.str("sub", req.ClientID)
	}
	if err := at.extra(req.ExtraAccess); err != nil {
		return Issued{}, err
	}
	if out.AccessToken, err = sign(signer, at.bytes()); err != nil {
		return Issued{}, err
	}
	if !req.IDToken || req.User == nil {
		return out, nil
	}

	out.IDJTI = IDPrefix + ids.Secret(jtiBytes)
	u := req.User
	idt := claimsObject{buf: make([]byte, 0, 768)}
	idt.num("ver", 1)
	idt.str("sub", u.ID)
	idt.str("iss", req.Issuer)
	idt.str("aud", req.ClientID)
	idt.num("iat", iat.Unix())
	idt.num("exp", iat.Add(req.IDTTL).Unix())
	idt.str("jti", out.IDJTI)
	amr := req.AMR
	if amr == nil {
		amr = []string{"pwd"}
	}
	idt.strs("amr", amr)
	idt.str("idp", m.IDP)
	idt.num("auth_time", req.AuthTime.Unix())
	idt.str("at_hash", ATHash(signer.Alg, out.AccessToken))
	profileClaims(u, req.Scopes, &idt)
	if err := idt.extra(req.ExtraID); err != nil {
		return Issued{}, err
	}
	if out.IDToken, err = sign(signer, idt.bytes()); err != nil {
		return Issued{}, err
	}
	return out, nil
}

// ProfileClaims returns the OIDC standard claims of u that the scopes allow
// (OIDC Core section 5.4): profile and email. Userinfo uses it too.
func ProfileClaims(u *store.User, scopes []string) map[string]any {
	c := claimsMap{}
	profileClaims(u, scopes, c)
	return c
}

// claimSink receives claims; a claim set twice keeps its first value.
type claimSink interface {
	str(name, v string)
	num(name string, v int64)
	boolean(name string, v bool)
}

// profileClaims sends the claims of ProfileClaims to c, the profile scope's
// then the email scope's, each once however often the scope is listed.
func profileClaims(u *store.User, scopes []string, c claimSink) {
	if slices.Contains(scopes, "profile") {
		name := strings.TrimSpace(u.FirstName + " " + u.LastName)
		if name != "" {
			c.str("name", name)
		}
		c.str("preferred_username", u.Login)
		if u.FirstName != "" {
			c.str("given_name", u.FirstName)
		}
		if u.LastName != "" {
			c.str("family_name", u.LastName)
		}
		if u.Locale != "" {
			c.str("locale", u.Locale)
		}
		if u.ZoneInfo != "" {
			c.str("zoneinfo", u.ZoneInfo)
		}
		c.num("updated_at", u.UpdatedAt.Unix())
	}
	if slices.Contains(scopes, "email") && u.Email != "" {
		c.str("email", u.Email)
		c.boolean("email_verified", u.EmailVerified)
	}
}

// claimsMap is a claimSink into a map, for JSON encoders of the caller's.
type claimsMap map[string]any

func (c claimsMap) set(name string, v any) {
	if _, ok := c[name]; !ok {
		c[name] = v
	}
}
func (c claimsMap) str(name, v string)          { c.set(name, v) }
func (c claimsMap) num(name string, v int64)    { c.set(name, v) }
func (c claimsMap) boolean(name string, v bool) { c.set(name, v) }

// claimsObject writes a JWT claims set as a JSON object, claim by claim,
// keeping the names written so that a name is never written twice.
type claimsObject struct {
	buf   []byte
	names []string
}

// add writes the separator and the name of a new claim; false when the
// name was written before.
func (o *claimsObject) add(name string) bool {
	if slices.Contains(o.names, name) {
		return false
	}
	o.names = append(o.names, name)
	if len(o.buf) == 0 {
		o.buf = append(o.buf, '{')
	} else {
		o.buf = append(o.buf, ',')
	}
	o.buf = appendJSONString(o.buf, name)
	o.buf = append(o.buf, ':')
	return true
}

func (o *claimsObject) str(name, v string) {
	if o.add(name) {
		o.buf = appendJSONString(o.buf, v)
	}
}

func (o *claimsObject) num(name string, v int64) {
	if o.add(name) {
		o.buf = strconv.AppendInt(o.buf, v, 10)
	}
}

func (o *claimsObject) boolean(name string, v bool) {
	if o.add(name) {
		o.buf = strconv.AppendBool(o.buf, v)
	}
}

// strs writes an array of strings; nil is the empty array.
func (o *claimsObject) strs(name string, vs []string) {
	if !o.add(name) {
		return
	}
	o.buf = append(o.buf, '[')
	for i, v := range vs {
		if i > 0 {
			o.buf = append(o.buf, ',')
		}
		o.buf = appendJSONString(o.buf, v)
	}
	o.buf = append(o.buf, ']')
}

// extra writes custom claims in the order of their names, skipping those
// already written: a custom claim never replaces a reserved one.
func (o *claimsObject) extra(claims map[string]any) error {
	if len(claims) == 0 {
		return nil
	}
	names := make([]string, 0, len(claims))
	for name := range claims {
		if !slices.Contains(o.names, name) {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	for _, name := range names {
		v, err := json.Marshal(claims[name])
		if err != nil {
			return fmt.Errorf("token: marshal claim %q: %w", name, err)
		}
		o.add(name)
		o.buf = append(o.buf, v...)
	}
	return nil
}

// bytes returns the finished object.
func (o *claimsObject) bytes() []byte {
	if len(o.buf) == 0 {
		return []byte("{}")
	}
	return append(o.buf, '}')
}

// appendJSONString appends s as a JSON string. Printable ASCII without a
// quote, a backslash or one of json.Marshal's HTML-escaped characters is
// copied as it is; any other string is encoded by encoding/json, so the
// result is always what json.Marshal writes.
func appendJSONString(buf []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			v, _ := json.Marshal(s) // a string always marshals
			return append(buf, v...)
		}
	}
	buf = append(buf, '"')
	buf = append(buf, s...)
	return append(buf, '"')
}

// ATHash is the at_hash of an access token carried by an ID token signed
// with alg (OIDC Core section 3.1.3.6): the base64url left half of the
// access token's hash, with the hash of alg's JWS algorithm: SHA-256 for
// RS256 and ES256. EdDSA names no hash of its own; Ed25519 signs with
// SHA-512 inside, and the OpenID Foundation's guidance, go-oidc
// (VerifyAccessToken) and other libraries use SHA-512 for it, so EdDSA's
// at_hash is the left half of the SHA-512.
func ATHash(alg, accessToken string) string {
	if alg == store.AlgEdDSA {
		sum := sha512.Sum512([]byte(accessToken))
		return base64.RawURLEncoding.EncodeToString(sum[:len(sum)/2])
	}
	sum := sha256.Sum256([]byte(accessToken))
	return base64.RawURLEncoding.EncodeToString(sum[:len(sum)/2])
}

func sign(s *keys.Signer, payload []byte) (string, error) {
	jws, err := s.Sign(payload)
	if err != nil {
		return "", fmt.Errorf("token: sign: %w", err)
	}
	return jws, nil
}
