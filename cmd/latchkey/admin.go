package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/latchkey/latchkey/internal/app"
)

func newMigrateCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "migrate",
		Short: "Apply the store's schema migrations (serve also applies them at start)",
		Long: `Apply the store's schema migrations: to a SQLite file, or to a PostgreSQL
database (--db postgres://…). serve applies them at start too, unless
--no-migrate (PostgreSQL). Instances and migrate runs starting at once take
turns: SQLite through a lock file beside the database, PostgreSQL through an
advisory lock.

migrate upgrades an existing database only: a SQLite file that does not
exist is refused ("database not found"); serve creates a new one on its
first start.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := g.load()
			if err != nil {
				return err
			}
			if err := app.CheckDatabase(cfg.DB); err != nil {
				return err
			}
			applied, err := app.Migrate(cmd.Context(), cfg.DB)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "schema up to date (%d migrations applied)\n", len(applied))
			return nil
		},
	}
}
