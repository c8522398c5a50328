// Package provision creates the records an operator manages — users,
// clients, authorization servers — with the same validation whether the
// request comes from the CLI, the dev bootstrap or the management API.
package provision

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/keys"
	"github.com/latchkey/latchkey/internal/oauth"
	"github.com/latchkey/latchkey/internal/password"
	"github.com/latchkey/latchkey/internal/policy"
	"github.com/latchkey/latchkey/internal/secrets"
	"github.com/latchkey/latchkey/internal/store"
)

// Service provisions records. Its fields are set once.
type Service struct {
	Store   store.Store
	Hasher  *password.Hasher
	Secrets *secrets.Hasher
	Keys    *keys.Manager
	Now     func() time.Time
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

// EnsureDefaultServer creates the "default" authorization server (audience
// api://default) and its signing key if they are missing.
func (s *Service) EnsureDefaultServer(ctx context.Context) error {
	now := s.now()
	err := s.Store.CreateAuthServer(ctx, store.AuthServer{ID: DefaultServerID, Name: "default",
		Description: "Default Authorization Server", Audience: "api://default", Status: store.StatusActive,
		CreatedAt: now, UpdatedAt: now})
	if err != nil && !errors.Is(err, store.ErrConflict) {
		return fmt.Errorf("provision: default authorization server: %w", err)
	}
	if err := s.Keys.Ensure(ctx, DefaultServerID); err != nil {
		return fmt.Errorf("provision: default server key: %w", err)
	}
	return nil
}

// UserInput is a new user's profile and password.
type UserInput struct {
	Login     string
	Email     string
	FirstName string
	LastName  string
	Password  string
	// PasswordHash is an already encoded hash (argon2id or bcrypt) used
	// instead of Password, for imports.
	PasswordHash string
	// Status defaults to ACTIVE.
	Status string
}

// MaxProfileLength bounds every profile string.
const MaxProfileLength = 100

// CreateUser validates and stores a new user; the password is hashed.
func (s *Service) CreateUser(ctx context.Context, in UserInput) (store.User, error) {
	in.Login = strings.TrimSpace(in.Login)
	if in.Login == "" {
		return store.User{}, invalid("login is required")
	}
	for name, v := range map[string]string{"login": in.Login, "email": in.Email, "firstName": in.FirstName, "lastName": in.LastName} {
		if utf8.RuneCountInString(v) > MaxProfileLength || !utf8.ValidString(v) || strings.ContainsAny(v, "\x00\r\n") {
			return store.User{}, invalid("%s must be valid text of at most %d characters", name, MaxProfileLength)
		}
	}
	if in.Email != "" {
		if a, err := mail.ParseAddress(in.Email); err != nil || a.Address != in.Email {
			return store.User{}, invalid("email %q is not an email address", in.Email)
		}
	}
	status := in.Status
	if status == "" {
		status = store.UserActive
	}
	if !slices.Contains([]string{store.UserStaged, store.UserProvisioned, store.UserActive, store.UserRecovery, store.UserLockedOut,
		store.UserPasswordExpired, store.UserSuspended, store.UserDeprovisioned}, status) {
		return store.User{}, invalid("unknown status %q", status)
	}
	var hash string
	switch {
	case in.PasswordHash != "" && in.Password != "":
		return store.User{}, invalid("give a password or a password hash, not both")
	case in.PasswordHash != "":
		hash = in.PasswordHash
	case in.Password != "":
		if len(in.Password) < 8 {
			return store.User{}, invalid("password must be at least 8 characters")
		}
		h, err := s.Hasher.Hash(ctx, in.Password)
		if err != nil {
			return store.User{}, fmt.Errorf("provision: hash password: %w", err)
		}
		hash = h
	}
	now := s.now()
	u := store.User{ID: ids.New(ids.User), Status: status, Login: in.Login, Email: in.Email, FirstName: in.FirstName,
		LastName: in.LastName, PasswordHash: hash, CreatedAt: now, UpdatedAt: now}
	if hash != "" {
		u.PasswordChangedAt = now
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
	// secrets.MinLength characters).
	Secret string
}

// CreateClient validates and stores a new confidential client. It returns
// the client and its secret, which is shown this once and stored only as a
// hash.
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
	secret := in.Secret
	if secret == "" {
		secret = ids.Secret(32)
	} else if len(secret) < secrets.MinLength || len(secret) > 256 {
		return store.Client{}, "", invalid("client secret must be %d to 256 characters", secrets.MinLength)
	}
	now := s.now()
	c := store.Client{ID: ids.New(ids.Client), Name: in.Name, SecretHash: s.Secrets.Hash(secret),
		TokenEndpointAuthMethod: method, GrantTypes: seen, Status: store.StatusActive, CreatedAt: now, UpdatedAt: now}
	if err := s.Store.CreateClient(ctx, c); err != nil {
		return store.Client{}, "", fmt.Errorf("provision: create client: %w", err)
	}
	return c, secret, nil
}
