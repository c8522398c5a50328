package mfa

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"time"

	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/keys"
)

// TokenTTL is how long an mfa_token lives.
const TokenTTL = 5 * time.Minute

// MaxTokenLength bounds an mfa_token read from a request before any
// decoding.
const MaxTokenLength = 2048

// ErrToken: the mfa_token is malformed, altered, sealed under another key,
// or expired.
var ErrToken = errors.New("mfa: invalid mfa_token")

// Pending is a login whose password was right and that waits for a second
// factor: what the mfa_token binds. It is sealed with the master key (so
// the client can read nothing from it and change nothing in it); its ID is
// taken with store.UseOnce when it is redeemed, so that it works once.
type Pending struct {
	ID       string    `json:"jti"`
	ServerID string    `json:"aus"`
	ClientID string    `json:"cid"`
	UserID   string    `json:"uid"`
	Scopes   []string  `json:"scp"`
	AuthTime time.Time `json:"at"`
	Expires  time.Time `json:"exp"`
}

// tokenAAD keeps a sealed mfa_token from being taken for any other sealed
// blob, and the other way round.
var tokenAAD = []byte("latchkey mfa_token v1")

// NewPending is a pending login that expires TokenTTL after now.
func NewPending(serverID, clientID, userID string, scopes []string, authTime, now time.Time) Pending {
	return Pending{ID: ids.Alnum(24), ServerID: serverID, ClientID: clientID, UserID: userID, Scopes: scopes,
		AuthTime: authTime.UTC(), Expires: now.Add(TokenTTL).UTC()}
}

// Seal returns p as an mfa_token.
func Seal(s *keys.Sealer, p Pending) (string, error) {
	b, err := json.Marshal(p)
	if err != nil {
		return "", err
	}
	sealed, err := s.Seal(b, tokenAAD)
	if err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(sealed), nil
}

// Open reads an mfa_token from a request: ErrToken unless it was sealed by
// Seal under this key and has not expired at now.
func Open(s *keys.Sealer, token string, now time.Time) (Pending, error) {
	if token == "" || len(token) > MaxTokenLength {
		return Pending{}, ErrToken
	}
	sealed, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		return Pending{}, ErrToken
	}
	b, err := s.Open(sealed, tokenAAD)
	if err != nil {
		return Pending{}, ErrToken
	}
	var p Pending
	if err := json.Unmarshal(b, &p); err != nil || p.ID == "" || p.UserID == "" {
		return Pending{}, ErrToken
	}
	if !now.Before(p.Expires) {
		return Pending{}, ErrToken
	}
	return p, nil
}
