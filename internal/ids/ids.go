// Package ids makes the random identifiers Latchkey hands out, shaped like
// Okta's: a three-letter type prefix ("00u" users, "0oa" clients, "aus"
// authorization servers) then random alphanumerics, 20 characters in all.
package ids

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
)

// Prefixes of the identifier kinds.
const (
	User       = "00u"
	Client     = "0oa"
	AuthServer = "aus"
	Org        = "00o"
	Group      = "00g"
	APIToken   = "00T"
	Grant      = "oag"
	Scope      = "scp"
	Claim      = "ocl"
	Policy     = "00p"
	Rule       = "0pr"
	// ClientSecret is a client's secret record (Okta's "ocs…").
	ClientSecret = "ocs"
	// Factor is a user's TOTP factor (Okta's "ost…").
	Factor = "ost"
)

// Length is the length of every identifier New returns.
const Length = 20

const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// New returns prefix followed by random alphanumerics, Length characters in all.
func New(prefix string) string {
	return prefix + Alnum(Length-len(prefix))
}

// Alnum returns n uniformly random characters of [0-9A-Za-z].
func Alnum(n int) string {
	out := make([]byte, 0, n)
	buf := make([]byte, n+n/2+8)
	for len(out) < n {
		if _, err := rand.Read(buf); err != nil {
			panic("ids: crypto/rand failed: " + err.Error())
		}
		for _, b := range buf {
			// 62*4 = 248: rejecting 248..255 keeps the draw uniform.
			if b < 248 && len(out) < n {
				out = append(out, alphabet[b%62])
			}
		}
	}
	return string(out)
}

// Derived returns prefix followed by len(b) alphanumerics computed from b:
// a stable identifier for derived (not random) input, such as the org id
// every instance computes from the master key.
func Derived(prefix string, b []byte) string {
	out := []byte(prefix)
	for _, c := range b {
		out = append(out, alphabet[int(c)%len(alphabet)])
	}
	return string(out)
}

// Secret returns a URL-safe random string carrying nbytes of entropy.
func Secret(nbytes int) string {
	b := make([]byte, nbytes)
	if _, err := rand.Read(b); err != nil {
		panic("ids: crypto/rand failed: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// ScopeID is the id of the scope named name on an authorization server:
// scopes are keyed by name, so their ids are derived from it ("scp"
// then 17 alphanumerics), the same on every instance and for the system
// scopes that are never stored.
func ScopeID(authServerID, name string) string {
	h := sha256.Sum256([]byte(authServerID + "\x00" + name))
	return Derived(Scope, h[:Length-len(Scope)])
}
