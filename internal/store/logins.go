package store

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"time"

	"golang.org/x/text/secure/precis"
	"golang.org/x/text/unicode/norm"
)

// NormalizeLogin is the one form of a login that lookups, uniqueness and
// the login guard's counters compare: two logins that normalise alike are
// the same login. It is the PRECIS UsernameCaseMapped profile of RFC 8265
// (LoginKey): width, case and Unicode normalisation variants of a login
// are one login. A string the profile refuses (a control character, a bidi
// override, a zero-width space, a space, nothing at all) gets a key of its
// own that no valid login has, so that looking such a string up never
// finds another user; a user created before logins were checked keeps
// logging in with exactly the login stored.
func NormalizeLogin(login string) string {
	if key, err := LoginKey(login); err == nil {
		return key
	}
	// A space never survives the profile, so no valid login's key starts
	// with one; the hash keeps the key short and the same for the same bytes.
	sum := sha256.Sum256([]byte(login))
	return " " + base64.RawURLEncoding.EncodeToString(sum[:])
}

// LoginKey applies the PRECIS UsernameCaseMapped profile (RFC 8265 section
// 3.3) to login: full-width forms folded, lower-cased, NFC, the Bidi Rule
// checked, and only the IdentifierClass allowed. An error means the
// profile refuses login. The profile is applied until its output is stable,
// so a key is its own key.
func LoginKey(login string) (string, error) {
	key, err := precis.UsernameCaseMapped.CompareKey(login)
	for i := 0; err == nil && i < 3; i++ {
		next, nerr := precis.UsernameCaseMapped.CompareKey(key)
		if nerr != nil || next == key {
			break
		}
		key = next
	}
	if err == nil && key == "" {
		err = errEmptyLogin
	}
	return key, err
}

var errEmptyLogin = errors.New("store: empty login")

// LoginNormalization names the normalisation NormalizeLogin applies,
// Unicode version included: stored keys computed under another one are
// recomputed when a store opens (package sqlite).
var LoginNormalization = "precis-usernamecasemapped/unicode-" + norm.Version

// LoginCounter counts failed password logins of one login (by its
// normalised form, whether or not a user has it) so that guessing can be
// stopped (package guard). Source is "" for the counter shared by every
// source that never logged in successfully as this login, or one source
// address that did (a "known" source, which keeps a counter of its own so
// that others cannot lock it out).
type LoginCounter struct {
	LoginKey string
	Source   string
	// Failures counts attempts that were let through and not followed by
	// a success.
	Failures int
	// LockedUntil is when a lock lifts; zero or past when not locked.
	LockedUntil time.Time
	// LastSuccessAt is the last successful login from Source; zero for
	// the shared counter and for sources that never succeeded.
	LastSuccessAt time.Time
	UpdatedAt     time.Time
}

// LoginCounters stores the login guard's counters. Like every store method
// they are shared by all instances over one database.
type LoginCounters interface {
	// UpdateLoginCounters runs fn on the login's shared counter and on its
	// counter for source (zero counters with the keys set when absent; when
	// source is "" the second argument is the shared counter again and what
	// fn returns for it is ignored) inside one transaction, and stores what
	// fn returns. Concurrent calls for one login are serialised, so a count
	// taken in fn is exact across goroutines and instances. An error from fn
	// aborts and is returned as is.
	UpdateLoginCounters(ctx context.Context, loginKey, source string, fn func(shared, pair LoginCounter) (LoginCounter, LoginCounter, error)) error
	// GetLoginCounters reads the login's shared counter and its counter for
	// source, without locking anything; an absent counter comes back zero
	// with its keys set (when source is "", pair is the shared counter).
	GetLoginCounters(ctx context.Context, loginKey, source string) (shared, pair LoginCounter, err error)
	// ListLoginCounters returns every counter of a login, the shared one first.
	ListLoginCounters(ctx context.Context, loginKey string) ([]LoginCounter, error)
	// ResetLoginCounters clears the failures and locks of every counter of
	// a login (an operator's unlock); known sources stay known.
	ResetLoginCounters(ctx context.Context, loginKey string, at time.Time) error
	// DeleteStaleLoginCounters removes counters neither changed nor locked
	// since idleBefore whose last success is before knownBefore (or never),
	// and returns how many went.
	DeleteStaleLoginCounters(ctx context.Context, idleBefore, knownBefore time.Time) (int64, error)
}
