package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// A secret given as a flag value is in the process list (ps, /proc) and the
// shell history. Secrets reach the CLI only from standard input, a file or
// an environment variable; a secretSource gathers those ways for one secret.

// secretSource is where one secret may come from; flags registers its flags.
type secretSource struct {
	what      string // e.g. "client secret"
	flag      string // e.g. "client-secret": --{flag}-file, --{flag}-stdin
	env       string // e.g. LATCHKEY_CLIENT_SECRET
	file      string
	stdin     bool
	legacy    string // the deprecated --{flag} value, if given
	hasLegacy bool
}

// maxSecretFileBytes bounds a secret file: a secret is a line, not a blob.
const maxSecretFileBytes = 64 << 10

func (s *secretSource) flags(f *pflag.FlagSet, legacy bool) {
	f.StringVar(&s.file, s.flag+"-file", "", "read the "+s.what+" from the first line of this file (or set "+s.env+")")
	f.BoolVar(&s.stdin, s.flag+"-stdin", false, "read the "+s.what+" from the first line of standard input")
	if legacy {
		s.hasLegacy = true
		f.StringVar(&s.legacy, s.flag, "", "deprecated, visible in the process list: use --"+s.flag+"-file, --"+s.flag+"-stdin or "+s.env)
		// Hidden from --help; read warns on the command's standard error
		// (pflag's MarkDeprecated would write to the process's own).
		_ = f.MarkHidden(s.flag)
	}
}

// fromStdin reports whether the secret is to be read from standard input.
func (s *secretSource) fromStdin() bool { return s.stdin }

// read returns the secret: from --{flag}-stdin, --{flag}-file or the
// deprecated --{flag} (at most one of them), else from the environment
// variable. getenv is the command's environment.
func (s *secretSource) read(cmd *cobra.Command, getenv func(string) string) (string, error) {
	given := 0
	for _, b := range []bool{s.stdin, s.file != "", s.hasLegacy && cmd.Flags().Changed(s.flag)} {
		if b {
			given++
		}
	}
	if given > 1 {
		return "", fmt.Errorf("give the %s one way only: --%s-file, --%s-stdin or %s", s.what, s.flag, s.flag, s.env)
	}
	switch {
	case s.stdin:
		v, err := readSecretLine(cmd.InOrStdin())
		if err != nil {
			return "", fmt.Errorf("read the %s from standard input: %w", s.what, err)
		}
		return v, nil
	case s.file != "":
		return readSecretFile(s.file, s.what)
	case s.hasLegacy && cmd.Flags().Changed(s.flag):
		fmt.Fprintf(cmd.ErrOrStderr(), "Flag --%s has been deprecated: its value is visible to every user in the process list, "+
			"and it will be removed in the next release; use --%s-file, --%s-stdin or %s\n", s.flag, s.flag, s.flag, s.env)
		if s.legacy == "" {
			return "", fmt.Errorf("--%s is empty", s.flag)
		}
		return s.legacy, nil
	}
	if v := getenv(s.env); v != "" {
		return v, nil
	}
	return "", fmt.Errorf("the %s is required: give it with --%s-file FILE, --%s-stdin or %s (never on the command line)", s.what, s.flag, s.flag, s.env)
}

// readSecretFile returns the first line of a file, without its line ending.
func readSecretFile(path, what string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("read the %s: %w", what, err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxSecretFileBytes))
	if err != nil {
		return "", fmt.Errorf("read the %s: %w", what, err)
	}
	line, _, _ := strings.Cut(string(b), "\n")
	line = strings.TrimRight(line, "\r")
	if line == "" {
		return "", fmt.Errorf("read the %s: %s: %w", what, path, errors.New("the first line is empty"))
	}
	return line, nil
}
