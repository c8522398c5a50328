package mgmtapi

import (
	"context"
	"errors"
	"net/http"
	"time"

	qrcode "github.com/skip2/go-qrcode"

	"github.com/latchkey/latchkey/internal/events"
	"github.com/latchkey/latchkey/internal/mfa"
	"github.com/latchkey/latchkey/internal/provision"
	"github.com/latchkey/latchkey/internal/store"
)

// routesFactors are Okta's user factor routes for TOTP factors. They go
// through package provision, as the CLI's users factors commands do.
func (a *API) routesFactors() {
	a.handle("GET /api/v1/users/{id}/factors", "okta.users.read", a.listFactors)
	a.handle("POST /api/v1/users/{id}/factors", "okta.users.manage", a.enrollFactor)
	a.handle("GET /api/v1/users/{id}/factors/{factorId}", "okta.users.read", a.getFactor)
	a.handle("DELETE /api/v1/users/{id}/factors/{factorId}", "okta.users.manage", a.deleteFactor)
	a.handle("POST /api/v1/users/{id}/factors/{factorId}/lifecycle/activate", "okta.users.manage", a.activateFactor)
	a.handle("POST /api/v1/users/{id}/factors/{factorId}/verify", "okta.users.manage", a.verifyFactor)
	a.handle("GET /api/v1/users/{id}/factors/{factorId}/qr", "okta.users.manage", a.factorQR)
	a.handle("POST /api/v1/users/{id}/lifecycle/reset_factors", "okta.users.manage", a.resetFactors)
}

// asCaller is the request's context naming its caller as the actor of the
// factor events package provision records: an API token, or the service
// app whose org access token made the call (named when it can be read).
func (a *API) asCaller(r *http.Request) context.Context {
	ctx := r.Context()
	p := principalOf(ctx)
	switch {
	case p == nil:
		return ctx
	case p.APITokenID != "":
		return provision.WithActor(ctx, events.APIToken(p.APITokenID))
	}
	var name string
	if c, err := a.cfg.Store.GetClient(ctx, p.ClientID); err == nil {
		name = c.Name
	}
	return provision.WithActor(ctx, events.App(p.ClientID, name))
}

// factorJSON is Okta's user factor object for token:software:totp.
type factorJSON struct {
	ID          string    `json:"id"`
	FactorType  string    `json:"factorType"`
	Provider    string    `json:"provider"`
	VendorName  string    `json:"vendorName"`
	Status      string    `json:"status"`
	Created     time.Time `json:"created"`
	LastUpdated time.Time `json:"lastUpdated"`
	Profile     struct {
		CredentialID string `json:"credentialId"`
	} `json:"profile"`
	Links    Links          `json:"_links"`
	Embedded map[string]any `json:"_embedded,omitempty"`
}

func (a *API) factorJSON(u store.User, f store.Factor) factorJSON {
	out := factorJSON{ID: f.ID, FactorType: f.Type, Provider: f.Provider, VendorName: f.Provider, Status: f.Status,
		Created: f.CreatedAt.UTC(), LastUpdated: f.UpdatedAt.UTC(),
		Links: Links{"self": {Href: a.href("users", u.ID, "factors", f.ID)}, "user": {Href: a.href("users", u.ID)}}}
	out.Profile.CredentialID = u.Login
	if f.Status == store.FactorPendingActivation {
		out.Links["activate"] = Link{Href: a.href("users", u.ID, "factors", f.ID, "lifecycle", "activate")}
	} else {
		out.Links["verify"] = Link{Href: a.href("users", u.ID, "factors", f.ID, "verify")}
	}
	return out
}

func (a *API) listFactors(w http.ResponseWriter, r *http.Request) error {
	u, err := a.findUser(r)
	if err != nil {
		return err
	}
	fs, err := a.cfg.Store.ListFactors(r.Context(), u.ID)
	if err != nil {
		return err
	}
	out := []factorJSON{}
	for _, f := range fs {
		out = append(out, a.factorJSON(u, f))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// factorOf returns the route's user and factor.
func (a *API) factorOf(r *http.Request) (store.User, store.Factor, error) {
	u, err := a.findUser(r)
	if err != nil {
		return u, store.Factor{}, err
	}
	id := r.PathValue("factorId")
	fs, err := a.cfg.Store.ListFactors(r.Context(), u.ID)
	if err != nil {
		return u, store.Factor{}, err
	}
	for _, f := range fs {
		if f.ID == id {
			return u, f, nil
		}
	}
	return u, store.Factor{}, NotFound(id, "UserFactor")
}

func (a *API) getFactor(w http.ResponseWriter, r *http.Request) error {
	u, f, err := a.factorOf(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, a.factorJSON(u, f))
	return nil
}

// enrollFactor is Okta's Enroll Factor for token:software:totp: the
// factor is PENDING_ACTIVATION and the answer embeds the activation (the
// shared secret), the only time it is shown, and the link to its QR code.
func (a *API) enrollFactor(w http.ResponseWriter, r *http.Request) error {
	u, err := a.findUser(r)
	if err != nil {
		return err
	}
	var in struct {
		FactorType string `json:"factorType"`
		Provider   string `json:"provider"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if in.FactorType != store.FactorTOTP {
		return Validation("factorType", "factorType: Latchkey enrols token:software:totp factors only")
	}
	e, err := a.cfg.Provision.EnrollTOTP(a.asCaller(r), u.ID, in.Provider)
	switch {
	case errors.Is(err, provision.ErrFactorExists):
		return Validation("factorEnrollRequest", "There is an existing verified factor.")
	case errors.Is(err, provision.ErrInvalid):
		return Validation("provider", err.Error())
	case err != nil:
		return err
	}
	out := a.factorJSON(u, e.Factor)
	out.Embedded = map[string]any{"activation": map[string]any{
		"timeStep": 30, "sharedSecret": e.Secret, "encoding": "base32", "keyLength": 6,
		"_links": map[string]any{"qrcode": map[string]string{
			"href": a.href("users", u.ID, "factors", e.Factor.ID, "qr"), "type": "image/png"}},
	}}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// passCode reads Okta's {"passCode": "123456"} body.
func passCode(r *http.Request) (string, error) {
	var in struct {
		PassCode string `json:"passCode"`
	}
	if err := decodeJSON(r, &in); err != nil {
		return "", err
	}
	if in.PassCode == "" {
		return "", Validation("passCode", "passCode: The passcode is required.")
	}
	return in.PassCode, nil
}

// errPassCode is Okta's answer to a wrong passcode.
var errPassCode = &Error{Status: http.StatusForbidden, Code: "E0000068", Summary: "Invalid Passcode/Answer",
	Causes: []string{"Your passcode doesn't match our records. Please try again."}}

func factorErr(err error) error {
	switch {
	case errors.Is(err, mfa.ErrBadCode):
		return errPassCode
	case errors.Is(err, mfa.ErrNoFactor):
		return Conflict("Api validation failed: factor", "The factor is not in a state that allows this operation.")
	}
	return err
}

func (a *API) activateFactor(w http.ResponseWriter, r *http.Request) error {
	u, f, err := a.factorOf(r)
	if err != nil {
		return err
	}
	code, err := passCode(r)
	if err != nil {
		return err
	}
	if f.Status != store.FactorPendingActivation {
		return factorErr(mfa.ErrNoFactor)
	}
	done, _, err := a.cfg.Provision.ActivateTOTP(a.asCaller(r), u.ID, code)
	if err != nil {
		return factorErr(err)
	}
	writeJSON(w, http.StatusOK, a.factorJSON(u, done))
	return nil
}

// verifyFactor is Okta's Verify Factor: {"factorResult":"SUCCESS"}, or
// E0000068. A code is accepted once, as at the token endpoint.
func (a *API) verifyFactor(w http.ResponseWriter, r *http.Request) error {
	u, f, err := a.factorOf(r)
	if err != nil {
		return err
	}
	code, err := passCode(r)
	if err != nil {
		return err
	}
	if f.Status != store.FactorActive {
		return factorErr(mfa.ErrNoFactor)
	}
	if _, err := a.cfg.Provision.VerifyTOTP(r.Context(), u.ID, code); err != nil {
		return factorErr(err)
	}
	writeJSON(w, http.StatusOK, map[string]string{"factorResult": "SUCCESS"})
	return nil
}

func (a *API) deleteFactor(w http.ResponseWriter, r *http.Request) error {
	u, f, err := a.factorOf(r)
	if err != nil {
		return err
	}
	if _, err := a.cfg.Provision.ResetFactors(a.asCaller(r), u.ID, f.ID); err != nil {
		return factorErr(err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// resetFactors is Okta's Reset Factors lifecycle operation: every factor
// of the user goes, recovery codes included. 200 with an empty object, as
// Okta answers, also when the user had none.
func (a *API) resetFactors(w http.ResponseWriter, r *http.Request) error {
	u, err := a.findUser(r)
	if err != nil {
		return err
	}
	if _, err := a.cfg.Provision.ResetFactors(a.asCaller(r), u.ID, ""); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, struct{}{})
	return nil
}

// qrSize is the side of a factor's QR code in pixels.
const qrSize = 256

// factorQR serves the QR code of a PENDING_ACTIVATION TOTP factor: a PNG
// of its otpauth:// URI, for an authenticator app to scan (Okta's qrcode
// link). It holds the secret, so it needs okta.users.manage, and it is
// gone (404) once the factor is active.
func (a *API) factorQR(w http.ResponseWriter, r *http.Request) error {
	u, f, err := a.factorOf(r)
	if err != nil {
		return err
	}
	uri, err := a.cfg.Provision.PendingTOTPURI(r.Context(), u.ID, f.ID)
	if errors.Is(err, provision.ErrNoFactor) {
		return NotFound(f.ID+"/qr", "UserFactor")
	}
	if err != nil {
		return err
	}
	png, err := qrcode.Encode(uri, qrcode.Medium, qrSize)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "image/png")
	_, err = w.Write(png)
	return err
}
