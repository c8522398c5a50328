package ids

import (
	"regexp"
	"testing"
)

func TestNew(t *testing.T) {
	t.Parallel()
	re := regexp.MustCompile(`^00u[0-9A-Za-z]{17}$`)
	seen := map[string]bool{}
	for range 1000 {
		id := New(User)
		if !re.MatchString(id) {
			t.Fatalf("New(User) = %q", id)
		}
		if seen[id] {
			t.Fatalf("duplicate id %q", id)
		}
		seen[id] = true
	}
}

func TestSecret(t *testing.T) {
	t.Parallel()
	if s := Secret(32); len(s) != 43 {
		t.Fatalf("Secret(32) has %d chars, want 43", len(s))
	}
	if a, b := Secret(32), Secret(32); a == b {
		t.Fatal("two secrets are equal")
	}
}

func TestDerived(t *testing.T) {
	t.Parallel()
	b := []byte{0, 61, 62, 255}
	if got := Derived(Org, b); got != "00o0z07" || Derived(Org, b) != got {
		t.Fatalf("Derived = %q", got)
	}
}
