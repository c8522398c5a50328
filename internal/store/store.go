package store

import (
	"context"
	"errors"
	"time"
)

// Sentinel errors every backend returns (wrapped or not); compare with errors.Is.
var (
	// ErrNotFound means no record has the requested key.
	ErrNotFound = errors.New("store: not found")
	// ErrConflict means a record with the same unique key already exists, or a
	// compare-and-swap lost its race.
	ErrConflict = errors.New("store: conflict")
)

// User statuses, as Okta names them (CONTRACT section 8). Only StatusActive
// users get tokens.
const (
	UserStaged          = "STAGED"
	UserProvisioned     = "PROVISIONED"
	UserActive          = "ACTIVE"
	UserRecovery        = "RECOVERY"
	UserLockedOut       = "LOCKED_OUT"
	UserPasswordExpired = "PASSWORD_EXPIRED"
	UserSuspended       = "SUSPENDED"
	UserDeprovisioned   = "DEPROVISIONED"
)

// Client and authorization-server statuses.
const (
	StatusActive   = "ACTIVE"
	StatusInactive = "INACTIVE"
)

// Signing key states (CONTRACT section 6).
const (
	KeyActive  = "ACTIVE"
	KeyNext    = "NEXT"
	KeyExpired = "EXPIRED"
)

// AuthServer is a custom authorization server: its own issuer
// ({base}/oauth2/{id}), audience and keys.
type AuthServer struct {
	ID          string // "default" or "aus…"
	Name        string
	Description string
	Audience    string // the access token's aud, e.g. "api://default"
	Status      string // StatusActive or StatusInactive
	// KeyRotationMode is RotationAuto (keys rotate every
	// KeyRotationInterval) or RotationManual (only when forced).
	KeyRotationMode     string
	KeyRotationInterval time.Duration // 0 means the default of 90 days
	// SigningAlg is the algorithm of the keys generated for the server:
	// AlgRS256 (the default, also when empty), AlgES256 or AlgEdDSA. Each
	// key keeps the algorithm it was made with (SigningKey.Alg).
	SigningAlg string
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// Signing algorithms an authorization server may use (RFC 7518 names;
// EdDSA is RFC 8037's, with Ed25519 keys).
const (
	AlgRS256 = "RS256"
	AlgES256 = "ES256"
	AlgEdDSA = "EdDSA"
)

// SigningAlgs lists the algorithms an authorization server may sign with.
var SigningAlgs = []string{AlgRS256, AlgES256, AlgEdDSA}

// Key rotation modes of an authorization server.
const (
	RotationAuto   = "AUTO"
	RotationManual = "MANUAL"
)

// OrgServerID is the id under which the org authorization server (issuer
// {base}, endpoints {base}/oauth2/v1/…) keeps its record and keys. It is not
// reachable as a custom server at /oauth2/org/….
const OrgServerID = "org"

// Client is an OAuth 2.0 client (an Okta OIDC app).
type Client struct {
	ID   string // "0oa…"
	Name string
	// TokenEndpointAuthMethod is client_secret_basic, client_secret_post, … .
	TokenEndpointAuthMethod string
	GrantTypes              []string // e.g. ["password", "refresh_token"]
	Status                  string   // StatusActive or StatusInactive
	// The client's secrets are records of their own (ClientSecrets).
	// JWKS (inline JSON) or JWKSURI hold the client's public keys for
	// private_key_jwt.
	JWKS    []byte
	JWKSURI string
	// RefreshRotation is RotationRotate or RotationStatic.
	RefreshRotation string
	// RefreshLeeway is how long a rotated refresh token may still be used
	// (0 to 60 seconds), so that a retry is served and not punished.
	RefreshLeeway time.Duration
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// Refresh token rotation of a client (CONTRACT section 4).
const (
	RotationRotate = "ROTATE"
	RotationStatic = "STATIC"
)

// User is a person who logs in with a password.
type User struct {
	ID     string // "00u…"
	Status string // one of the User* statuses
	// Login is unique as NormalizeLogin compares it (RFC 8265 PRECIS:
	// case, width and composition variants are one login).
	Login             string
	Email             string
	EmailVerified     bool
	FirstName         string
	LastName          string
	Locale            string
	ZoneInfo          string
	PasswordHash      string // encoded hash (package password); never the password
	PasswordChangedAt time.Time
	CreatedAt         time.Time
	UpdatedAt         time.Time
	LastLoginAt       time.Time // zero until the first successful login
	// StatusChangedAt is when Status last changed (zero if it never did
	// since the user was created); the store sets it to UpdatedAt on an
	// update that changes the status and leaves it alone.
	StatusChangedAt time.Time
	// ActivatedAt is when the user was last activated (created active, or
	// by Okta's activate); zero if never.
	ActivatedAt time.Time
	// TokensValidAfter is the user's token watermark: tokens issued before
	// it are dead whatever the status says (see HoldsTokenIssuedAt). It only
	// moves forward; RevokeUserTokens sets it.
	TokensValidAfter time.Time
}

// HoldsTokens reports whether the user's tokens stay good: an ACTIVE user's,
// and a LOCKED_OUT user's. A lockout stops password logins from where the
// failures came (package guard), while the user may still log in from a
// source known before; what a lockout does to tokens issued before it is
// decided when it happens, not by this status.
func (u User) HoldsTokens() bool {
	return u.Status == UserActive || u.Status == UserLockedOut
}

// SigningKey is one key of an authorization server. The private part is
// stored only sealed with the master key (package keys).
type SigningKey struct {
	ID            string // the JWK "kid"
	AuthServerID  string
	Alg           string // AlgRS256, AlgES256 or AlgEdDSA; never changes
	Status        string // KeyActive, KeyNext or KeyExpired
	PublicJWK     []byte // the public JWK as JSON
	PrivateSealed []byte // the private key, encrypted at rest
	CreatedAt     time.Time
	// ActivatedAt is when the key started signing; zero while NEXT.
	ActivatedAt time.Time
	// ExpiredAt is when the key stopped signing; zero unless EXPIRED.
	ExpiredAt time.Time
}

// Page asks for one page of a list ordered by id: records with an id greater
// than After, at most Limit of them (Limit <= 0 means the backend's default of 200).
type Page struct {
	After string
	Limit int
}

// Store is the persistence contract. Methods take ctx first and pass records
// by value; a returned record is the caller's to keep. Every method is safe
// for concurrent use, including from several processes sharing one database.
type Store interface {
	// Ping reports whether the store can serve requests.
	Ping(ctx context.Context) error
	// Close releases the store's resources.
	Close() error

	AuthServers
	Clients
	Users
	UserImports
	UserSearch
	UserLifecycle
	PasswordHistory
	Keys
	Tokens
	Policies
	Directory
	LoginCounters
	Events
	Meta
	Export
	APITokens
	ClientGrants
	ClientSecrets
	Factors
}

// AuthServers stores authorization servers.
type AuthServers interface {
	// CreateAuthServer stores a new authorization server; ErrConflict if the id exists.
	CreateAuthServer(ctx context.Context, a AuthServer) error
	GetAuthServer(ctx context.Context, id string) (AuthServer, error)
	ListAuthServers(ctx context.Context) ([]AuthServer, error)
	// UpdateAuthServer runs fn on the current record inside a transaction
	// and stores what it returns (the id cannot change).
	UpdateAuthServer(ctx context.Context, id string, fn func(AuthServer) (AuthServer, error)) (AuthServer, error)
	// DeleteAuthServer removes the server with everything that is its
	// own, in one transaction: scopes, claims, policies and their rules,
	// signing keys and refresh tokens. ErrNotFound if there is no such
	// server. Callers decide which servers may go (the service layer keeps
	// the org and default servers).
	DeleteAuthServer(ctx context.Context, id string) error
}

// Clients stores OAuth clients.
type Clients interface {
	// CreateClient stores a new client; ErrConflict if the id exists.
	CreateClient(ctx context.Context, c Client) error
	GetClient(ctx context.Context, id string) (Client, error)
	ListClients(ctx context.Context, p Page) ([]Client, error)
	// UpdateClient runs fn on the current record inside a transaction and
	// stores what it returns (the id cannot change). An error from fn aborts
	// the update and is returned as is.
	UpdateClient(ctx context.Context, id string, fn func(Client) (Client, error)) (Client, error)
	// DeleteClient removes a client with its secrets, its user and group
	// assignments and its grants, in one transaction; ErrNotFound if it is
	// missing. Its tokens stay recorded but are no longer active: every
	// check of a token looks its client up.
	DeleteClient(ctx context.Context, id string) error
}

// Users stores users.
type Users interface {
	// CreateUser stores a new user; ErrConflict if the id or the login
	// (as NormalizeLogin compares it) exists.
	CreateUser(ctx context.Context, u User) error
	GetUser(ctx context.Context, id string) (User, error)
	// GetUserByLogin finds a user by login, as NormalizeLogin compares it.
	GetUserByLogin(ctx context.Context, login string) (User, error)
	ListUsers(ctx context.Context, p Page) ([]User, error)
	// UpdateUser is UpdateClient for users; a changed login must stay unique
	// (ErrConflict otherwise).
	UpdateUser(ctx context.Context, id string, fn func(User) (User, error)) (User, error)
}

// Keys stores signing keys.
type Keys interface {
	// CreateKey stores a new signing key; ErrConflict if the kid exists.
	CreateKey(ctx context.Context, k SigningKey) error
	// ListKeys returns the authorization server's keys, newest first.
	ListKeys(ctx context.Context, authServerID string) ([]SigningKey, error)
	// UpdateKeys runs fn on all keys of the authorization server inside one
	// transaction and stores the keys it returns: records with a known kid are
	// updated, new ones created. This is how rotation changes several key
	// states atomically, even when two instances rotate at once.
	UpdateKeys(ctx context.Context, authServerID string, fn func([]SigningKey) ([]SigningKey, error)) ([]SigningKey, error)
	// DeleteKey removes a key (an EXPIRED key whose tokens have all expired).
	DeleteKey(ctx context.Context, authServerID, kid string) error
}
