package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/latchkey/latchkey/internal/ids"
	"github.com/latchkey/latchkey/internal/provision"
	"github.com/latchkey/latchkey/internal/store"
)

// Demo is the ready-made client and user of `serve --dev`. Its secrets are
// kept in a 0600 file beside the dev database so that every restart can
// print the same working curl; nothing outside dev mode writes such a file.
type Demo struct {
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret"`
	Username     string `json:"username"`
	Password     string `json:"password"`
}

// DemoLogin is the demo user's login.
const DemoLogin = "demo@example.com"

// EnsureDemo returns the demo client and user recorded in path, creating
// them (and the file) when the file is missing or names records that are
// gone.
func (a *App) EnsureDemo(ctx context.Context, path string) (Demo, error) {
	if d, err := readDemo(path); err == nil {
		if a.demoValid(ctx, d) {
			return d, nil
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return Demo{}, err
	}
	d := Demo{Username: DemoLogin, Password: ids.Alnum(20)}
	c, secret, err := a.Provision.CreateClient(ctx, provision.ClientInput{Name: "Latchkey Demo App", GrantTypes: []string{"password", "refresh_token"}})
	if err != nil {
		return Demo{}, err
	}
	d.ClientID, d.ClientSecret = c.ID, secret
	u, err := a.Store.GetUserByLogin(ctx, DemoLogin)
	switch {
	case errors.Is(err, store.ErrNotFound):
		_, err = a.Provision.CreateUser(ctx, provision.UserInput{Login: DemoLogin, Email: DemoLogin, FirstName: "Demo", LastName: "User", Password: d.Password})
		if err != nil {
			return Demo{}, err
		}
	case err != nil:
		return Demo{}, err
	default:
		// The user exists but the file with its password is gone: set a new one.
		hash, err := a.Hasher.Hash(ctx, d.Password)
		if err != nil {
			return Demo{}, err
		}
		if _, err := a.Store.UpdateUser(ctx, u.ID, func(u store.User) (store.User, error) {
			u.PasswordHash, u.Status = hash, store.UserActive
			return u, nil
		}); err != nil {
			return Demo{}, err
		}
	}
	if err := writeDemo(path, d); err != nil {
		return Demo{}, err
	}
	return d, nil
}

func (a *App) demoValid(ctx context.Context, d Demo) bool {
	if _, err := a.Store.GetClient(ctx, d.ClientID); err != nil {
		return false
	}
	u, err := a.Store.GetUserByLogin(ctx, d.Username)
	if err != nil || u.Status != store.UserActive {
		return false
	}
	res, err := a.Hasher.Verify(ctx, u.PasswordHash, d.Password)
	return err == nil && res.OK
}

func readDemo(path string) (Demo, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Demo{}, err
	}
	var d Demo
	if err := json.Unmarshal(b, &d); err != nil {
		return Demo{}, fmt.Errorf("app: %s: %w", path, err)
	}
	return d, nil
}

func writeDemo(path string, d Demo) error {
	b, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
