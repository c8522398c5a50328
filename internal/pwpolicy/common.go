package pwpolicy

import (
	_ "embed"
	"strings"
	"sync"
)

// commonPasswordsFile is the 10,000 most common passwords, one a line; see
// its header for the source and license.
//
//go:embed common_passwords.txt
var commonPasswordsFile string

// commonPasswords is the list as a set of lower-case passwords, built once
// on first use and never changed after.
var commonPasswords = sync.OnceValue(func() map[string]struct{} {
	set := make(map[string]struct{}, 10_000)
	for line := range strings.Lines(commonPasswordsFile) {
		line = strings.TrimRight(line, "\r\n")
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		set[strings.ToLower(line)] = struct{}{}
	}
	return set
})

// IsCommon reports whether pw is one of the 10,000 most common passwords,
// ignoring case.
func IsCommon(pw string) bool {
	_, ok := commonPasswords()[strings.ToLower(pw)]
	return ok
}

// CommonCount is how many passwords the common-password list holds.
func CommonCount() int { return len(commonPasswords()) }
