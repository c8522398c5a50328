package oidc

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestNoneMatchFails(t *testing.T) {
	const etag = `"abc"`
	cases := []struct {
		lines []string
		want  bool
	}{
		{[]string{`"abc"`}, true},
		{[]string{`W/"abc"`}, true},
		{[]string{`*`}, true},
		{[]string{`"x", "abc"`}, true},
		{[]string{` "x" ,, W/"abc" `}, true},
		{[]string{`"x"`, `"abc"`}, true}, // a list split over two lines
		{[]string{`"x"`}, false},
		{[]string{`abc`}, false},
		{[]string{`"ab"`}, false},
		{[]string{`"abc`}, false},
		{[]string{`garbage, "abc"`}, false}, // parsing stops at what is not an entity tag
		{[]string{``}, false},
		{[]string{`w/"abc"`}, false},
	}
	for _, tc := range cases {
		if got := noneMatchFails(tc.lines, etag); got != tc.want {
			t.Errorf("If-None-Match %q: %v, want %v", tc.lines, got, tc.want)
		}
	}
}

// FuzzIfNoneMatch holds noneMatchFails to what net/http's ServeContent
// decides for one If-None-Match line: 304 exactly when it matches.
func FuzzIfNoneMatch(f *testing.F) {
	for _, s := range []string{`"abc"`, `W/"abc"`, `*`, `"x", "abc"`, ` "x" ,, W/"abc" `, `"x"`, `abc`, `"abc`,
		`garbage, "abc"`, "\t\"abc\"\r\n", `W/`, `""`, `"a"bc"`, "\"\x80\"", `, ,*`} {
		f.Add(s, `"abc"`)
	}
	f.Add(`""`, `""`)
	f.Add("\"\x7f", "")
	f.Fuzz(func(t *testing.T, inm, etag string) {
		if tag, rest := scanETag(etag); etag == "" || tag != etag || rest != "" || etag[0] != '"' {
			t.Skip() // ours are strong entity tags
		}
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.Header["If-None-Match"] = []string{inm}
		w := httptest.NewRecorder()
		w.Header().Set("Etag", etag)
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader([]byte("{}")))
		want := w.Code == http.StatusNotModified
		if inm == "" {
			want = false
		}
		if got := noneMatchFails([]string{inm}, etag); got != want {
			t.Errorf("If-None-Match %q with ETag %s: %v, net/http says %v (%d)", inm, etag, got, want, w.Code)
		}
	})
}
