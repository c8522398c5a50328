package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/latchkey/latchkey/internal/app"
	"github.com/latchkey/latchkey/internal/store"
	"github.com/latchkey/latchkey/internal/storecopy"
)

func newMigrateStoreCmd() *cobra.Command {
	var from, to string
	cmd := &cobra.Command{
		Use:   "migrate-store --from DSN --to DSN",
		Short: "Copy a whole deployment from one store to another (SQLite to PostgreSQL)",
		Long: `Copy every record of one store into another, empty one: users with their
password hashes, history and token watermarks, groups, clients and their
sealed secrets, assignments, authorization servers, scopes, claims,
policies, rules, signing keys, refresh tokens, token records, single-use
ids, login counters, the master key check and the audit trail. Sealed
values are copied sealed: run the target with the same master key, and
tokens issued before the move keep verifying and refreshing after it.

Stop every server on the source first. The target's schema is created (or
brought up to date) as it opens, and a target that holds any record is
refused. After the copy both stores are read again and compared kind by
kind; the counts are printed.

  latchkey migrate-store --from sqlite:/var/lib/latchkey/latchkey.db \
    --to postgres://latchkey@db/latchkey`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if from == "" || to == "" {
				return errors.New("migrate-store needs --from and --to")
			}
			fromDSN, toDSN := storeDSN(from), storeDSN(to)
			if fromDSN == toDSN {
				return errors.New("migrate-store: --from and --to name the same store")
			}
			if err := app.CheckDatabase(fromDSN); err != nil {
				return fmt.Errorf("--from: %w", err)
			}
			ctx := cmd.Context()
			// Raw backends, without the app's cache: the copy reads and
			// writes every record once.
			src, err := app.OpenStore(ctx, fromDSN, false)
			if err != nil {
				return fmt.Errorf("open --from: %w", err)
			}
			defer src.Close()
			dst, err := app.OpenStore(ctx, toDSN, false)
			if err != nil {
				return fmt.Errorf("open --to: %w", err)
			}
			rep, err := copyStore(cmd, src, dst)
			if cerr := dst.Close(); err == nil && cerr != nil {
				err = fmt.Errorf("close --to: %w", cerr)
			}
			if err != nil {
				return err
			}
			fmt.Fprint(cmd.OutOrStdout(), rep)
			fmt.Fprintln(cmd.OutOrStdout(), "copied and verified; start the servers on the target with the same master key")
			return nil
		},
	}
	cmd.Flags().StringVar(&from, "from", "", "the store to copy: sqlite:FILE (or a SQLite file path) or postgres://…")
	cmd.Flags().StringVar(&to, "to", "", "the empty store to copy into: postgres://… or sqlite:FILE (or a SQLite file path)")
	return cmd
}

func copyStore(cmd *cobra.Command, src, dst store.Store) (storecopy.Report, error) {
	rep, err := storecopy.Copy(cmd.Context(), src, dst)
	if errors.Is(err, storecopy.ErrNotEmpty) {
		return rep, fmt.Errorf("%w; copy into a new database or file", err)
	}
	return rep, err
}

// storeDSN turns sqlite:FILE into the file path OpenStore takes; other
// DSNs pass as they are.
func storeDSN(s string) string {
	return strings.TrimPrefix(s, "sqlite:")
}
