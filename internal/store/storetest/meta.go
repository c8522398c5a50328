package storetest

import (
	"bytes"
	"sync"
	"testing"

	"github.com/latchkey/latchkey/internal/store"
)

var metaTests = []test{
	{"GetUnset", testMetaUnset},
	{"InitThenGet", testMetaInit},
	{"InitKeepsTheFirstValue", testMetaInitKeeps},
	{"ConcurrentInitAgrees", testMetaConcurrentInit},
}

func testMetaUnset(t *testing.T, s store.Store) {
	_, err := s.GetMeta(ctx(t), "nothing")
	wantErr(t, "GetMeta of an unset name", err, store.ErrNotFound)
}

func testMetaInit(t *testing.T, s store.Store) {
	v := []byte{0x00, 0xff, 'k', 0x80}
	got, err := s.InitMeta(ctx(t), "check", v)
	must(t, "InitMeta", err)
	if !bytes.Equal(got, v) {
		t.Fatalf("InitMeta returned %x, want %x", got, v)
	}
	got, err = s.GetMeta(ctx(t), "check")
	must(t, "GetMeta", err)
	if !bytes.Equal(got, v) {
		t.Fatalf("GetMeta returned %x, want %x", got, v)
	}
	_, err = s.GetMeta(ctx(t), "other")
	wantErr(t, "GetMeta of another name", err, store.ErrNotFound)
}

func testMetaInitKeeps(t *testing.T, s store.Store) {
	_, err := s.InitMeta(ctx(t), "check", []byte("first"))
	must(t, "InitMeta", err)
	got, err := s.InitMeta(ctx(t), "check", []byte("second"))
	must(t, "second InitMeta", err)
	if string(got) != "first" {
		t.Fatalf("second InitMeta returned %q, want the first value", got)
	}
	got, err = s.GetMeta(ctx(t), "check")
	must(t, "GetMeta", err)
	if string(got) != "first" {
		t.Fatalf("GetMeta returned %q, want the first value", got)
	}
}

// testMetaConcurrentInit: instances starting at once all get the one
// value that was stored.
func testMetaConcurrentInit(t *testing.T, s store.Store) {
	const n = 8
	got := make([][]byte, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			v, err := s.InitMeta(ctx(t), "check", []byte{byte(i)})
			if err != nil {
				t.Errorf("InitMeta %d: %v", i, err)
			}
			got[i] = v
		})
	}
	wg.Wait()
	stored, err := s.GetMeta(ctx(t), "check")
	must(t, "GetMeta", err)
	for i, v := range got {
		if !bytes.Equal(v, stored) {
			t.Fatalf("InitMeta %d returned %x, stored is %x", i, v, stored)
		}
	}
}
