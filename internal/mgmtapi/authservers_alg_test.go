package mgmtapi_test

import (
	"net/http"
	"testing"
)

// TestAuthServerSigningAlg: credentials.signing.alg (a Latchkey extension)
// chooses the algorithm of a server's keys on create and on replace; a
// replace without it keeps it; the keys list shows each key's own alg.
func TestAuthServerSigningAlg(t *testing.T) {
	e := newAPIEnv(t)
	const base = "/api/v1/authorizationServers"
	signing := func(alg string) map[string]any {
		return map[string]any{"signing": map[string]any{"rotationMode": "AUTO", "alg": alg}}
	}
	algOf := func(obj map[string]any) any {
		return obj["credentials"].(map[string]any)["signing"].(map[string]any)["alg"]
	}
	// keyAlgs maps each key's status to its alg, and checks the key type.
	keyAlgs := func(id string) map[string]string {
		t.Helper()
		r := e.do("GET", base+"/"+id+"/credentials/keys", nil)
		wantStatus(t, r, http.StatusOK)
		var ks []map[string]any
		r.decode(t, &ks)
		out := map[string]string{}
		for _, k := range ks {
			alg, _ := k["alg"].(string)
			kty := map[string]string{"RS256": "RSA", "ES256": "EC", "EdDSA": "OKP"}[alg]
			if k["kty"] != kty || k["use"] != "sig" {
				t.Errorf("key %v: kty %v, want %s", k["kid"], k["kty"], kty)
			}
			out[k["status"].(string)] += alg
		}
		return out
	}

	wantError(t, e.do("POST", base, map[string]any{"name": "x", "audiences": []string{"api://x"}, "credentials": signing("HS256")}),
		http.StatusBadRequest, "E0000001")

	r := e.do("POST", base, map[string]any{"name": "fast", "audiences": []string{"api://fast"}, "credentials": signing("ES256")})
	wantStatus(t, r, http.StatusCreated)
	srv := r.obj(t)
	id := srv["id"].(string)
	if algOf(srv) != "ES256" {
		t.Fatalf("created server: alg %v, want ES256: %s", algOf(srv), r.raw)
	}
	if got := keyAlgs(id); got["ACTIVE"] != "ES256" || got["NEXT"] != "ES256" {
		t.Fatalf("keys of an ES256 server: %v", got)
	}

	r = e.do("PUT", base+"/"+id, map[string]any{"name": "fast", "audiences": []string{"api://fast"}, "credentials": signing("EdDSA")})
	wantStatus(t, r, http.StatusOK)
	if algOf(r.obj(t)) != "EdDSA" {
		t.Fatalf("replaced server: %s", r.raw)
	}
	// The ES256 key keeps signing; the NEXT key is EdDSA; the ES256 NEXT
	// key that never signed is withdrawn as EXPIRED.
	if got := keyAlgs(id); got["ACTIVE"] != "ES256" || got["NEXT"] != "EdDSA" || got["EXPIRED"] != "ES256" {
		t.Fatalf("keys after the change: %v", got)
	}

	r = e.do("PUT", base+"/"+id, map[string]any{"name": "renamed", "audiences": []string{"api://fast"}})
	wantStatus(t, r, http.StatusOK)
	if algOf(r.obj(t)) != "EdDSA" {
		t.Fatalf("a replace without alg changed it: %s", r.raw)
	}
	wantError(t, e.do("PUT", base+"/"+id, map[string]any{"name": "x", "audiences": []string{"api://fast"}, "credentials": signing("ES512")}),
		http.StatusBadRequest, "E0000001")

	wantStatus(t, e.do("POST", base+"/"+id+"/credentials/lifecycle/keyRotate", map[string]any{"use": "sig"}), http.StatusOK)
	if got := keyAlgs(id); got["ACTIVE"] != "EdDSA" || got["NEXT"] != "EdDSA" || got["EXPIRED"] != "ES256ES256" {
		t.Fatalf("keys after the rotation: %v", got)
	}
}
