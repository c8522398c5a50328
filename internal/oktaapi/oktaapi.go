// Package oktaapi renders Latchkey's records in the JSON shapes of Okta's
// management API (users, OIDC apps), shared by the CLI's --json output and
// the management API so that scripts written for Okta read them unchanged.
package oktaapi

import (
	"encoding/json"
	"time"

	"github.com/latchkey/latchkey/internal/store"
)

// User is Okta's user object.
type User struct {
	ID              string          `json:"id"`
	Status          string          `json:"status"`
	Created         time.Time       `json:"created"`
	Activated       *time.Time      `json:"activated"`
	StatusChanged   *time.Time      `json:"statusChanged"`
	LastLogin       *time.Time      `json:"lastLogin"`
	LastUpdated     time.Time       `json:"lastUpdated"`
	PasswordChanged *time.Time      `json:"passwordChanged"`
	Profile         UserProfile     `json:"profile"`
	Credentials     UserCredentials `json:"credentials"`
	// Links is _links: the management API sets it (UserLinks); the CLI
	// leaves it out.
	Links Links `json:"_links,omitempty"`
}

// UserCredentials is Okta's credentials object of a user: password is
// present (and empty: no secret ever leaves) when the user has one.
type UserCredentials struct {
	Password *struct{}    `json:"password,omitempty"`
	Provider UserProvider `json:"provider"`
}

// UserProvider is the authentication provider of a user's credentials:
// always Okta's own directory (OKTA), which Latchkey stands for.
type UserProvider struct {
	Type string `json:"type"`
	Name string `json:"name"`
}

// Link is one entry of _links.
type Link struct {
	Href   string `json:"href"`
	Method string `json:"method,omitempty"`
}

// Links is an object's _links.
type Links map[string]Link

// UserProfile is the profile of an Okta user.
type UserProfile struct {
	Login     string `json:"login"`
	Email     string `json:"email,omitempty"`
	FirstName string `json:"firstName,omitempty"`
	LastName  string `json:"lastName,omitempty"`
	Locale    string `json:"locale,omitempty"`
	ZoneInfo  string `json:"zoneInfo,omitempty"`
}

func opt(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

// FromUser renders a user; the password hash never leaves the store.
func FromUser(u store.User) User {
	return User{ID: u.ID, Status: u.Status, Created: u.CreatedAt.UTC(), Activated: opt(u.ActivatedAt), StatusChanged: opt(u.StatusChangedAt),
		LastLogin: opt(u.LastLoginAt), LastUpdated: u.UpdatedAt.UTC(), PasswordChanged: opt(u.PasswordChangedAt),
		Profile:     UserProfile{Login: u.Login, Email: u.Email, FirstName: u.FirstName, LastName: u.LastName, Locale: u.Locale, ZoneInfo: u.ZoneInfo},
		Credentials: credentialsOf(u)}
}

func credentialsOf(u store.User) UserCredentials {
	c := UserCredentials{Provider: UserProvider{Type: "OKTA", Name: "OKTA"}}
	if u.PasswordHash != "" {
		c.Password = &struct{}{}
	}
	return c
}

// lifecycleLinks are the operations Okta links from a user in each status
// (each a POST to {user}/lifecycle/{op}), limited to those Latchkey serves.
var lifecycleLinks = map[string][]string{
	store.UserStaged:          {"activate", "deactivate"},
	store.UserProvisioned:     {"reactivate", "deactivate"},
	store.UserActive:          {"suspend", "resetPassword", "expirePassword", "deactivate"},
	store.UserRecovery:        {"resetPassword", "deactivate"},
	store.UserLockedOut:       {"unlock", "resetPassword", "expirePassword", "deactivate"},
	store.UserPasswordExpired: {"resetPassword", "deactivate"},
	store.UserSuspended:       {"unsuspend", "deactivate"},
	store.UserDeprovisioned:   {"activate"},
}

// lifecyclePath is the path segment of a link's operation.
var lifecyclePath = map[string]string{"resetPassword": "reset_password", "expirePassword": "expire_password"}

// UserLinks is a user's _links: self ({users}/{id}, where users is
// {orgUrl}/api/v1/users), the lifecycle operations its status allows, and
// changePassword for a user who has a password and may change it.
func UserLinks(users string, u store.User) Links {
	self := users + "/" + u.ID
	l := Links{"self": {Href: self}}
	for _, op := range lifecycleLinks[u.Status] {
		seg := lifecyclePath[op]
		if seg == "" {
			seg = op
		}
		l[op] = Link{Href: self + "/lifecycle/" + seg, Method: "POST"}
	}
	switch u.Status {
	case store.UserActive, store.UserPasswordExpired, store.UserRecovery, store.UserLockedOut:
		if u.PasswordHash != "" {
			l["changePassword"] = Link{Href: self + "/credentials/change_password", Method: "POST"}
		}
	}
	return l
}

// App is Okta's OIDC application object.
type App struct {
	ID          string         `json:"id"`
	Name        string         `json:"name"`
	Label       string         `json:"label"`
	Status      string         `json:"status"`
	Created     time.Time      `json:"created"`
	LastUpdated time.Time      `json:"lastUpdated"`
	SignOnMode  string         `json:"signOnMode"`
	Credentials AppCredentials `json:"credentials"`
	Settings    AppSettings    `json:"settings"`
}

// AppCredentials holds the OAuth client credentials of an app.
type AppCredentials struct {
	OAuthClient OAuthClientCredentials `json:"oauthClient"`
}

// OAuthClientCredentials are an app's client id, method and, on create only,
// its secret.
type OAuthClientCredentials struct {
	ClientID                string `json:"client_id"`
	ClientSecret            string `json:"client_secret,omitempty"`
	TokenEndpointAuthMethod string `json:"token_endpoint_auth_method"`
	AutoKeyRotation         bool   `json:"autoKeyRotation"`
}

// AppSettings holds an app's OAuth settings.
type AppSettings struct {
	OAuthClient OAuthClientSettings `json:"oauthClient"`
}

// OAuthClientSettings are an app's OAuth settings.
type OAuthClientSettings struct {
	GrantTypes      []string `json:"grant_types"`
	ResponseTypes   []string `json:"response_types"`
	ApplicationType string   `json:"application_type"`
	// JWKS (inline public keys) or JWKSURI: a private_key_jwt client's keys.
	JWKS    json.RawMessage `json:"jwks,omitempty"`
	JWKSURI string          `json:"jwks_uri,omitempty"`
	// Refresh token rotation and leeway, as Okta's refresh_token settings.
	RefreshToken *RefreshSettings `json:"refresh_token,omitempty"`
}

// RefreshSettings are a client's refresh token rotation settings.
type RefreshSettings struct {
	RotationType string `json:"rotation_type"`
	LeewaySecs   int    `json:"leeway"`
}

// FromClient renders a client; secret is shown only when non-empty (on create).
func FromClient(c store.Client, secret string) App {
	grants := c.GrantTypes
	if grants == nil {
		grants = []string{}
	}
	app := App{ID: c.ID, Name: "oidc_client", Label: c.Name, Status: c.Status, Created: c.CreatedAt.UTC(), LastUpdated: c.UpdatedAt.UTC(),
		SignOnMode: "OPENID_CONNECT",
		Credentials: AppCredentials{OAuthClient: OAuthClientCredentials{ClientID: c.ID, ClientSecret: secret,
			TokenEndpointAuthMethod: c.TokenEndpointAuthMethod, AutoKeyRotation: true}},
		Settings: AppSettings{OAuthClient: OAuthClientSettings{GrantTypes: grants, ResponseTypes: []string{}, ApplicationType: appType(grants),
			JWKS: json.RawMessage(c.JWKS), JWKSURI: c.JWKSURI}}}
	if c.RefreshRotation != "" {
		app.Settings.OAuthClient.RefreshToken = &RefreshSettings{RotationType: c.RefreshRotation, LeewaySecs: int(c.RefreshLeeway.Seconds())}
	}
	return app
}

// appType is Okta's application_type: native for apps that log users in
// with a password, service for machine-to-machine clients.
func appType(grants []string) string {
	for _, g := range grants {
		if g == "password" {
			return "native"
		}
	}
	return "service"
}
