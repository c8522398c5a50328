package totp

import (
	"errors"
	"net/url"
	"testing"
	"time"
)

// rfc6238Secret is the SHA-1 seed of RFC 6238 appendix B.
var rfc6238Secret = []byte("12345678901234567890")

// TestRFC6238Vectors: the SHA-1 rows of RFC 6238 appendix B (8 digits),
// and their last six digits as the six-digit codes apps show.
func TestRFC6238Vectors(t *testing.T) {
	t.Parallel()
	for _, v := range []struct {
		unix int64
		want string
	}{
		{59, "94287082"},
		{1111111109, "07081804"},
		{1111111111, "14050471"},
		{1234567890, "89005924"},
		{2000000000, "69279037"},
		{20000000000, "65353130"},
	} {
		at := time.Unix(v.unix, 0)
		if got := HOTP(rfc6238Secret, uint64(Step(at)), 8); got != v.want {
			t.Errorf("T=%d: got %s, want %s", v.unix, got, v.want)
		}
		if got := Code(rfc6238Secret, at); got != v.want[2:] {
			t.Errorf("T=%d six digits: got %s, want %s", v.unix, got, v.want[2:])
		}
	}
}

// TestRFC4226Vectors: HOTP of RFC 4226 appendix D.
func TestRFC4226Vectors(t *testing.T) {
	t.Parallel()
	want := []string{"755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871", "520489"}
	for i, w := range want {
		if got := HOTP(rfc6238Secret, uint64(i), 6); got != w {
			t.Errorf("count %d: got %s, want %s", i, got, w)
		}
	}
}

func TestCheckWindowAndReplay(t *testing.T) {
	t.Parallel()
	now := time.Unix(1111111111, 0)
	cur := Step(now)
	tests := []struct {
		name string
		at   time.Time
		last int64
		want error
		step int64
	}{
		{"now", now, 0, nil, cur},
		{"one step early", now.Add(-Period), 0, nil, cur - 1},
		{"one step late", now.Add(Period), 0, nil, cur + 1},
		{"two steps early", now.Add(-2 * Period), 0, ErrInvalid, 0},
		{"two steps late", now.Add(2 * Period), 0, ErrInvalid, 0},
		{"the step already used", now, cur, ErrReplay, 0},
		{"an earlier step than the one used", now.Add(-Period), cur, ErrReplay, 0},
		{"the step after the one used", now.Add(Period), cur, nil, cur + 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			step, err := Check(rfc6238Secret, Code(rfc6238Secret, tc.at), now, tc.last)
			if !errors.Is(err, tc.want) || step != tc.step {
				t.Fatalf("got step %d, %v; want %d, %v", step, err, tc.step, tc.want)
			}
		})
	}
}

func TestCheckMalformed(t *testing.T) {
	t.Parallel()
	for _, c := range []string{"", "12345", "1234567", "12a456", "１２３４５６", "-12345"} {
		if _, err := Check(rfc6238Secret, c, time.Now(), 0); !errors.Is(err, ErrMalformed) {
			t.Errorf("%q: got %v, want ErrMalformed", c, err)
		}
	}
	if _, err := ParseCode(" 123456 "); err != nil {
		t.Errorf("spaces around a code: %v", err)
	}
}

func TestURI(t *testing.T) {
	t.Parallel()
	u, err := url.Parse(URI(rfc6238Secret, "Latchkey", "ada@example.com"))
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	if u.Scheme != "otpauth" || u.Host != "totp" || q.Get("secret") != "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ" || q.Get("issuer") != "Latchkey" ||
		q.Get("digits") != "6" || q.Get("period") != "30" || q.Get("algorithm") != "SHA1" {
		t.Fatalf("URI = %s", u)
	}
	if u.Path != "/Latchkey:ada@example.com" {
		t.Fatalf("label = %q", u.Path)
	}
}

// FuzzCheck: any code from outside is parsed without panic, and only a
// code of Digits digits can be accepted.
func FuzzCheck(f *testing.F) {
	for _, s := range []string{"123456", "", " 287082 ", "12345\x00", "９９９９９９"} {
		f.Add(s)
	}
	now := time.Unix(59, 0)
	f.Fuzz(func(t *testing.T, code string) {
		step, err := Check(rfc6238Secret, code, now, 0)
		if err == nil {
			c, perr := ParseCode(code)
			if perr != nil || c != Code(rfc6238Secret, time.Unix(step*30, 0)) {
				t.Fatalf("accepted %q at step %d", code, step)
			}
		}
	})
}
