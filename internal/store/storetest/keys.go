package storetest

import (
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/store"
)

var keyTests = []test{
	{"CreateListRoundTrip", testKeyRoundTrip},
	{"CreateDuplicateKid", testKeyDuplicate},
	{"ListNewestFirst", testKeyListOrder},
	{"ListUnknownServer", testKeyListEmpty},
	{"UpdateRotatesAtomically", testKeyRotate},
	{"UpdateFromNoKeys", testKeyUpdateEmpty},
	{"UpdateKeepsOmittedKeys", testKeyUpdateOmitted},
	{"UpdateClosureErrorAborts", testKeyUpdateAbort},
	{"UpdateConflictAbortsAll", testKeyUpdateConflict},
	{"UpdateCannotMoveKey", testKeyUpdateMove},
	{"DeleteKey", testKeyDelete},
	{"KeysKeepTheirAlg", testKeyAlgs},
}

// newKey returns a key of authorization server as created at created.
func newKey(id, as, status string, created time.Time) store.SigningKey {
	k := store.SigningKey{
		ID:            id,
		AuthServerID:  as,
		Alg:           "RS256",
		Status:        status,
		PublicJWK:     []byte(`{"kty":"RSA","kid":"` + id + `","n":"0vx7agoebGcQSuu","e":"AQAB"}`),
		PrivateSealed: []byte{0x00, 0xff, 0x10, 0x80, 0x00, 'k', 0xfe, 0x7f},
		CreatedAt:     created,
	}
	switch status {
	case store.KeyActive:
		k.ActivatedAt = created.Add(time.Hour)
	case store.KeyExpired:
		k.ActivatedAt = created.Add(time.Hour)
		k.ExpiredAt = created.Add(90 * 24 * time.Hour)
	}
	return k
}

func createKeys(t *testing.T, s store.Store, keys ...store.SigningKey) {
	t.Helper()
	for _, k := range keys {
		must(t, "CreateKey "+k.ID, s.CreateKey(ctx(t), k))
	}
}

func listKeys(t *testing.T, s store.Store, as string) []store.SigningKey {
	t.Helper()
	keys, err := s.ListKeys(ctx(t), as)
	must(t, "ListKeys "+as, err)
	return keys
}

func testKeyRoundTrip(t *testing.T, s store.Store) {
	active := newKey("kid-active", "default", store.KeyActive, t0)
	next := newKey("kid-next-ü", "default", store.KeyNext, t0.Add(time.Hour))
	empty := store.SigningKey{ID: "kid-empty", AuthServerID: "default", Status: store.KeyExpired}
	createKeys(t, s, active, next, empty)
	sameList(t, "ListKeys", listKeys(t, s, "default"), []store.SigningKey{next, active, empty})
}

func testKeyDuplicate(t *testing.T, s store.Store) {
	orig := newKey("kid1", "default", store.KeyActive, t0)
	createKeys(t, s, orig)
	wantErr(t, "CreateKey with a taken kid", s.CreateKey(ctx(t), newKey("kid1", "default", store.KeyNext, t0)), store.ErrConflict)
	wantErr(t, "CreateKey with a kid taken on another server", s.CreateKey(ctx(t), newKey("kid1", "aus2", store.KeyNext, t0)), store.ErrConflict)
	sameList(t, "ListKeys", listKeys(t, s, "default"), []store.SigningKey{orig})
	sameList(t, "ListKeys aus2", listKeys(t, s, "aus2"), nil)
}

func testKeyListOrder(t *testing.T, s store.Store) {
	oldest := newKey("kid-z-oldest", "default", store.KeyExpired, t0)
	tieA := newKey("kid-a-tie", "default", store.KeyActive, t0.Add(time.Hour))
	tieB := newKey("kid-b-tie", "default", store.KeyExpired, t0.Add(time.Hour))
	newest := newKey("kid-m-newest", "default", store.KeyNext, t0.Add(2*time.Hour))
	otherServer := newKey("kid-other", "aus2", store.KeyActive, t0.Add(3*time.Hour))
	createKeys(t, s, tieB, oldest, otherServer, newest, tieA)
	sameList(t, "ListKeys", listKeys(t, s, "default"), []store.SigningKey{newest, tieA, tieB, oldest})
	sameList(t, "ListKeys aus2", listKeys(t, s, "aus2"), []store.SigningKey{otherServer})
}

func testKeyListEmpty(t *testing.T, s store.Store) {
	createKeys(t, s, newKey("kid1", "default", store.KeyActive, t0))
	sameList(t, "ListKeys of a server without keys", listKeys(t, s, "aus404"), nil)
}

// testKeyRotate is a rotation: ACTIVE expires, NEXT becomes ACTIVE, a new
// NEXT is made, all in one UpdateKeys.
func testKeyRotate(t *testing.T, s store.Store) {
	expired := newKey("kid0", "default", store.KeyExpired, t0.Add(-time.Hour))
	active := newKey("kid1", "default", store.KeyActive, t0)
	next := newKey("kid2", "default", store.KeyNext, t0.Add(time.Hour))
	other := newKey("kid-other", "aus2", store.KeyNext, t0)
	createKeys(t, s, expired, active, next, other)

	now := t0.Add(48 * time.Hour)
	wantActive, wantNext := active, next
	wantActive.Status, wantActive.ExpiredAt = store.KeyExpired, now
	wantNext.Status, wantNext.ActivatedAt = store.KeyActive, now
	fresh := newKey("kid3", "default", store.KeyNext, now)
	got, err := s.UpdateKeys(ctx(t), "default", func(keys []store.SigningKey) ([]store.SigningKey, error) {
		sameList(t, "closure's argument", keys, []store.SigningKey{next, active, expired})
		var out []store.SigningKey
		for _, k := range keys {
			switch k.Status {
			case store.KeyActive:
				k.Status, k.ExpiredAt = store.KeyExpired, now
			case store.KeyNext:
				k.Status, k.ActivatedAt = store.KeyActive, now
			default:
				continue
			}
			out = append(out, k)
		}
		return append(out, fresh), nil
	})
	must(t, "UpdateKeys", err)
	want := []store.SigningKey{fresh, wantNext, wantActive, expired}
	sameList(t, "UpdateKeys' result", got, want)
	sameList(t, "ListKeys after UpdateKeys", listKeys(t, s, "default"), want)
	sameList(t, "ListKeys of another server", listKeys(t, s, "aus2"), []store.SigningKey{other})
}

func testKeyUpdateEmpty(t *testing.T, s store.Store) {
	first := newKey("kid1", "default", store.KeyActive, t0)
	got, err := s.UpdateKeys(ctx(t), "default", func(keys []store.SigningKey) ([]store.SigningKey, error) {
		if len(keys) != 0 {
			t.Errorf("closure got %s, want no keys", ids(keys))
		}
		return []store.SigningKey{first}, nil
	})
	must(t, "UpdateKeys", err)
	sameList(t, "UpdateKeys' result", got, []store.SigningKey{first})
	sameList(t, "ListKeys", listKeys(t, s, "default"), []store.SigningKey{first})
	// A closure that returns nothing changes nothing.
	got, err = s.UpdateKeys(ctx(t), "default", func([]store.SigningKey) ([]store.SigningKey, error) { return nil, nil })
	must(t, "UpdateKeys with no change", err)
	sameList(t, "UpdateKeys' result with no change", got, []store.SigningKey{first})
}

func testKeyUpdateOmitted(t *testing.T, s store.Store) {
	active := newKey("kid1", "default", store.KeyActive, t0)
	createKeys(t, s, active)
	next := newKey("kid2", "default", store.KeyNext, t0.Add(time.Hour))
	got, err := s.UpdateKeys(ctx(t), "default", func([]store.SigningKey) ([]store.SigningKey, error) {
		return []store.SigningKey{next}, nil
	})
	must(t, "UpdateKeys", err)
	sameList(t, "UpdateKeys' result", got, []store.SigningKey{next, active})
}

func testKeyUpdateAbort(t *testing.T, s store.Store) {
	active := newKey("kid1", "default", store.KeyActive, t0)
	createKeys(t, s, active)
	_, err := s.UpdateKeys(ctx(t), "default", func(keys []store.SigningKey) ([]store.SigningKey, error) {
		keys[0].Status = store.KeyExpired
		return append(keys, newKey("kid2", "default", store.KeyNext, t0)), errBoom
	})
	if err != errBoom {
		t.Fatalf("UpdateKeys: got error %v, want the closure's error as is", err)
	}
	sameList(t, "ListKeys after the aborted update", listKeys(t, s, "default"), []store.SigningKey{active})
}

// testKeyUpdateConflict checks that a failing key undoes the others.
func testKeyUpdateConflict(t *testing.T, s store.Store) {
	active := newKey("kid1", "default", store.KeyActive, t0)
	foreign := newKey("kid-foreign", "aus2", store.KeyActive, t0)
	createKeys(t, s, active, foreign)
	_, err := s.UpdateKeys(ctx(t), "default", func(keys []store.SigningKey) ([]store.SigningKey, error) {
		keys[0].Status = store.KeyExpired
		return append(keys,
			newKey("kid2", "default", store.KeyNext, t0.Add(time.Hour)),
			newKey("kid-foreign", "default", store.KeyNext, t0.Add(time.Hour))), nil
	})
	wantErr(t, "UpdateKeys adding a kid of another server", err, store.ErrConflict)
	sameList(t, "ListKeys after the refused update", listKeys(t, s, "default"), []store.SigningKey{active})
	sameList(t, "ListKeys of the other server", listKeys(t, s, "aus2"), []store.SigningKey{foreign})
}

func testKeyUpdateMove(t *testing.T, s store.Store) {
	active := newKey("kid1", "default", store.KeyActive, t0)
	createKeys(t, s, active)
	added := newKey("kid2", "", store.KeyNext, t0.Add(time.Hour)) // no server named
	got, err := s.UpdateKeys(ctx(t), "default", func(keys []store.SigningKey) ([]store.SigningKey, error) {
		keys[0].AuthServerID = "aus2"
		keys[0].Alg = "ES256"
		return append(keys, added), nil
	})
	must(t, "UpdateKeys", err)
	want := active
	want.Alg = "ES256"
	added.AuthServerID = "default"
	sameList(t, "UpdateKeys' result", got, []store.SigningKey{added, want})
	sameList(t, "ListKeys", listKeys(t, s, "default"), []store.SigningKey{added, want})
	sameList(t, "ListKeys of the server the closure named", listKeys(t, s, "aus2"), nil)
}

func testKeyDelete(t *testing.T, s store.Store) {
	expired := newKey("kid0", "default", store.KeyExpired, t0)
	active := newKey("kid1", "default", store.KeyActive, t0.Add(time.Hour))
	other := newKey("kid-other", "aus2", store.KeyExpired, t0)
	createKeys(t, s, expired, active, other)
	must(t, "DeleteKey", s.DeleteKey(ctx(t), "default", expired.ID))
	sameList(t, "ListKeys after DeleteKey", listKeys(t, s, "default"), []store.SigningKey{active})
	wantErr(t, "DeleteKey again", s.DeleteKey(ctx(t), "default", expired.ID), store.ErrNotFound)
	wantErr(t, "DeleteKey of another server's kid", s.DeleteKey(ctx(t), "default", other.ID), store.ErrNotFound)
	wantErr(t, "DeleteKey of an unknown kid", s.DeleteKey(ctx(t), "default", "kid404"), store.ErrNotFound)
	sameList(t, "ListKeys of the other server", listKeys(t, s, "aus2"), []store.SigningKey{other})
	// The kid is free again.
	createKeys(t, s, expired)
	sameList(t, "ListKeys after re-creating the kid", listKeys(t, s, "default"), []store.SigningKey{active, expired})
}

// testKeyAlgs: a server changing algorithm holds keys of several; each key
// keeps its own through a rotation that changes their states.
func testKeyAlgs(t *testing.T, s store.Store) {
	rs := newKey("kid-rs", "default", store.KeyActive, t0)
	es := newKey("kid-es", "default", store.KeyNext, t0.Add(time.Hour))
	es.Alg, es.PublicJWK = store.AlgES256, []byte(`{"kty":"EC","crv":"P-256","kid":"kid-es","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}`)
	createKeys(t, s, rs, es)
	now := t0.Add(48 * time.Hour)
	ed := newKey("kid-ed", "default", store.KeyNext, now)
	ed.Alg, ed.PublicJWK = store.AlgEdDSA, []byte(`{"kty":"OKP","crv":"Ed25519","kid":"kid-ed","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}`)
	wantRS, wantES := rs, es
	wantRS.Status, wantRS.ExpiredAt = store.KeyExpired, now
	wantES.Status, wantES.ActivatedAt = store.KeyActive, now
	_, err := s.UpdateKeys(ctx(t), "default", func([]store.SigningKey) ([]store.SigningKey, error) {
		return []store.SigningKey{wantRS, wantES, ed}, nil
	})
	must(t, "UpdateKeys", err)
	sameList(t, "ListKeys", listKeys(t, s, "default"), []store.SigningKey{ed, wantES, wantRS})
}
