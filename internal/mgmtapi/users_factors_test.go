package mgmtapi_test

import (
	"bytes"
	"context"
	"encoding/base32"
	"image/png"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/provision"
	"github.com/latchkey/latchkey/internal/totp"
)

// TestUserFactors: enrol a TOTP factor (PENDING_ACTIVATION, the shared
// secret embedded once), activate it with a passCode, verify a code once
// (a replay is Okta's E0000068), list, get and delete.
func TestUserFactors(t *testing.T) {
	e := newAPIEnv(t)
	u, err := e.app.Provision.CreateUser(context.Background(), provision.UserInput{Login: "ada@example.com", Email: "ada@example.com", Password: "correct horse battery"})
	if err != nil {
		t.Fatal(err)
	}
	base := "/api/v1/users/" + u.ID + "/factors"
	if r := e.do("POST", base, map[string]string{"factorType": "sms"}); r.status != 400 {
		t.Fatalf("sms: %d %s", r.status, r.raw)
	}
	r := e.do("POST", base, map[string]string{"factorType": "token:software:totp", "provider": "GOOGLE"})
	f := r.obj(t)
	if r.status != 200 || f["status"] != "PENDING_ACTIVATION" || f["provider"] != "GOOGLE" || f["factorType"] != "token:software:totp" {
		t.Fatalf("enrol: %d %s", r.status, r.raw)
	}
	id := f["id"].(string)
	secret, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(f["_embedded"].(map[string]any)["activation"].(map[string]any)["sharedSecret"].(string))
	if err != nil {
		t.Fatal(err)
	}
	if r := e.do("POST", base+"/"+id+"/verify", map[string]string{"passCode": totp.Code(secret, time.Now())}); r.status != 400 {
		t.Fatalf("verify a pending factor: %d %s", r.status, r.raw)
	}
	// The QR code of the pending factor: a PNG, for the manage scope only.
	qr := e.do("GET", base+"/"+id+"/qr", nil)
	if qr.status != 200 || qr.header.Get("Content-Type") != "image/png" || !strings.Contains(qr.header.Get("Cache-Control"), "no-store") {
		t.Fatalf("qr: %d %v", qr.status, qr.header)
	}
	if img, err := png.Decode(bytes.NewReader(qr.raw)); err != nil || img.Bounds().Dx() != 256 || img.Bounds().Dy() != 256 {
		t.Fatalf("qr is not a 256x256 PNG: %v", err)
	}
	reader, _ := e.serviceClient("okta.users.read")
	wantError(t, e.doAuth("Bearer "+e.orgToken(reader, "okta.users.read"), "GET", base+"/"+id+"/qr", nil), http.StatusForbidden, "E0000006")
	r = e.do("POST", base+"/"+id+"/lifecycle/activate", map[string]string{"passCode": totp.Code(secret, time.Now())})
	if r.status != 200 || r.obj(t)["status"] != "ACTIVE" {
		t.Fatalf("activate: %d %s", r.status, r.raw)
	}
	wantError(t, e.do("GET", base+"/"+id+"/qr", nil), http.StatusNotFound, "E0000007")
	// The activation code's step is taken; the next step's code verifies once.
	next := totp.Code(secret, time.Now().Add(totp.Period))
	if r := e.do("POST", base+"/"+id+"/verify", map[string]string{"passCode": next}); r.status != 200 || r.obj(t)["factorResult"] != "SUCCESS" {
		t.Fatalf("verify: %d %s", r.status, r.raw)
	}
	if r := e.do("POST", base+"/"+id+"/verify", map[string]string{"passCode": next}); r.status != 403 || r.obj(t)["errorCode"] != "E0000068" {
		t.Fatalf("replayed code: %d %s", r.status, r.raw)
	}
	var list []map[string]any
	if r := e.do("GET", base, nil); r.status != 200 {
		t.Fatalf("list: %d %s", r.status, r.raw)
	} else if r.decode(t, &list); len(list) != 1 || list[0]["id"] != id || list[0]["_embedded"] != nil {
		t.Fatalf("list: %s", r.raw)
	}
	if r := e.do("GET", base+"/"+id, nil); r.status != 200 || r.obj(t)["status"] != "ACTIVE" {
		t.Fatalf("get: %d %s", r.status, r.raw)
	}
	if r := e.do("DELETE", base+"/"+id, nil); r.status != 204 {
		t.Fatalf("delete: %d %s", r.status, r.raw)
	}
	if r := e.do("GET", base+"/"+id, nil); r.status != 404 {
		t.Fatalf("get after delete: %d %s", r.status, r.raw)
	}
}
