package verifier

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math/big"
	"strings"

	jose "github.com/go-jose/go-jose/v4"
)

// compactJWS is a compact JWS whose header is plain enough to be read in
// one pass (simpleHeader) and whose parts are canonical base64url: what
// every issuer sends. Verify reads such tokens once and checks their
// signature with the standard library directly; any other token goes the
// general way (go-jose), so that both read every token alike.
type compactJWS struct {
	alg, kid string
	// signingInput is the token up to its second dot, the bytes signed
	// (RFC 7515 section 5.2): canonical base64url, so go-jose's re-encoding
	// of the decoded parts would give the same bytes.
	signingInput string
	payload      []byte
	signature    []byte
}

// strictB64 decodes base64url without padding and refuses non-zero
// trailing bits, so that a decoded part re-encodes to the same text.
var strictB64 = base64.RawURLEncoding.Strict()

// parseCompact splits raw (already known to have exactly two dots and to
// be within MaxTokenSize) and reads its header. ok is false when the token
// is not of the plain kind compactJWS describes: the caller then takes the
// general path, which gives such tokens the answers they always had.
func parseCompact(raw string) (tok compactJWS, ok bool) {
	// The decoder skips CR and LF, which go-jose's re-encoding then drops:
	// such a token's signing input is not its text.
	if strings.ContainsAny(raw, "\r\n") {
		return compactJWS{}, false
	}
	h, rest, _ := strings.Cut(raw, ".")
	p, s, _ := strings.Cut(rest, ".")
	if h == "" || p == "" || s == "" {
		return compactJWS{}, false
	}
	// One buffer for the three decoded parts.
	buf := make([]byte, strictB64.DecodedLen(len(h))+strictB64.DecodedLen(len(p))+strictB64.DecodedLen(len(s)))
	n, err := strictB64.Decode(buf, []byte(h))
	if err != nil {
		return compactJWS{}, false
	}
	header := buf[:n:n]
	buf = buf[n:]
	if n, err = strictB64.Decode(buf, []byte(p)); err != nil {
		return compactJWS{}, false
	}
	tok.payload = buf[:n:n]
	buf = buf[n:]
	if n, err = strictB64.Decode(buf, []byte(s)); err != nil {
		return compactJWS{}, false
	}
	tok.signature = buf[:n:n]
	if tok.alg, tok.kid, ok = simpleHeader(header); !ok {
		return compactJWS{}, false
	}
	tok.signingInput = raw[:len(h)+1+len(p)]
	return tok, true
}

// simpleHeader reads a JOSE header that is one flat JSON object of
// printable-ASCII strings without escapes, whose members are among "alg",
// "kid", "typ" and "cty", each at most once. Such a header means the same
// to encoding/json (case-insensitive member names) and to go-jose (exact
// names; typ and cty unused when verifying): "alg" and "kid", no "crit",
// no "jwk", no "x5c". ok is false for any other header.
func simpleHeader(b []byte) (alg, kid string, ok bool) {
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return "", "", false
	}
	var seen [4]bool
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		return "", "", skipSpace(b, i+1) == len(b)
	}
	for {
		name, j, ok := plainString(b, i)
		if !ok {
			return "", "", false
		}
		i = skipSpace(b, j)
		if i >= len(b) || b[i] != ':' {
			return "", "", false
		}
		value, j, ok := plainString(b, skipSpace(b, i+1))
		if !ok {
			return "", "", false
		}
		var slot int
		switch name {
		case "alg":
			slot, alg = 0, value
		case "kid":
			slot, kid = 1, value
		case "typ":
			slot = 2
		case "cty":
			slot = 3
		default:
			return "", "", false
		}
		if seen[slot] {
			return "", "", false
		}
		seen[slot] = true
		i = skipSpace(b, j)
		if i >= len(b) {
			return "", "", false
		}
		switch b[i] {
		case ',':
			i = skipSpace(b, i+1)
		case '}':
			return alg, kid, skipSpace(b, i+1) == len(b)
		default:
			return "", "", false
		}
	}
}

// plainString reads a JSON string at b[i] made of printable ASCII without
// backslashes, and returns it and the index after its closing quote.
func plainString(b []byte, i int) (string, int, bool) {
	if i >= len(b) || b[i] != '"' {
		return "", 0, false
	}
	for j := i + 1; j < len(b); j++ {
		switch c := b[j]; {
		case c == '"':
			return string(b[i+1 : j]), j + 1, true
		case c < 0x20 || c >= 0x7f || c == '\\':
			return "", 0, false
		}
	}
	return "", 0, false
}

// skipSpace skips JSON white space (RFC 8259 section 2).
func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// errKeyAlgorithm: the key cannot verify the header's algorithm (an RSA
// key for ES256, a P-384 key for ES256, …). Verify reports it as a bad
// signature, as go-jose's verification does.
var errKeyAlgorithm = errors.New("the key does not fit the algorithm")

// verifySignature checks sig over input with key for alg, as go-jose's
// JSONWebSignature.Verify does for one key: the key's type decides the
// family (RSA: RS* and PS*; ECDSA: ES* on the matching curve, r||s of
// the curve's size; Ed25519: EdDSA), so no algorithm can be checked with
// a key of another kind.
func verifySignature(key any, alg jose.SignatureAlgorithm, input string, sig []byte) error {
	switch k := key.(type) {
	case *rsa.PublicKey:
		if k == nil {
			return errKeyAlgorithm
		}
		var h crypto.Hash
		switch alg {
		case jose.RS256, jose.PS256:
			h = crypto.SHA256
		case jose.RS384, jose.PS384:
			h = crypto.SHA384
		case jose.RS512, jose.PS512:
			h = crypto.SHA512
		default:
			return errKeyAlgorithm
		}
		digest := hashOf(h, input)
		if alg == jose.PS256 || alg == jose.PS384 || alg == jose.PS512 {
			return rsa.VerifyPSS(k, h, digest, sig, nil)
		}
		return rsa.VerifyPKCS1v15(k, h, digest, sig)
	case *ecdsa.PublicKey:
		if k == nil {
			return errKeyAlgorithm
		}
		var size int
		var h crypto.Hash
		var curve elliptic.Curve
		switch alg {
		case jose.ES256:
			size, h, curve = 32, crypto.SHA256, elliptic.P256()
		case jose.ES384:
			size, h, curve = 48, crypto.SHA384, elliptic.P384()
		case jose.ES512:
			size, h, curve = 66, crypto.SHA512, elliptic.P521()
		default:
			return errKeyAlgorithm
		}
		if k.Curve != curve || len(sig) != 2*size {
			return errKeyAlgorithm
		}
		r, s := new(big.Int).SetBytes(sig[:size]), new(big.Int).SetBytes(sig[size:])
		if !ecdsa.Verify(k, hashOf(h, input), r, s) {
			return ErrSignature
		}
		return nil
	case ed25519.PublicKey:
		if alg != jose.EdDSA || len(k) != ed25519.PublicKeySize {
			return errKeyAlgorithm
		}
		if !ed25519.Verify(k, []byte(input), sig) {
			return ErrSignature
		}
		return nil
	}
	return errKeyAlgorithm
}

func hashOf(h crypto.Hash, input string) []byte {
	d := h.New()
	_, _ = d.Write([]byte(input))
	return d.Sum(make([]byte, 0, h.Size()))
}

// Indexes of the registered claims parsePlainClaims keeps aside.
const (
	claimJTI = iota
	claimIss
	claimCid
	claimUID
	claimSub
	claimIat
	claimExp
	claimNbf
	claimAuthTime
	claimVer
	claimAud
	claimScp
	claimScope // not a registered claim (it goes to Extra too), but Scopes may come from it
	nClaims
)

func claimIndex(name string) int {
	switch name {
	case "jti":
		return claimJTI
	case "iss":
		return claimIss
	case "cid":
		return claimCid
	case "uid":
		return claimUID
	case "sub":
		return claimSub
	case "iat":
		return claimIat
	case "exp":
		return claimExp
	case "nbf":
		return claimNbf
	case "auth_time":
		return claimAuthTime
	case "ver":
		return claimVer
	case "aud":
		return claimAud
	case "scp":
		return claimScp
	case "scope":
		return claimScope
	}
	return -1
}

// parsePlainClaims is parseClaims for a payload whose members are plain:
// names and strings of printable ASCII without escapes, numbers, true,
// false, null, and arrays of such strings, with nothing but white space
// after the object. It reads the registered claims straight into Claims,
// with the same types, the same errors in the same order, the last of a
// repeated name winning, and every other claim in Extra as encoding/json
// would decode it. ok is false for any other payload, which parseClaims
// decodes with encoding/json.
func parsePlainClaims(b []byte) (c *Claims, err error, ok bool) {
	var vals [nClaims]any
	var present [nClaims]bool
	var extra map[string]any
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return nil, nil, false
	}
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		i++
	} else {
		for {
			name, j, ok := plainString(b, i)
			if !ok {
				return nil, nil, false
			}
			i = skipSpace(b, j)
			if i >= len(b) || b[i] != ':' {
				return nil, nil, false
			}
			var v any
			if v, i, ok = plainValue(b, skipSpace(b, i+1)); !ok {
				return nil, nil, false
			}
			k := claimIndex(name)
			if k >= 0 {
				vals[k], present[k] = v, true
			}
			if k < 0 || k == claimScope {
				if extra == nil {
					extra = make(map[string]any)
				}
				extra[name] = v
			}
			i = skipSpace(b, i)
			if i >= len(b) {
				return nil, nil, false
			}
			if b[i] == '}' {
				i++
				break
			}
			if b[i] != ',' {
				return nil, nil, false
			}
			i = skipSpace(b, i+1)
		}
	}
	if skipSpace(b, i) != len(b) {
		return nil, nil, false
	}
	c, err = claimsFrom(func(name string) (any, bool) {
		if k := claimIndex(name); k >= 0 {
			return vals[k], present[k]
		}
		v, ok := extra[name]
		return v, ok
	})
	if err != nil {
		return nil, err, true
	}
	// Every claim but the registered ones, "scope" included, as before.
	if len(extra) > 0 {
		c.Extra = extra
	}
	return c, nil, true
}

// plainValue reads one value of decodePlainObject's kind at b[i] and
// returns it and the index after it.
func plainValue(b []byte, i int) (any, int, bool) {
	if i >= len(b) {
		return nil, 0, false
	}
	switch c := b[i]; {
	case c == '"':
		return plainString(b, i)
	case c == '-' || c >= '0' && c <= '9':
		j, ok := scanNumber(b, i)
		if !ok {
			return nil, 0, false
		}
		return json.Number(b[i:j]), j, true
	case c == 't' && bytes.HasPrefix(b[i:], []byte("true")):
		return true, i + 4, true
	case c == 'f' && bytes.HasPrefix(b[i:], []byte("false")):
		return false, i + 5, true
	case c == 'n' && bytes.HasPrefix(b[i:], []byte("null")):
		return nil, i + 4, true
	case c == '[':
		out := []any{}
		i = skipSpace(b, i+1)
		if i < len(b) && b[i] == ']' {
			return out, i + 1, true
		}
		for {
			s, j, ok := plainString(b, i)
			if !ok {
				return nil, 0, false
			}
			out = append(out, s)
			i = skipSpace(b, j)
			if i >= len(b) {
				return nil, 0, false
			}
			switch b[i] {
			case ',':
				i = skipSpace(b, i+1)
			case ']':
				return out, i + 1, true
			default:
				return nil, 0, false
			}
		}
	}
	return nil, 0, false
}

// scanNumber returns the index after the JSON number at b[i] (RFC 8259
// section 6: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?).
func scanNumber(b []byte, i int) (int, bool) {
	digits := func(i int) int {
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		return i
	}
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		i = digits(i + 1)
	default:
		return 0, false
	}
	if i < len(b) && b[i] == '.' {
		j := digits(i + 1)
		if j == i+1 {
			return 0, false
		}
		i = j
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		j := digits(i)
		if j == i {
			return 0, false
		}
		i = j
	}
	return i, true
}
