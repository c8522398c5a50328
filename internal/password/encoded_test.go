package password

import (
	"errors"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

func TestCheckEncoded(t *testing.T) {
	good, err := bcrypt.GenerateFromPassword([]byte("correct horse"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	h, err := New(Config{Params: Params{MemoryKiB: 64, Iterations: 1, Parallelism: 1, SaltLen: 16, KeyLen: 32}})
	if err != nil {
		t.Fatal(err)
	}
	argon, err := h.Hash(t.Context(), "correct horse")
	if err != nil {
		t.Fatal(err)
	}
	for _, ok := range []string{string(good), "$2y$" + string(good[4:]), argon} {
		if err := CheckEncoded(ok); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	for enc, want := range map[string]error{
		"":                                  ErrUnknownFormat,
		"{SHA}abc":                          ErrUnknownFormat,
		"$2a$31$" + string(good[7:]):        ErrMalformed, // too costly
		"$2a$04$" + string(good[8:]):        ErrMalformed, // short
		"$2a$04$" + strings.Repeat("!", 53): ErrMalformed,
		"$argon2id$v=19$m=1,t=1,p=1$$":      ErrMalformed,
	} {
		if err := CheckEncoded(enc); !errors.Is(err, want) {
			t.Errorf("%q: err %v, want %v", enc, err, want)
		}
	}
}
