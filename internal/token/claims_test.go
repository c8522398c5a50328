package token

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/store"
)

// TestClaimsObject checks the claims writer against encoding/json: the
// object decodes to the claims written, a name is written once (the first
// value wins, so custom claims never replace reserved ones), custom claims
// are sorted, and strings that need escaping come out as json.Marshal
// writes them.
func TestClaimsObject(t *testing.T) {
	t.Parallel()
	odd := "quote\" back\\ <tag> & \u2028 é \x01 \xff"
	var o claimsObject
	o.num("ver", 1)
	o.str("sub", odd)
	o.strs("scp", nil)
	o.strs("amr", []string{"pwd", odd})
	o.boolean("email_verified", true)
	o.str("sub", "replaced?")
	if err := o.extra(map[string]any{"sub": "custom", "zeta": []int{1, 2}, "alpha": map[string]any{"k": "v"}, "ver": 2}); err != nil {
		t.Fatal(err)
	}
	raw := o.bytes()

	var got map[string]any
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatalf("%s: %v", raw, err)
	}
	oddJSON, _ := json.Marshal(odd)
	var oddBack string
	_ = json.Unmarshal(oddJSON, &oddBack)
	want := map[string]any{"ver": 1.0, "sub": oddBack, "scp": []any{}, "amr": []any{"pwd", oddBack},
		"email_verified": true, "alpha": map[string]any{"k": "v"}, "zeta": []any{1.0, 2.0}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("decoded %#v\nwant %#v", got, want)
	}
	wantRaw := `{"ver":1,"sub":` + string(oddJSON) + `,"scp":[],"amr":["pwd",` + string(oddJSON) +
		`],"email_verified":true,"alpha":{"k":"v"},"zeta":[1,2]}`
	if string(raw) != wantRaw {
		t.Fatalf("raw\n%s\nwant\n%s", raw, wantRaw)
	}

	var empty claimsObject
	if string(empty.bytes()) != "{}" {
		t.Fatalf("empty object %s", empty.bytes())
	}
	bad := claimsObject{}
	if err := bad.extra(map[string]any{"f": func() {}}); err == nil {
		t.Fatal("a claim json cannot encode was accepted")
	}
}

// TestProfileClaims checks the standard claims each scope releases, once
// however often the scope is listed, the same for the map (userinfo) and
// the ID token's writer.
func TestProfileClaims(t *testing.T) {
	t.Parallel()
	u := &store.User{ID: "00u1", Login: "ada@example.com", Email: "ada@example.com", EmailVerified: true,
		FirstName: "Ada", LastName: "Lovelace", Locale: "en_GB", UpdatedAt: time.Unix(1700000000, 0)}
	for _, tc := range []struct {
		scopes []string
		want   map[string]any
	}{
		{[]string{"openid"}, map[string]any{}},
		{[]string{"email", "email"}, map[string]any{"email": "ada@example.com", "email_verified": true}},
		{[]string{"profile", "openid", "profile"}, map[string]any{"name": "Ada Lovelace", "preferred_username": "ada@example.com",
			"given_name": "Ada", "family_name": "Lovelace", "locale": "en_GB", "updated_at": int64(1700000000)}},
	} {
		got := ProfileClaims(u, tc.scopes)
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("ProfileClaims(%v) = %#v, want %#v", tc.scopes, got, tc.want)
		}
		var o claimsObject
		profileClaims(u, tc.scopes, &o)
		var fromJSON, wantJSON map[string]any
		if err := json.Unmarshal(o.bytes(), &fromJSON); err != nil {
			t.Fatalf("%s: %v", o.bytes(), err)
		}
		b, _ := json.Marshal(tc.want)
		_ = json.Unmarshal(b, &wantJSON)
		if !reflect.DeepEqual(fromJSON, wantJSON) {
			t.Errorf("ID token claims for %v = %s, want %s", tc.scopes, o.bytes(), b)
		}
	}
}

// FuzzAppendJSONString checks that any string, valid UTF-8 or not, is
// written as json.Marshal writes it.
func FuzzAppendJSONString(f *testing.F) {
	for _, s := range []string{"", "ada@example.com", "a\"b", "<&>", "\u2028", "\xff", "é", "\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, _ := json.Marshal(s)
		if got := appendJSONString([]byte("x"), s); string(got) != "x"+string(want) {
			t.Fatalf("appendJSONString(%q) = %s, want %s", s, got[1:], want)
		}
	})
}
