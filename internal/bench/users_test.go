package bench

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestParseUsers(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		format UsersFormat
		in     string
		want   []User
		err    string
	}{
		{name: "colon lines", format: UsersColon, in: "# bench users\nada@example.com:correct horse\n\nbob:pa:ss:word\r\n  \ncy: leading space\n",
			want: []User{{"ada@example.com", "correct horse"}, {"bob", "pa:ss:word"}, {"cy", " leading space"}}},
		{name: "colon without a colon", format: UsersColon, in: "ada:pw\nbob-secret\n", err: "line 2: want username:password"},
		{name: "colon empty password", format: UsersColon, in: "ada:\n", err: "line 1: empty password"},
		{name: "colon empty username", format: UsersColon, in: "\n:secret\n", err: "line 2: empty username"},
		{name: "colon no users", format: UsersColon, in: "# nothing\n\n", err: "no users in the file"},
		{name: "colon line too long", format: UsersColon, in: "ada:pw\n" + strings.Repeat("x", MaxUserLine+1) + "\n", err: "line 2: longer than"},
		{name: "csv with header", format: UsersCSV, in: "username,password\nada@example.com,\"pa,ss\"\"word\"\nbob,pw,extra column\n",
			want: []User{{"ada@example.com", `pa,ss"word`}, {"bob", "pw"}}},
		{name: "csv login header and comments", format: UsersCSV, in: "# users\nLogin,Password\r\nada,pw\r\n",
			want: []User{{"ada", "pw"}}},
		{name: "csv without header", format: UsersCSV, in: "ada,pw\n", want: []User{{"ada", "pw"}}},
		{name: "csv one column", format: UsersCSV, in: "ada,pw\nbob\n", err: "line 2: want username,password"},
		{name: "csv bad quote", format: UsersCSV, in: "ada,\"secret\n", err: "line 1"},
		{name: "csv empty password", format: UsersCSV, in: "ada,\n", err: "line 1: empty password"},
		{name: "csv line too long", format: UsersCSV, in: "ada," + strings.Repeat("x", MaxUserLine+1), err: "longer than"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseUsers(strings.NewReader(tc.in), tc.format)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
				if strings.Contains(err.Error(), "secret") {
					t.Fatalf("the error shows the line's content: %v", err)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

func TestReadUsersFileChoosesTheFormatByName(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	csvPath, txtPath := filepath.Join(dir, "users.CSV"), filepath.Join(dir, "users.txt")
	for p, body := range map[string]string{csvPath: "ada,pw:1\n", txtPath: "ada:pw,1\n"} {
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for p, want := range map[string]User{csvPath: {"ada", "pw:1"}, txtPath: {"ada", "pw,1"}} {
		got, err := ReadUsersFile(p)
		if err != nil || len(got) != 1 || got[0] != want {
			t.Errorf("%s: %q %v, want %q", p, got, err, want)
		}
	}
	if _, err := ReadUsersFile(filepath.Join(dir, "missing")); err == nil {
		t.Fatal("a missing file was read")
	}
}

// FuzzParseUsers: any input parses into users that are all usable, or is
// refused with an error that never shows a password, without panicking.
func FuzzParseUsers(f *testing.F) {
	for _, s := range []string{"ada:pw\n", "# c\nbob:pa:ss\r\n", "username,password\nada,\"p,w\"\n", "a,\"b\n", ":x\n", "\x00:\x00", "a,b,c\nd\n", "\""} { // "\"": a CSV error before any record
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, in string, csv bool) {
		format := UsersColon
		if csv {
			format = UsersCSV
		}
		users, err := ParseUsers(strings.NewReader(in), format)
		if err != nil {
			if users != nil {
				t.Fatalf("users with an error: %q", users)
			}
			for _, line := range strings.Split(in, "\n") {
				if _, pw, ok := strings.Cut(line, ":"); ok && len(pw) > 8 && strings.Contains(err.Error(), pw) {
					t.Fatalf("the error %q shows a password", err)
				}
			}
			return
		}
		if len(users) == 0 {
			t.Fatal("no users and no error")
		}
		for _, u := range users {
			if u.Username == "" || u.Password == "" || strings.ContainsAny(u.Username, "\n\r\x00") {
				t.Fatalf("an unusable user %q", u)
			}
			if format == UsersColon && strings.Contains(u.Username, ":") {
				t.Fatalf("a colon in the username %q", u.Username)
			}
		}
	})
}
