package secrets

import (
	"bytes"
	"strings"
	"testing"
)

func TestHashVerify(t *testing.T) {
	t.Parallel()
	h, err := NewHasher(bytes.Repeat([]byte{1}, 32))
	if err != nil {
		t.Fatal(err)
	}
	enc := h.Hash("s3cret-s3cret-s3cret")
	if strings.Contains(enc, "s3cret") || !strings.HasPrefix(enc, "hmac-sha256$v1$") {
		t.Fatalf("encoded %q", enc)
	}
	if !h.Verify(enc, "s3cret-s3cret-s3cret") {
		t.Fatal("right secret refused")
	}
	for _, bad := range []string{"", "s3cret-s3cret-s3creT", "s3cret-s3cret-s3cret "} {
		if h.Verify(enc, bad) {
			t.Errorf("Verify(%q) accepted", bad)
		}
	}
	if h.Verify("plain", "plain") || h.Verify("hmac-sha256$v1$!!", "x") {
		t.Fatal("foreign format accepted")
	}
	other, _ := NewHasher(bytes.Repeat([]byte{2}, 32))
	if other.Verify(enc, "s3cret-s3cret-s3cret") {
		t.Fatal("another master key verified the hash")
	}
}
