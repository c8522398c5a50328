package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/latchkey/latchkey/internal/app"
	"github.com/latchkey/latchkey/internal/provision"
	"github.com/latchkey/latchkey/internal/userimport"
)

func newImportCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "import",
		Short: "Import records from another system",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(newImportUsersCmd(g))
	return cmd
}

func newImportUsersCmd(g *globals) *cobra.Command {
	var (
		format string
		update bool
		batch  int
	)
	cmd := &cobra.Command{
		Use:   "users FILE|- [--format jsonl|csv] [--update]",
		Short: "Import users with their password hashes (JSON lines in Okta's user shape, or CSV)",
		Long: `Import users from FILE ("-" reads stdin): JSON lines in Okta's user shape
(profile, credentials.password.hash or .value, groupIds), Keycloak's exported
users (one per line), or CSV with a header; see docs/import.md for the
formats and columns. The format comes from the extension (.jsonl, .ndjson,
.json, .csv) or --format.

Imported hashes (BCRYPT, SHA-512, SHA-256, SHA-1, MD5, PBKDF2, Keycloak's
pbkdf2-sha256/pbkdf2-sha512/argon2, argon2id) are stored as they are and
upgraded to argon2id at each user's first login; a plaintext value is hashed
with the configured argon2id now (that is slow: about one hash per worker at
a time).

A user whose login exists is skipped, so that a second run changes nothing;
--update overwrites the profile and password of such users instead. Each line
that cannot be imported is reported on stderr with its number and the reason,
and the others are imported. The summary counts imported, updated, skipped
and failed lines; the exit status is 1 when any line failed.`,
		Example: `  latchkey import users users.jsonl
  jq -c '.users[]' realm-export.json | latchkey import users --format jsonl -
  latchkey import users --update people.csv`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			name := args[0]
			if format == "" {
				format = userimport.DetectFormat(name)
			}
			if format != userimport.FormatJSONL && format != userimport.FormatCSV {
				return fmt.Errorf("cannot tell the format of %q from its extension: give --format jsonl or --format csv", name)
			}
			var in io.Reader = cmd.InOrStdin()
			var size int64
			if name != "-" {
				f, err := os.Open(name)
				if err != nil {
					return err
				}
				defer f.Close()
				if st, err := f.Stat(); err == nil {
					size = st.Size()
				}
				in = f
			}
			counted := &countingReader{r: in}
			r, err := userimport.Open(counted, format)
			if err != nil {
				return err
			}
			stderr := cmd.ErrOrStderr()
			prog := newProgress(stderr, size)
			var sum provision.ImportSummary
			err = g.withApp(cmd, func(a *app.App) error {
				sum, err = a.Provision.ImportUsers(cmd.Context(), r, provision.ImportOptions{
					Update:    update,
					BatchSize: batch,
					Problem: func(le *userimport.LineError) {
						prog.done()
						fmt.Fprintln(stderr, le)
					},
					Progress: func(s provision.ImportSummary) { prog.update(s.Lines(), counted.n) },
				})
				return err
			})
			prog.done()
			fmt.Fprintf(cmd.OutOrStdout(), "imported %d, updated %d, skipped %d, failed %d\n", sum.Imported, sum.Updated, sum.Skipped, sum.Failed)
			if err != nil {
				return err
			}
			if sum.Failed > 0 {
				return errors.New("some lines were not imported (see above)")
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&format, "format", "", "jsonl or csv (default: from the file's extension)")
	f.BoolVar(&update, "update", false, "overwrite the profile and password of users whose login exists (default: skip them)")
	f.IntVar(&batch, "batch", 1000, "users per store transaction")
	return cmd
}
