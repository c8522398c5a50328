package main

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/latchkey/latchkey/internal/app"
	"github.com/latchkey/latchkey/internal/export"
)

func newExportCmd(g *globals) *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "export [--out DIR|FILE.jsonl|-]",
		Short: "Write the deployment's users (with hashes), groups, clients and authorization servers to files",
		Long: `Write the deployment's records so that another Latchkey can take them in.

With --out DIR (the default is ./latchkey-export) it writes, each file whole or
not at all and readable by its owner only:

  users.jsonl        one user per line in Okta's user shape, the password hash
                     in Okta's hash object: what "latchkey import users" reads
  groups.jsonl       one group per line, with its members' logins
  clients.jsonl      one client per line: settings, assignments and the hash
                     of its secret (never the secret; a client_secret_jwt
                     client needs a new secret where it is imported)
  authservers.jsonl  one authorization server per line, with its scopes,
                     claims, policies and rules (signing keys are not exported)

With --out FILE.jsonl, or - for stdout, it writes the users alone.

An exported file of users imported into a new database logs each user in with
the same password; only users are imported by Latchkey today (see
docs/import.md).`,
		Example: `  latchkey export --out /backup/latchkey-2024-03-09
  latchkey export --out - | latchkey --db new.db import users --format jsonl -`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return g.withApp(cmd, func(a *app.App) error {
				ctx := cmd.Context()
				if out == "-" {
					w := bufio.NewWriter(cmd.OutOrStdout())
					n, err := export.Users(ctx, a.Store, w)
					if err == nil {
						err = w.Flush()
					}
					if err == nil {
						fmt.Fprintf(cmd.ErrOrStderr(), "exported %d users\n", n)
					}
					return err
				}
				if strings.EqualFold(filepath.Ext(out), ".jsonl") {
					f, err := os.OpenFile(out, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
					if err != nil {
						return err
					}
					w := bufio.NewWriter(f)
					n, err := export.Users(ctx, a.Store, w)
					if err == nil {
						err = w.Flush()
					}
					if cerr := f.Close(); err == nil {
						err = cerr
					}
					if err != nil {
						return err
					}
					fmt.Fprintf(cmd.OutOrStdout(), "exported %d users to %s\n", n, out)
					return nil
				}
				c, err := export.Write(ctx, a.Store, out)
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "exported %d users, %d groups, %d clients, %d authorization servers to %s\n",
					c.Users, c.Groups, c.Clients, c.AuthServers, out)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&out, "out", "latchkey-export", "a directory for every kind of record, or a .jsonl file (- for stdout) for the users alone")
	return cmd
}
