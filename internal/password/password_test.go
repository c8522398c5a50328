package password

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// cheap keeps tests fast; the algorithm is the same.
var cheap = Params{MemoryKiB: 64, Iterations: 1, Parallelism: 1, SaltLen: 16, KeyLen: 32}

func newHasher(t testing.TB, p Params) *Hasher {
	t.Helper()
	h, err := New(Config{Params: p, Workers: 2, Queue: 4})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestHashAndVerify(t *testing.T) {
	t.Parallel()
	h := newHasher(t, cheap)
	ctx := context.Background()
	enc, err := h.Hash(ctx, "correct horse")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(enc, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Fatalf("encoded = %q", enc)
	}
	if strings.Contains(enc, "correct horse") {
		t.Fatal("hash contains the password")
	}
	res, err := h.Verify(ctx, enc, "correct horse")
	if err != nil || !res.OK || res.NeedsRehash {
		t.Fatalf("Verify(right) = %+v, %v", res, err)
	}
	res, err = h.Verify(ctx, enc, "correct horsE")
	if err != nil || res.OK {
		t.Fatalf("Verify(wrong) = %+v, %v", res, err)
	}
	enc2, _ := h.Hash(ctx, "correct horse")
	if enc == enc2 {
		t.Fatal("two hashes of one password are equal: salt not random")
	}
}

func TestDefaultParamsAreOWASP(t *testing.T) {
	t.Parallel()
	h := newHasher(t, OWASP)
	enc, err := h.Hash(context.Background(), "pw")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(enc, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("encoded = %q", enc)
	}
}

func TestRehashWhenParamsChange(t *testing.T) {
	t.Parallel()
	old := newHasher(t, cheap)
	enc, _ := old.Hash(context.Background(), "pw")
	stronger := cheap
	stronger.MemoryKiB = 128
	h := newHasher(t, stronger)
	res, err := h.Verify(context.Background(), enc, "pw")
	if err != nil || !res.OK || !res.NeedsRehash {
		t.Fatalf("Verify = %+v, %v; want OK and NeedsRehash", res, err)
	}
}

func TestBcrypt(t *testing.T) {
	t.Parallel()
	h := newHasher(t, cheap)
	for _, prefix := range []string{"$2a$", "$2b$", "$2y$"} {
		b, err := bcrypt.GenerateFromPassword([]byte("s3cret"), bcrypt.MinCost)
		if err != nil {
			t.Fatal(err)
		}
		enc := prefix + string(b[4:])
		res, err := h.Verify(context.Background(), enc, "s3cret")
		if err != nil || !res.OK || !res.NeedsRehash {
			t.Errorf("%s right: %+v, %v", prefix, res, err)
		}
		res, err = h.Verify(context.Background(), enc, "s3creT")
		if err != nil || res.OK {
			t.Errorf("%s wrong: %+v, %v", prefix, res, err)
		}
	}
}

func TestBcryptRefusesOver72Bytes(t *testing.T) {
	t.Parallel()
	h := newHasher(t, cheap)
	long := strings.Repeat("a", 72)
	b, _ := bcrypt.GenerateFromPassword([]byte(long), bcrypt.MinCost)
	res, err := h.Verify(context.Background(), string(b), long+"extra")
	if err != nil || res.OK {
		t.Fatalf("Verify(73+ bytes) = %+v, %v; want mismatch", res, err)
	}
}

func TestMalformedAndUnknown(t *testing.T) {
	t.Parallel()
	h := newHasher(t, cheap)
	for _, enc := range []string{
		"$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHQ",
		"$argon2id$v=18$m=64,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=19$m=64,t=1,x=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=19$m=99999999,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=19$m=64,t=1,p=1$!!$aGFzaGhhc2hoYXNoaGFzaA",
		"$2a$10$short",
		"$2a$2400000000000000000000000000000000000000000000000000000",
		"$2a$31$abcdefghijklmnopqrstuuJm5lYgBYyQXnBBe4VMbWmGrBAWa6a7a",
	} {
		_, err := h.Verify(context.Background(), enc, "pw")
		if !errors.Is(err, ErrMalformed) {
			t.Errorf("Verify(%q) err = %v, want ErrMalformed", enc, err)
		}
	}
	if _, err := h.Verify(context.Background(), "plain", "pw"); !errors.Is(err, ErrUnknownFormat) {
		t.Errorf("err = %v, want ErrUnknownFormat", err)
	}
}

func TestVerifyDummyFails(t *testing.T) {
	t.Parallel()
	h := newHasher(t, cheap)
	if err := h.VerifyDummy(context.Background(), "anything"); err != nil {
		t.Fatal(err)
	}
}

func TestTooLong(t *testing.T) {
	t.Parallel()
	h := newHasher(t, cheap)
	if _, err := h.Hash(context.Background(), strings.Repeat("x", MaxLength+1)); err == nil {
		t.Fatal("Hash accepted an over-long password")
	}
	enc, _ := h.Hash(context.Background(), strings.Repeat("x", MaxLength))
	res, err := h.Verify(context.Background(), enc, strings.Repeat("x", MaxLength+1))
	if err != nil || res.OK {
		t.Fatalf("Verify(too long) = %+v, %v", res, err)
	}
}

func TestPoolBusy(t *testing.T) {
	t.Parallel()
	g := newGate()
	h, err := newHasherHooked(Config{Params: cheap, Workers: 1, Queue: 1}, g.hook)
	if err != nil {
		t.Fatal(err)
	}
	// Fill the only worker slot and the only queue place.
	release := g.holdWorkers(t, h, 1, QueueKey{})
	ctx, cancel := context.WithCancel(context.Background())
	queued := make(chan error, 1)
	go func() {
		_, err := h.Hash(ctx, "pw")
		queued <- err
	}()
	waitQueued(t, h, 1)
	if _, err := h.Hash(context.Background(), "pw"); !errors.Is(err, ErrBusy) {
		t.Fatalf("third caller err = %v, want ErrBusy", err)
	}
	cancel()
	if err := <-queued; !errors.Is(err, context.Canceled) {
		t.Fatalf("queued caller err = %v, want context.Canceled", err)
	}
	release()
	if _, err := h.Hash(context.Background(), "pw"); err != nil {
		t.Fatalf("after release: %v", err)
	}
}

func TestParamsValidate(t *testing.T) {
	t.Parallel()
	bad := []Params{
		{MemoryKiB: 0, Iterations: 1, Parallelism: 1, SaltLen: 16, KeyLen: 32},
		{MemoryKiB: 64, Iterations: 0, Parallelism: 1, SaltLen: 16, KeyLen: 32},
		{MemoryKiB: 64, Iterations: 1, Parallelism: 0, SaltLen: 16, KeyLen: 32},
		{MemoryKiB: 64, Iterations: 1, Parallelism: 1, SaltLen: 4, KeyLen: 32},
		{MemoryKiB: 64, Iterations: 1, Parallelism: 1, SaltLen: 16, KeyLen: 8},
	}
	for _, p := range bad {
		if _, err := New(Config{Params: p}); err == nil {
			t.Errorf("New(%+v) accepted bad params", p)
		}
	}
}

func FuzzVerify(f *testing.F) {
	// No real sleeping: one costly bcrypt input would raise the floor of
	// every later iteration.
	h, err := New(Config{Params: cheap, Workers: 2, Sleep: func(context.Context, time.Duration) error { return nil }})
	if err != nil {
		f.Fatal(err)
	}
	enc, _ := h.Hash(context.Background(), "pw")
	f.Add(enc, "pw")
	f.Add("$2a$04$abcdefghijklmnopqrstuuJm5lYgBYyQXnBBe4VMbWmGrBAWa6a7a", "pw")
	f.Add("$argon2id$v=19$m=1,t=1,p=1$$", "")
	// The imported forms (imported.go).
	f.Add("$okta-sha256$o=prefix$TmFDbC1zYWx0LTE2Ynl0ZQ$G7Zm930JAla3BdBCJdbqmUnLizhMbjfEoa6rMA+CaJk", "Tr0ub4dor&3")
	f.Add("$okta-md5$o=postfix$$Ts5XphMjtSzP/b7wIZVnVA", "Tr0ub4dor&3")
	f.Add("$pbkdf2-sha1$i=4096$c2FsdA$SwB5AbdlSJq+rUnZJvch0GWkKcE", "password")
	f.Fuzz(func(t *testing.T, encoded, password string) {
		res, err := h.Verify(context.Background(), encoded, password)
		if err != nil && res.OK {
			t.Fatal("OK with an error")
		}
	})
}

func BenchmarkHashOWASP(b *testing.B) {
	h := newHasher(b, OWASP)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := h.Hash(context.Background(), "correct horse battery staple"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyOWASP(b *testing.B) {
	h := newHasher(b, OWASP)
	enc, _ := h.Hash(context.Background(), "correct horse battery staple")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := h.Verify(context.Background(), enc, "correct horse battery staple"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyDummyOWASP(b *testing.B) {
	h := newHasher(b, OWASP)
	b.ReportAllocs()
	for b.Loop() {
		if err := h.VerifyDummy(context.Background(), "correct horse battery staple"); err != nil {
			b.Fatal(err)
		}
	}
}

// TestSetDefaultParamsForTests: the test hook replaces only the production
// parameters; a Hasher configured with others keeps them.
func TestSetDefaultParamsForTests(t *testing.T) {
	SetDefaultParamsForTests(cheap)
	t.Cleanup(func() { defaultParamsForTests.Store(nil) })
	h, err := New(Config{Params: OWASP, Lazy: true})
	if err != nil {
		t.Fatal(err)
	}
	if h.Params() != cheap {
		t.Errorf("Params() with the hook = %+v, want %+v", h.Params(), cheap)
	}
	enc, err := h.Hash(context.Background(), "a long passphrase")
	if err != nil || !strings.HasPrefix(enc, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Errorf("Hash = %q, %v; want the test parameters", enc, err)
	}
	other := cheap
	other.MemoryKiB = 128
	if h := newHasher(t, other); h.Params() != other {
		t.Errorf("Params() of a configured Hasher = %+v, want %+v", h.Params(), other)
	}
}
