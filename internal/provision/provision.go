// Package provision creates the records an operator manages — users,
// clients, authorization servers — with the same validation whether the
// request comes from the CLI, the dev bootstrap or the management API.
package provision

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/latchkey/latchkey/internal/events"
	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/keys"
	"github.com/latchkey/latchkey/internal/oauth"
	"github.com/latchkey/latchkey/internal/password"
	"github.com/latchkey/latchkey/internal/policy"
	"github.com/latchkey/latchkey/internal/pwpolicy"
	"github.com/latchkey/latchkey/internal/secrets"
	"github.com/latchkey/latchkey/internal/store"
)

// Service provisions records. Its fields are set once.
type Service struct {
	Store   store.Store
	Hasher  *password.Hasher
	Secrets *secrets.Hasher
	Keys    *keys.Manager
	// Sealer seals the secrets of client_secret_jwt clients.
	Sealer *keys.Sealer
	// PasswordPolicy is what CreateUser and SetPassword require of a new
	// password; nil means pwpolicy.Default().
	PasswordPolicy *pwpolicy.Policy
	// Events, when set, receives the audit trail of what operators do to
	// users (an unlock, …).
	Events events.Sink
	// AllowInsecureJWKSURI accepts http and loopback or private jwks_uri
	// hosts (clients.allow_insecure_jwks_uri; development and tests only).
	AllowInsecureJWKSURI bool
	Now                  func() time.Time
}

// ErrInvalid wraps every validation failure; the message says what is wrong.
var ErrInvalid = errors.New("invalid")

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// DefaultServerID is the id of the authorization server every deployment has.
const DefaultServerID = "default"

// UserInput is a new user's profile and password.
type UserInput struct {
	Login     string
	Email     string
	FirstName string
	LastName  string
	Locale    string
	ZoneInfo  string
	Password  string
	// PasswordHash is an already encoded hash (argon2id or bcrypt) used
	// instead of Password, for imports; it must be one password.Verify
	// can check (password.CheckEncoded).
	PasswordHash string
	// Status defaults to ACTIVE.
	Status string
}

// MaxProfileLength bounds every profile string.
const MaxProfileLength = 100

// CreateUser validates and stores a new user. The login must pass
// CheckLogin, and no user may have it in any variant store.NormalizeLogin
// maps alike (store.ErrConflict). A password must satisfy the
// password policy (a *PasswordError says why not) and is hashed; an
// imported PasswordHash is stored as it is.
func (s *Service) CreateUser(ctx context.Context, in UserInput) (store.User, error) {
	in.Login = strings.TrimSpace(in.Login)
	if in.Login == "" {
		return store.User{}, invalid("login is required")
	}
	if err := checkProfile(Profile{Login: in.Login, Email: in.Email, FirstName: in.FirstName, LastName: in.LastName,
		Locale: in.Locale, ZoneInfo: in.ZoneInfo}); err != nil {
		return store.User{}, err
	}
	status := in.Status
	if status == "" {
		status = store.UserActive
	}
	// LOCKED_OUT is not among them: only the login guard locks a user,
	// with the counts that say when the lock lifts.
	if !slices.Contains([]string{store.UserStaged, store.UserProvisioned, store.UserActive, store.UserRecovery,
		store.UserPasswordExpired, store.UserSuspended, store.UserDeprovisioned}, status) {
		return store.User{}, invalid("unknown status %q", status)
	}
	var hash string
	switch {
	case in.PasswordHash != "" && in.Password != "":
		return store.User{}, invalid("give a password or a password hash, not both")
	case in.PasswordHash != "":
		if err := password.CheckEncoded(in.PasswordHash); err != nil {
			return store.User{}, invalid("the password hash is not one Latchkey can verify (argon2id, or bcrypt of cost 4 to %d): %v", password.MaxBcryptCost, err)
		}
		hash = in.PasswordHash
	case in.Password != "":
		// A new user has no history: only the policy's rules apply.
		if err := s.checkNewPassword(ctx, store.User{Login: in.Login, FirstName: in.FirstName, LastName: in.LastName}, in.Password); err != nil {
			return store.User{}, err
		}
		h, err := s.Hasher.Hash(ctx, in.Password)
		if err != nil {
			return store.User{}, fmt.Errorf("provision: hash password: %w", err)
		}
		hash = h
	}
	now := s.now()
	u := store.User{ID: ids.New(ids.User), Status: status, Login: in.Login, Email: in.Email, FirstName: in.FirstName,
		LastName: in.LastName, Locale: in.Locale, ZoneInfo: in.ZoneInfo, PasswordHash: hash, CreatedAt: now, UpdatedAt: now}
	if hash != "" {
		u.PasswordChangedAt = now
	}
	if status != store.UserStaged && status != store.UserDeprovisioned {
		// Created activated (Okta's activate=true).
		u.ActivatedAt, u.StatusChangedAt = now, now
	}
	if err := s.Store.CreateUser(ctx, u); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return store.User{}, fmt.Errorf("%w: a user with login %q already exists", store.ErrConflict, in.Login)
		}
		return store.User{}, fmt.Errorf("provision: create user: %w", err)
	}
	return u, nil
}

// ClientInput describes a new client.
type ClientInput struct {
	Name       string
	GrantTypes []string // default ["password"]
	AuthMethod string   // default client_secret_basic
	// Secret is used instead of a generated one when set (at least
	// secrets.MinLength characters, MinJWTSecretLength for
	// client_secret_jwt). none and private_key_jwt clients have no secret.
	Secret string
	// JWKS (an inline JWK Set of public keys, each with a kid) or JWKSURI
	// (an https URL serving one) hold the keys of a private_key_jwt client;
	// exactly one is required for that method and neither is allowed for
	// the others.
	JWKS    []byte
	JWKSURI string
	// RefreshRotation is ROTATE (default) or STATIC.
	RefreshRotation string
	// RefreshLeeway is 0 to 60 seconds; nil means the default of 30.
	RefreshLeeway *time.Duration
	// NoEveryone leaves the new client unassigned instead of assigning it
	// to the Everyone group.
	NoEveryone bool
}

// MinJWTSecretLength is the shortest secret of a client_secret_jwt client:
// an HS256 key must carry at least 256 bits (RFC 7518 section 3.2).
const MinJWTSecretLength = 32

// CreateClient validates and stores a new client. It returns the client and
// its secret (empty for none and private_key_jwt clients), which is shown
// this once and stored only as a keyed hash (and, for client_secret_jwt,
// sealed with the master key, since HS256 verification needs the secret).
func (s *Service) CreateClient(ctx context.Context, in ClientInput) (store.Client, string, error) {
	in.Name = strings.TrimSpace(in.Name)
	if in.Name == "" || utf8.RuneCountInString(in.Name) > MaxProfileLength || strings.ContainsAny(in.Name, "\x00\r\n") {
		return store.Client{}, "", invalid("name is required, at most %d characters", MaxProfileLength)
	}
	grants := in.GrantTypes
	if len(grants) == 0 {
		grants = []string{policy.GrantPassword}
	}
	var seen []string
	for _, g := range grants {
		if !slices.Contains(policy.SupportedGrants, g) {
			return store.Client{}, "", invalid("grant type %q is not supported; supported: %s", g, strings.Join(policy.SupportedGrants, ", "))
		}
		if !slices.Contains(seen, g) {
			seen = append(seen, g)
		}
	}
	method := in.AuthMethod
	if method == "" {
		method = oauth.AuthSecretBasic
	}
	if !slices.Contains(oauth.AuthMethods, method) {
		return store.Client{}, "", invalid("auth method %q is not supported; supported: %s", method, strings.Join(oauth.AuthMethods, ", "))
	}
	if method == oauth.AuthNone && slices.Contains(seen, grantClientCredentials) {
		// RFC 6749 section 4.4: only confidential clients use client_credentials.
		return store.Client{}, "", invalid("a public client (auth method none) cannot use the client_credentials grant")
	}
	if err := checkClientKeys(method, in.JWKS, in.JWKSURI, s.AllowInsecureJWKSURI); err != nil {
		return store.Client{}, "", err
	}
	secret, err := clientSecret(method, in.Secret)
	if err != nil {
		return store.Client{}, "", err
	}
	now := s.now()
	c := store.Client{ID: ids.New(ids.Client), Name: in.Name, TokenEndpointAuthMethod: method, GrantTypes: seen,
		JWKS: in.JWKS, JWKSURI: in.JWKSURI, Status: store.StatusActive,
		RefreshRotation: store.RotationRotate, RefreshLeeway: DefaultRefreshLeeway, CreatedAt: now, UpdatedAt: now}
	if err := applyRefreshSettings(&c, in.RefreshRotation, in.RefreshLeeway); err != nil {
		return store.Client{}, "", err
	}
	if secret != "" {
		c.SecretHash = s.Secrets.Hash(secret)
	}
	if method == oauth.AuthSecretJWT {
		// HS256 needs the secret itself: keep it sealed, bound to the client id.
		if s.Sealer == nil {
			return store.Client{}, "", errors.New("provision: no sealer configured for client_secret_jwt clients")
		}
		if c.SecretSealed, err = s.Sealer.Seal([]byte(secret), []byte(c.ID)); err != nil {
			return store.Client{}, "", fmt.Errorf("provision: seal client secret: %w", err)
		}
	}
	if err := s.Store.CreateClient(ctx, c); err != nil {
		return store.Client{}, "", fmt.Errorf("provision: create client: %w", err)
	}
	if !in.NoEveryone {
		// Like Okta's "Everyone" assignment: every user may log in to a new
		// client until an operator narrows its assignments.
		every, err := s.EnsureEveryone(ctx)
		if err != nil {
			return store.Client{}, "", err
		}
		if err := s.Store.AssignClient(ctx, c.ID, every.ID); err != nil {
			return store.Client{}, "", fmt.Errorf("provision: assign client: %w", err)
		}
	}
	return c, secret, nil
}

// grantClientCredentials is RFC 6749 section 4.4's grant type.
const grantClientCredentials = "client_credentials"

// clientSecret returns the secret a new client gets: the one given or a
// generated one (256 random bits) for the secret methods, none for the
// others.
func clientSecret(method, given string) (string, error) {
	switch method {
	case oauth.AuthNone, oauth.AuthPrivateKeyJWT:
		if given != "" {
			return "", invalid("a %s client has no client secret", method)
		}
		return "", nil
	}
	minLen := secrets.MinLength
	if method == oauth.AuthSecretJWT {
		minLen = MinJWTSecretLength
	}
	if given == "" {
		return ids.Secret(32), nil
	}
	if len(given) < minLen || len(given) > 256 {
		return "", invalid("a %s client secret must be %d to 256 characters", method, minLen)
	}
	return given, nil
}

// checkClientKeys validates the key set of a private_key_jwt client and
// refuses one for the other methods.
func checkClientKeys(method string, jwks []byte, jwksURI string, allowInsecure bool) error {
	if method != oauth.AuthPrivateKeyJWT {
		if len(jwks) > 0 || jwksURI != "" {
			return invalid("a JWKS or JWKS URI is only for private_key_jwt clients")
		}
		return nil
	}
	switch {
	case len(jwks) > 0 && jwksURI != "":
		return invalid("give a JWKS or a JWKS URI, not both")
	case len(jwks) > 0:
		if err := oauth.ValidateClientJWKS(jwks); err != nil {
			return invalid("JWKS: %v", err)
		}
	case jwksURI != "":
		if err := oauth.ValidateJWKSURI(jwksURI, allowInsecure); err != nil {
			return invalid("%v", err)
		}
	default:
		return invalid("a private_key_jwt client needs a JWKS or a JWKS URI")
	}
	return nil
}
