package export

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/latchkey/latchkey/internal/password"
	"github.com/latchkey/latchkey/internal/store"
)

// User is one line of users.jsonl: Okta's user object, as import reads it.
type User struct {
	ID          string       `json:"id"`
	Status      string       `json:"status"`
	Created     time.Time    `json:"created"`
	Profile     Profile      `json:"profile"`
	Credentials *Credentials `json:"credentials,omitempty"`
}

// Profile is the user's profile in Okta's names.
type Profile struct {
	Login     string `json:"login"`
	Email     string `json:"email,omitempty"`
	FirstName string `json:"firstName,omitempty"`
	LastName  string `json:"lastName,omitempty"`
	Locale    string `json:"locale,omitempty"`
	ZoneInfo  string `json:"zoneInfo,omitempty"`
}

// Credentials holds the password hash.
type Credentials struct {
	Password struct {
		Hash password.OktaHash `json:"hash"`
	} `json:"password"`
}

// Group is one line of groups.jsonl, with its members' logins.
type Group struct {
	ID          string   `json:"id"`
	Name        string   `json:"name"`
	Description string   `json:"description,omitempty"`
	Type        string   `json:"type"`
	Members     []string `json:"members"`
}

// Client is one line of clients.jsonl. SecretHashes are the stored hashes
// of the client's ACTIVE secrets (keyed with the master key), never the
// secrets; a client_secret_jwt client's sealed secrets are left out, so
// such a client needs a new secret where it is imported.
type Client struct {
	ID                      string          `json:"id"`
	Name                    string          `json:"name"`
	Status                  string          `json:"status"`
	TokenEndpointAuthMethod string          `json:"token_endpoint_auth_method"`
	GrantTypes              []string        `json:"grant_types"`
	SecretHashes            []string        `json:"secret_hashes,omitempty"`
	JWKS                    json.RawMessage `json:"jwks,omitempty"`
	JWKSURI                 string          `json:"jwks_uri,omitempty"`
	RefreshRotation         string          `json:"refresh_rotation,omitempty"`
	RefreshLeewaySeconds    int             `json:"refresh_leeway_seconds"`
	Assigned                []string        `json:"assigned"` // user and group ids
}

// AuthServer is one line of authservers.jsonl: a server with everything
// that hangs off it except its keys.
type AuthServer struct {
	ID                  string            `json:"id"`
	Name                string            `json:"name"`
	Description         string            `json:"description,omitempty"`
	Audience            string            `json:"audience"`
	Status              string            `json:"status"`
	KeyRotationMode     string            `json:"key_rotation_mode,omitempty"`
	KeyRotationInterval string            `json:"key_rotation_interval,omitempty"`
	SigningAlg          string            `json:"signing_alg,omitempty"`
	Scopes              []store.Scope     `json:"scopes"`
	Claims              []store.Claim     `json:"claims"`
	Policies            []PolicyWithRules `json:"policies"`
}

// PolicyWithRules is a policy and its rules, in priority order.
type PolicyWithRules struct {
	store.Policy
	Rules []store.PolicyRule `json:"rules"`
}

// Counts says how many records of each kind Write wrote.
type Counts struct {
	Users, Groups, Clients, AuthServers int
}

// Files are the names Write gives its files in the directory.
const (
	UsersFile       = "users.jsonl"
	GroupsFile      = "groups.jsonl"
	ClientsFile     = "clients.jsonl"
	AuthServersFile = "authservers.jsonl"
)

// Write writes every kind of record into dir (created if missing), one
// file per kind, each file written whole or not at all.
func Write(ctx context.Context, st store.Store, dir string) (Counts, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return Counts{}, err
	}
	var c Counts
	steps := []struct {
		name string
		n    *int
		fn   func(context.Context, store.Store, io.Writer) (int, error)
	}{
		{UsersFile, &c.Users, Users},
		{GroupsFile, &c.Groups, Groups},
		{ClientsFile, &c.Clients, Clients},
		{AuthServersFile, &c.AuthServers, AuthServers},
	}
	for _, s := range steps {
		n, err := writeFile(filepath.Join(dir, s.name), func(w io.Writer) (int, error) { return s.fn(ctx, st, w) })
		if err != nil {
			return c, fmt.Errorf("export %s: %w", s.name, err)
		}
		*s.n = n
	}
	return c, nil
}

// writeFile writes through a temporary file renamed into place. Files hold
// password hashes: only the owner may read them.
func writeFile(path string, fn func(io.Writer) (int, error)) (int, error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return 0, err
	}
	defer os.Remove(f.Name())
	bw := bufio.NewWriter(f)
	n, err := fn(bw)
	if err == nil {
		err = bw.Flush()
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return 0, err
	}
	return n, os.Rename(f.Name(), path)
}

func encoder(w io.Writer) *json.Encoder {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc
}

// pages calls fn with each page of a list until one comes back short.
func pages[T any](ctx context.Context, list func(context.Context, store.Page) ([]T, error), key func(T) string, fn func(T) error) error {
	p := store.Page{Limit: 500}
	for {
		recs, err := list(ctx, p)
		if err != nil {
			return err
		}
		for _, r := range recs {
			if err := fn(r); err != nil {
				return err
			}
		}
		if len(recs) < p.Limit {
			return nil
		}
		p.After = key(recs[len(recs)-1])
	}
}

// Users writes every user as a JSON line import reads back.
func Users(ctx context.Context, st store.Store, w io.Writer) (int, error) {
	enc, n := encoder(w), 0
	err := pages(ctx, st.ListUsers, func(u store.User) string { return u.ID }, func(u store.User) error {
		out := User{ID: u.ID, Status: u.Status, Created: u.CreatedAt.UTC(), Profile: Profile{Login: u.Login, Email: u.Email,
			FirstName: u.FirstName, LastName: u.LastName, Locale: u.Locale, ZoneInfo: u.ZoneInfo}}
		if u.PasswordHash != "" {
			h, err := password.ToOktaHash(u.PasswordHash)
			if err != nil {
				return fmt.Errorf("user %s: password hash: %w", u.ID, err)
			}
			out.Credentials = &Credentials{}
			out.Credentials.Password.Hash = h
		}
		n++
		return enc.Encode(out)
	})
	return n, err
}

// Groups writes every group with its members' logins.
func Groups(ctx context.Context, st store.Store, w io.Writer) (int, error) {
	enc, n := encoder(w), 0
	logins := map[string]string{}
	err := pages(ctx, st.ListGroups, func(g store.Group) string { return g.ID }, func(g store.Group) error {
		out := Group{ID: g.ID, Name: g.Name, Description: g.Description, Type: g.Type, Members: []string{}}
		err := pages(ctx, func(ctx context.Context, p store.Page) ([]string, error) { return st.ListGroupMembers(ctx, g.ID, p) },
			func(id string) string { return id }, func(id string) error {
				login, ok := logins[id]
				if !ok {
					u, err := st.GetUser(ctx, id)
					if err != nil {
						return err
					}
					login, logins[id] = u.Login, u.Login
				}
				out.Members = append(out.Members, login)
				return nil
			})
		if err != nil {
			return fmt.Errorf("group %s: %w", g.ID, err)
		}
		n++
		return enc.Encode(out)
	})
	return n, err
}

// Clients writes every client without its secret.
func Clients(ctx context.Context, st store.Store, w io.Writer) (int, error) {
	enc, n := encoder(w), 0
	err := pages(ctx, st.ListClients, func(c store.Client) string { return c.ID }, func(c store.Client) error {
		assigned, err := st.ListClientAssignments(ctx, c.ID)
		if err != nil {
			return fmt.Errorf("client %s: %w", c.ID, err)
		}
		secrets, err := st.ListClientSecrets(ctx, c.ID)
		if err != nil {
			return fmt.Errorf("client %s: %w", c.ID, err)
		}
		out := Client{ID: c.ID, Name: c.Name, Status: c.Status, TokenEndpointAuthMethod: c.TokenEndpointAuthMethod,
			GrantTypes: c.GrantTypes, JWKSURI: c.JWKSURI, RefreshRotation: c.RefreshRotation,
			RefreshLeewaySeconds: int(c.RefreshLeeway / time.Second), Assigned: append([]string{}, assigned...)}
		for _, cs := range secrets {
			if cs.Status == store.StatusActive {
				out.SecretHashes = append(out.SecretHashes, cs.Hash)
			}
		}
		if len(c.JWKS) > 0 && json.Valid(c.JWKS) {
			out.JWKS = c.JWKS
		}
		n++
		return enc.Encode(out)
	})
	return n, err
}

// AuthServers writes every authorization server with its scopes, claims,
// policies and rules.
func AuthServers(ctx context.Context, st store.Store, w io.Writer) (int, error) {
	servers, err := st.ListAuthServers(ctx)
	if err != nil {
		return 0, err
	}
	enc := json.NewEncoder(w)
	for _, a := range servers {
		out := AuthServer{ID: a.ID, Name: a.Name, Description: a.Description, Audience: a.Audience, Status: a.Status,
			KeyRotationMode: a.KeyRotationMode, SigningAlg: a.SigningAlg}
		if a.KeyRotationInterval > 0 {
			out.KeyRotationInterval = a.KeyRotationInterval.String()
		}
		if out.Scopes, err = st.ListScopes(ctx, a.ID); err != nil {
			return 0, err
		}
		if out.Claims, err = st.ListClaims(ctx, a.ID); err != nil {
			return 0, err
		}
		policies, err := st.ListPolicies(ctx, a.ID)
		if err != nil {
			return 0, err
		}
		for _, p := range policies {
			rules, err := st.ListRules(ctx, p.ID)
			if err != nil {
				return 0, err
			}
			out.Policies = append(out.Policies, PolicyWithRules{Policy: p, Rules: rules})
		}
		if err := enc.Encode(out); err != nil {
			return 0, err
		}
	}
	return len(servers), nil
}
