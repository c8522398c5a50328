package mgmtapi

import (
	"bytes"
	"encoding/json"
	"time"

	"github.com/latchkey/latchkey/internal/provision"
)

// appInput is the body of POST /api/v1/apps and PUT /api/v1/apps/{id}:
// Okta's OIDC app, of which Latchkey reads the fields below. Read-only
// fields that Okta's SDKs send back (id, status, _links, …) are ignored.
type appInput struct {
	Name        string `json:"name"`
	Label       string `json:"label"`
	SignOnMode  string `json:"signOnMode"`
	Credentials struct {
		OAuthClient struct {
			ClientID                string `json:"client_id"`
			ClientSecret            string `json:"client_secret"`
			TokenEndpointAuthMethod string `json:"token_endpoint_auth_method"`
		} `json:"oauthClient"`
	} `json:"credentials"`
	Settings struct {
		OAuthClient struct {
			GrantTypes   []string        `json:"grant_types"`
			JWKS         json.RawMessage `json:"jwks"`
			JWKSURI      string          `json:"jwks_uri"`
			RefreshToken *struct {
				RotationType string `json:"rotation_type"`
				Leeway       *int   `json:"leeway"`
			} `json:"refresh_token"`
		} `json:"oauthClient"`
	} `json:"settings"`
}

// check refuses what Latchkey cannot do as asked. id is the app being
// updated ("" on create).
func (in *appInput) check(id string) error {
	switch {
	case in.SignOnMode != "OPENID_CONNECT":
		return Validation("signOnMode", "signOnMode: Latchkey serves OpenID Connect apps only: signOnMode must be OPENID_CONNECT, not "+quoteClip(in.SignOnMode))
	case in.Name != "" && in.Name != "oidc_client":
		return Validation("name", "name: an OpenID Connect app's name is oidc_client, not "+quoteClip(in.Name))
	case in.Label == "":
		return Validation("label", "label: The field cannot be left blank")
	case id == "" && in.Credentials.OAuthClient.ClientID != "":
		return Validation("client_id", "client_id: Latchkey assigns client ids; leave it out")
	case id != "" && in.Credentials.OAuthClient.ClientID != "" && in.Credentials.OAuthClient.ClientID != id:
		return Validation("client_id", "client_id: cannot be changed")
	case id != "" && in.Credentials.OAuthClient.ClientSecret != "":
		return Validation("client_secret", "client_secret: change secrets with /api/v1/apps/"+clip(id, 64)+"/credentials/secrets")
	}
	return nil
}

func quoteClip(s string) string { return `"` + clip(s, 64) + `"` }

// keys returns the inline JWKS ({keys:[…]}) as given, or nil when absent.
func (in *appInput) keys() []byte {
	raw := bytes.TrimSpace(in.Settings.OAuthClient.JWKS)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return nil
	}
	return raw
}

// refresh returns the refresh token settings, if given.
func (in *appInput) refresh() (string, *time.Duration, error) {
	rt := in.Settings.OAuthClient.RefreshToken
	if rt == nil {
		return "", nil, nil
	}
	if rt.Leeway == nil {
		return rt.RotationType, nil, nil
	}
	if *rt.Leeway < 0 || *rt.Leeway > 60 {
		return "", nil, Validation("leeway", "leeway: must be 0 to 60 seconds")
	}
	d := time.Duration(*rt.Leeway) * time.Second
	return rt.RotationType, &d, nil
}

func (in *appInput) clientInput() (provision.ClientInput, error) {
	rotation, leeway, err := in.refresh()
	if err != nil {
		return provision.ClientInput{}, err
	}
	o := in.Settings.OAuthClient
	return provision.ClientInput{Name: in.Label, GrantTypes: o.GrantTypes, AuthMethod: in.Credentials.OAuthClient.TokenEndpointAuthMethod,
		Secret: in.Credentials.OAuthClient.ClientSecret, JWKS: in.keys(), JWKSURI: o.JWKSURI,
		RefreshRotation: rotation, RefreshLeeway: leeway}, nil
}

func (in *appInput) clientUpdate() (provision.ClientUpdate, error) {
	rotation, leeway, err := in.refresh()
	if err != nil {
		return provision.ClientUpdate{}, err
	}
	o := in.Settings.OAuthClient
	return provision.ClientUpdate{Name: in.Label, GrantTypes: o.GrantTypes, AuthMethod: in.Credentials.OAuthClient.TokenEndpointAuthMethod,
		JWKS: in.keys(), JWKSURI: o.JWKSURI, RefreshRotation: rotation, RefreshLeeway: leeway}, nil
}
