package provision

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/oauth"
	"github.com/latchkey/latchkey/internal/store"
)

// MaxClientSecrets is how many secrets a client may hold at once (Okta's
// limit): two, so that a leaked one can be replaced without downtime.
const MaxClientSecrets = 2

// usesSecret reports whether a client of method authenticates with a
// client secret.
func usesSecret(method string) bool {
	return method == oauth.AuthSecretBasic || method == oauth.AuthSecretPost || method == oauth.AuthSecretJWT || method == ""
}

// newSecretRecord is the stored form of a new secret of c: its keyed hash
// and, for client_secret_jwt, the value sealed with the master key and
// bound to the client id (HS256 needs the secret itself).
func (s *Service) newSecretRecord(c store.Client, secret string, now time.Time) (store.ClientSecret, error) {
	cs := store.ClientSecret{ID: ids.New(ids.ClientSecret), ClientID: c.ID, Status: store.StatusActive,
		Hash: s.Secrets.Hash(secret), CreatedAt: now, UpdatedAt: now}
	if c.TokenEndpointAuthMethod == oauth.AuthSecretJWT {
		if s.Sealer == nil {
			return store.ClientSecret{}, errors.New("provision: no sealer configured for client_secret_jwt clients")
		}
		var err error
		if cs.Sealed, err = s.Sealer.Seal([]byte(secret), []byte(c.ID)); err != nil {
			return store.ClientSecret{}, fmt.Errorf("provision: seal client secret: %w", err)
		}
	}
	return cs, nil
}

// ClientUpdate is a client's new settings (a whole replacement, as Okta's
// PUT /api/v1/apps/{id}): what is left empty takes CreateClient's default.
type ClientUpdate struct {
	Name            string
	GrantTypes      []string
	AuthMethod      string
	JWKS            []byte
	JWKSURI         string
	RefreshRotation string
	// RefreshLeeway nil keeps the current leeway.
	RefreshLeeway *time.Duration
}

// UpdateClient replaces a client's settings, validated as CreateClient
// validates them. Changing the auth method:
//   - from a secret method to none or private_key_jwt deletes the client's
//     secrets (they would authenticate nothing);
//   - to a secret method from none or private_key_jwt, or to
//     client_secret_jwt from a method whose secrets are not kept sealed,
//     replaces them with one generated secret, returned (shown this once);
//   - between client_secret_basic and client_secret_post, or from
//     client_secret_jwt to either, keeps them.
//
// store.ErrNotFound if the client is missing.
func (s *Service) UpdateClient(ctx context.Context, id string, in ClientUpdate) (store.Client, string, error) {
	if err := checkClientName(in.Name); err != nil {
		return store.Client{}, "", err
	}
	grants, method, err := s.checkClientSettings(in.GrantTypes, in.AuthMethod, in.JWKS, in.JWKSURI)
	if err != nil {
		return store.Client{}, "", err
	}
	now := s.now()
	var before store.Client
	c, err := s.Store.UpdateClient(ctx, id, func(c store.Client) (store.Client, error) {
		before = c
		c.Name, c.GrantTypes, c.TokenEndpointAuthMethod = in.Name, grants, method
		c.JWKS, c.JWKSURI = in.JWKS, in.JWKSURI
		if in.RefreshRotation == "" {
			c.RefreshRotation = store.RotationRotate
		}
		if err := applyRefreshSettings(&c, in.RefreshRotation, in.RefreshLeeway); err != nil {
			return store.Client{}, err
		}
		c.UpdatedAt = now
		return c, nil
	})
	if err != nil {
		return store.Client{}, "", fmt.Errorf("provision: update client %s: %w", id, err)
	}
	secret, err := s.rekeyForMethod(ctx, before, c, now)
	if err != nil {
		return store.Client{}, "", err
	}
	return c, secret, nil
}

// rekeyForMethod brings a client's secrets in line with its new auth
// method (see UpdateClient) and returns a new secret's value, if any.
func (s *Service) rekeyForMethod(ctx context.Context, before, c store.Client, now time.Time) (string, error) {
	oldMethod, method := configuredMethod(before), configuredMethod(c)
	if oldMethod == method {
		return "", nil
	}
	var secret string
	_, err := s.Store.UpdateClientSecrets(ctx, c.ID, func(old []store.ClientSecret) ([]store.ClientSecret, error) {
		switch {
		case !usesSecret(method):
			return nil, nil
		case method == oauth.AuthSecretJWT || !usesSecret(oldMethod):
			secret = ids.Secret(32)
			cs, err := s.newSecretRecord(c, secret, now)
			if err != nil {
				return nil, err
			}
			return []store.ClientSecret{cs}, nil
		default: // basic <-> post, jwt -> basic or post: the secrets stay
			for i := range old {
				old[i].Sealed = nil
			}
			return old, nil
		}
	})
	if err != nil {
		return "", fmt.Errorf("provision: update secrets of client %s: %w", c.ID, err)
	}
	return secret, nil
}

func configuredMethod(c store.Client) string {
	if c.TokenEndpointAuthMethod == "" {
		return oauth.AuthSecretBasic
	}
	return c.TokenEndpointAuthMethod
}

// ErrClientState is a lifecycle operation the client's status refuses (an
// ACTIVE client deleted): it wraps ErrInvalid.
var ErrClientState = fmt.Errorf("%w: client state", ErrInvalid)

// ActivateClient makes a client ACTIVE: it may authenticate again, and the
// tokens it was issued that have not expired are active again (as Okta).
// Activating an ACTIVE client does nothing.
func (s *Service) ActivateClient(ctx context.Context, id string) (store.Client, error) {
	return s.setClientStatus(ctx, id, store.StatusActive)
}

// DeactivateClient makes a client INACTIVE: it can no longer authenticate,
// and introspection, userinfo and the management API treat the tokens it
// was issued as inactive. Deactivating an INACTIVE client does nothing.
func (s *Service) DeactivateClient(ctx context.Context, id string) (store.Client, error) {
	return s.setClientStatus(ctx, id, store.StatusInactive)
}

func (s *Service) setClientStatus(ctx context.Context, id, status string) (store.Client, error) {
	now := s.now()
	c, err := s.Store.UpdateClient(ctx, id, func(c store.Client) (store.Client, error) {
		if c.Status != status {
			c.Status, c.UpdatedAt = status, now
		}
		return c, nil
	})
	if err != nil {
		return store.Client{}, fmt.Errorf("provision: set client %s %s: %w", id, status, err)
	}
	return c, nil
}

// DeleteClient deletes an INACTIVE client with its secrets, assignments
// and grants; its tokens are no longer active. An ACTIVE client is refused
// (ErrClientState): deactivate it first, as Okta requires.
func (s *Service) DeleteClient(ctx context.Context, id string) error {
	c, err := s.Store.GetClient(ctx, id)
	if err != nil {
		return fmt.Errorf("provision: delete client %s: %w", id, err)
	}
	if c.Status != store.StatusInactive {
		return fmt.Errorf("%w: the client is %s; deactivate it first", ErrClientState, c.Status)
	}
	if err := s.Store.DeleteClient(ctx, id); err != nil {
		return fmt.Errorf("provision: delete client %s: %w", id, err)
	}
	return nil
}

// ErrSecretState is a secret operation the client's secrets refuse (a
// third secret, the last ACTIVE one deactivated, an ACTIVE one deleted):
// it wraps ErrInvalid.
var ErrSecretState = fmt.Errorf("%w: client secret state", ErrInvalid)

// CreateClientSecret adds an ACTIVE secret to a client that authenticates
// with one, up to MaxClientSecrets, and returns it with its value, shown
// this once. value is used when set (validated as CreateClient validates
// a given secret), else one is generated.
func (s *Service) CreateClientSecret(ctx context.Context, clientID, value string) (store.ClientSecret, string, error) {
	c, err := s.Store.GetClient(ctx, clientID)
	if err != nil {
		return store.ClientSecret{}, "", fmt.Errorf("provision: client %s: %w", clientID, err)
	}
	method := configuredMethod(c)
	if !usesSecret(method) {
		return store.ClientSecret{}, "", fmt.Errorf("%w: a %s client has no client secret", ErrSecretState, method)
	}
	secret, err := clientSecret(method, value)
	if err != nil {
		return store.ClientSecret{}, "", err
	}
	cs, err := s.newSecretRecord(c, secret, s.now())
	if err != nil {
		return store.ClientSecret{}, "", err
	}
	_, err = s.Store.UpdateClientSecrets(ctx, clientID, func(old []store.ClientSecret) ([]store.ClientSecret, error) {
		if len(old) >= MaxClientSecrets {
			return nil, fmt.Errorf("%w: the client already has %d secrets, the most it may hold; delete one first", ErrSecretState, len(old))
		}
		return append(old, cs), nil
	})
	if err != nil {
		return store.ClientSecret{}, "", wrapSecretErr(clientID, err)
	}
	return cs, secret, nil
}

// ActivateClientSecret makes a secret ACTIVE; an ACTIVE one stays so.
func (s *Service) ActivateClientSecret(ctx context.Context, clientID, secretID string) (store.ClientSecret, error) {
	return s.setSecretStatus(ctx, clientID, secretID, store.StatusActive)
}

// DeactivateClientSecret makes a secret INACTIVE: it no longer
// authenticates the client. The client's last ACTIVE secret is refused
// (ErrSecretState): create another one first.
func (s *Service) DeactivateClientSecret(ctx context.Context, clientID, secretID string) (store.ClientSecret, error) {
	return s.setSecretStatus(ctx, clientID, secretID, store.StatusInactive)
}

func (s *Service) setSecretStatus(ctx context.Context, clientID, secretID, status string) (store.ClientSecret, error) {
	now := s.now()
	var out store.ClientSecret
	_, err := s.Store.UpdateClientSecrets(ctx, clientID, func(old []store.ClientSecret) ([]store.ClientSecret, error) {
		i := slices.IndexFunc(old, func(cs store.ClientSecret) bool { return cs.ID == secretID })
		if i < 0 {
			return nil, fmt.Errorf("secret %s: %w", secretID, store.ErrNotFound)
		}
		if old[i].Status == status {
			out = old[i]
			return old, nil
		}
		if status == store.StatusInactive && activeSecrets(old) == 1 {
			return nil, fmt.Errorf("%w: this is the client's only ACTIVE secret; create and activate another one first", ErrSecretState)
		}
		old[i].Status, old[i].UpdatedAt = status, now
		out = old[i]
		return old, nil
	})
	if err != nil {
		return store.ClientSecret{}, wrapSecretErr(clientID, err)
	}
	return out, nil
}

// DeleteClientSecret deletes an INACTIVE secret; an ACTIVE one is refused
// (ErrSecretState): deactivate it first.
func (s *Service) DeleteClientSecret(ctx context.Context, clientID, secretID string) error {
	_, err := s.Store.UpdateClientSecrets(ctx, clientID, func(old []store.ClientSecret) ([]store.ClientSecret, error) {
		i := slices.IndexFunc(old, func(cs store.ClientSecret) bool { return cs.ID == secretID })
		if i < 0 {
			return nil, fmt.Errorf("secret %s: %w", secretID, store.ErrNotFound)
		}
		if old[i].Status != store.StatusInactive {
			return nil, fmt.Errorf("%w: the secret is ACTIVE; deactivate it first", ErrSecretState)
		}
		return slices.Delete(old, i, i+1), nil
	})
	return wrapSecretErr(clientID, err)
}

func activeSecrets(all []store.ClientSecret) int {
	n := 0
	for _, cs := range all {
		if cs.Status == store.StatusActive {
			n++
		}
	}
	return n
}

func wrapSecretErr(clientID string, err error) error {
	if err == nil || errors.Is(err, ErrInvalid) {
		return err
	}
	return fmt.Errorf("provision: secrets of client %s: %w", clientID, err)
}

// AssignClient assigns a user or group (by id) to a client; idempotent.
// store.ErrNotFound if the client, or a user or group of that id, is
// missing.
func (s *Service) AssignClient(ctx context.Context, clientID, principalID string) error {
	if err := s.Store.AssignClient(ctx, clientID, principalID); err != nil {
		return fmt.Errorf("provision: assign %s to client %s: %w", principalID, clientID, err)
	}
	return nil
}

// UnassignClient removes an assignment; idempotent.
func (s *Service) UnassignClient(ctx context.Context, clientID, principalID string) error {
	if err := s.Store.UnassignClient(ctx, clientID, principalID); err != nil {
		return fmt.Errorf("provision: unassign %s from client %s: %w", principalID, clientID, err)
	}
	return nil
}
