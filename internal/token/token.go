package token

import (
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"fmt"
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

	at := map[string]any{}
	for k, v := range req.ExtraAccess {
		at[k] = v
	}
	at["ver"] = 1
	at["jti"] = out.AccessJTI
	at["iss"] = req.Issuer
	at["aud"] = req.Audience
	at["iat"] = iat.Unix()
	at["exp"] = out.AccessExp.Unix()
	at["cid"] = req.ClientID
	scp := req.Scopes
	if scp == nil {
		scp = []string{}
	}
	at["scp"] = scp
	if req.User != nil {
		at["uid"] = req.User.ID
		at["sub"] = req.User.Login
		at["auth_time"] = req.AuthTime.Unix()
	} else {
		at["sub"] = req.ClientID
	}
	if out.AccessToken, err = sign(signer, at); err != nil {
		return Issued{}, err
	}
	if !req.IDToken || req.User == nil {
		return out, nil
	}

	out.IDJTI = IDPrefix + ids.Secret(jtiBytes)
	idt := map[string]any{}
	for k, v := range req.ExtraID {
		idt[k] = v
	}
	u := req.User
	idt["ver"] = 1
	idt["sub"] = u.ID
	idt["iss"] = req.Issuer
	idt["aud"] = req.ClientID
	idt["iat"] = iat.Unix()
	idt["exp"] = iat.Add(req.IDTTL).Unix()
	idt["jti"] = out.IDJTI
	amr := req.AMR
	if amr == nil {
		amr = []string{"pwd"}
	}
	idt["amr"] = amr
	idt["idp"] = m.IDP
	idt["auth_time"] = req.AuthTime.Unix()
	idt["at_hash"] = ATHash(signer.Alg, out.AccessToken)
	for k, v := range ProfileClaims(u, req.Scopes) {
		idt[k] = v
	}
	if out.IDToken, err = sign(signer, idt); err != nil {
		return Issued{}, err
	}
	return out, nil
}

// ProfileClaims returns the OIDC standard claims of u that the scopes allow
// (OIDC Core section 5.4): profile and email. Userinfo uses it too.
func ProfileClaims(u *store.User, scopes []string) map[string]any {
	c := map[string]any{}
	for _, s := range scopes {
		switch s {
		case "profile":
			name := strings.TrimSpace(u.FirstName + " " + u.LastName)
			if name != "" {
				c["name"] = name
			}
			c["preferred_username"] = u.Login
			if u.FirstName != "" {
				c["given_name"] = u.FirstName
			}
			if u.LastName != "" {
				c["family_name"] = u.LastName
			}
			if u.Locale != "" {
				c["locale"] = u.Locale
			}
			if u.ZoneInfo != "" {
				c["zoneinfo"] = u.ZoneInfo
			}
			c["updated_at"] = u.UpdatedAt.Unix()
		case "email":
			if u.Email != "" {
				c["email"] = u.Email
				c["email_verified"] = u.EmailVerified
			}
		}
	}
	return c
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

func sign(s *keys.Signer, claims map[string]any) (string, error) {
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", fmt.Errorf("token: marshal claims: %w", err)
	}
	jws, err := s.Sign(payload)
	if err != nil {
		return "", fmt.Errorf("token: sign: %w", err)
	}
	return jws, nil
}
