package verifier

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"time"
)

// Claims are the claims of a verified access token, in the shape Okta and
// Latchkey give them (CONTRACT.md section 3). Times are zero when the claim is
// absent.
type Claims struct {
	Ver       int       // "ver"
	JTI       string    // "jti", "AT.…" for Latchkey and Okta
	Issuer    string    // "iss"
	Audience  []string  // "aud", a string or an array in the token
	IssuedAt  time.Time // "iat"
	ExpiresAt time.Time // "exp"
	NotBefore time.Time // "nbf"
	ClientID  string    // "cid"
	UserID    string    // "uid", absent for client credentials tokens
	Scopes    []string  // "scp"; when absent, the space-separated "scope" claim
	Subject   string    // "sub"
	AuthTime  time.Time // "auth_time"

	// Extra holds every other claim (custom claims) as decoded JSON, numbers
	// as json.Number.
	Extra map[string]any
}

// HasScope reports whether the token grants scope.
func (c *Claims) HasScope(scope string) bool {
	for _, s := range c.Scopes {
		if s == scope {
			return true
		}
	}
	return false
}

// knownClaims are decoded into Claims' typed fields rather than Extra.
var knownClaims = map[string]bool{
	"ver": true, "jti": true, "iss": true, "aud": true, "iat": true, "exp": true,
	"nbf": true, "cid": true, "uid": true, "scp": true, "sub": true, "auth_time": true,
}

// MarshalJSON writes the claims back in their JWT form: NumericDate seconds, a
// single audience as a string, custom claims at the top level.
func (c *Claims) MarshalJSON() ([]byte, error) {
	m := make(map[string]any, len(c.Extra)+12)
	for k, v := range c.Extra {
		m[k] = v
	}
	putString := func(k, v string) {
		if v != "" {
			m[k] = v
		}
	}
	putTime := func(k string, t time.Time) {
		if !t.IsZero() {
			m[k] = t.Unix()
		}
	}
	if c.Ver != 0 {
		m["ver"] = c.Ver
	}
	putString("jti", c.JTI)
	putString("iss", c.Issuer)
	switch len(c.Audience) {
	case 0:
	case 1:
		m["aud"] = c.Audience[0]
	default:
		m["aud"] = c.Audience
	}
	putTime("iat", c.IssuedAt)
	putTime("exp", c.ExpiresAt)
	putTime("nbf", c.NotBefore)
	putString("cid", c.ClientID)
	putString("uid", c.UserID)
	if c.Scopes != nil {
		m["scp"] = c.Scopes
	}
	putString("sub", c.Subject)
	putTime("auth_time", c.AuthTime)
	return json.Marshal(m)
}

// parseClaims decodes a JWT claims set. Wrong types are errors; missing
// claims are left zero (Verify decides which ones are required).
func parseClaims(payload []byte) (*Claims, error) {
	if c, err, plain := parsePlainClaims(payload); plain {
		return c, err
	}
	raw, err := decodeObject(payload)
	if err != nil {
		return nil, err
	}
	c, err := claimsFrom(func(name string) (any, bool) {
		v, ok := raw[name]
		return v, ok
	})
	if err != nil {
		return nil, err
	}
	for k, v := range raw {
		if !knownClaims[k] {
			if c.Extra == nil {
				c.Extra = make(map[string]any)
			}
			c.Extra[k] = v
		}
	}
	return c, nil
}

// claimsFrom fills the registered claims from the decoded claim values
// get returns (as encoding/json decodes them, numbers as json.Number).
func claimsFrom(get func(name string) (any, bool)) (*Claims, error) {
	c := &Claims{}
	var errs []string
	str := func(name string, dst *string) {
		if v, ok := get(name); ok {
			s, ok := v.(string)
			if !ok {
				errs = append(errs, name+" is not a string")
			}
			*dst = s
		}
	}
	date := func(name string, dst *time.Time) {
		if v, ok := get(name); ok {
			t, err := numericDate(v)
			if err != nil {
				errs = append(errs, name+" "+err.Error())
			}
			*dst = t
		}
	}
	str("jti", &c.JTI)
	str("iss", &c.Issuer)
	str("cid", &c.ClientID)
	str("uid", &c.UserID)
	str("sub", &c.Subject)
	date("iat", &c.IssuedAt)
	date("exp", &c.ExpiresAt)
	date("nbf", &c.NotBefore)
	date("auth_time", &c.AuthTime)
	if v, ok := get("ver"); ok {
		n, isNum := v.(json.Number)
		i, err := n.Int64()
		if !isNum || err != nil || i < math.MinInt32 || i > math.MaxInt32 {
			errs = append(errs, "ver is not a small integer")
		}
		c.Ver = int(i)
	}
	if v, ok := get("aud"); ok {
		aud, err := stringOrStrings(v)
		if err != nil {
			errs = append(errs, "aud "+err.Error())
		}
		c.Audience = aud
	}
	scp, hasScp := get("scp")
	if s, ok := scp.(string); ok {
		c.Scopes = strings.Fields(s)
	} else if hasScp {
		scopes, err := stringOrStrings(scp)
		if err != nil {
			errs = append(errs, "scp "+err.Error())
		}
		c.Scopes = scopes
	} else if v, _ := get("scope"); v != nil {
		if s, ok := v.(string); ok {
			c.Scopes = strings.Fields(s)
		}
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	return c, nil
}

// decodeObject decodes one JSON object, numbers as json.Number, and refuses
// trailing data.
func decodeObject(data []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var raw map[string]any
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("not a JSON object: %w", err)
	}
	if raw == nil {
		return nil, fmt.Errorf("not a JSON object")
	}
	if dec.More() {
		return nil, fmt.Errorf("trailing data after the JSON object")
	}
	return raw, nil
}

// maxNumericDate is the year 5138: far enough, and small enough that
// time.Unix cannot overflow.
const maxNumericDate = 1e11

// numericDate reads an RFC 7519 NumericDate: seconds since the epoch,
// possibly with a fraction.
func numericDate(v any) (time.Time, error) {
	n, ok := v.(json.Number)
	if !ok {
		return time.Time{}, fmt.Errorf("is not a number")
	}
	if i, err := n.Int64(); err == nil {
		if i < 0 || i > maxNumericDate {
			return time.Time{}, fmt.Errorf("is out of range")
		}
		return time.Unix(i, 0), nil
	}
	f, err := n.Float64()
	if err != nil || math.IsNaN(f) || f < 0 || f > maxNumericDate {
		return time.Time{}, fmt.Errorf("is out of range")
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)), nil
}

// stringOrStrings reads a claim that is a string or an array of strings.
func stringOrStrings(v any) ([]string, error) {
	switch v := v.(type) {
	case string:
		return []string{v}, nil
	case []any:
		out := make([]string, 0, len(v))
		for _, e := range v {
			s, ok := e.(string)
			if !ok {
				return nil, fmt.Errorf("has a non-string element")
			}
			out = append(out, s)
		}
		return out, nil
	default:
		return nil, fmt.Errorf("is neither a string nor an array of strings")
	}
}
