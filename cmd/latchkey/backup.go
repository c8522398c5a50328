package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/latchkey/latchkey/internal/app"
	"github.com/latchkey/latchkey/internal/store/sqlite"
)

func newBackupCmd(g *globals) *cobra.Command {
	var to string
	cmd := &cobra.Command{
		Use:   "backup --to FILE",
		Short: "Write a consistent copy of a live SQLite database to a new file",
		Long: `Write a consistent copy of the SQLite database (--db, LATCHKEY_DB or db:)
to a new file, while servers keep running on it: the copy is the database
as of one moment (SQLite's VACUUM INTO, one read transaction), checked
before it is put in place, mode 0600. An existing --to file is refused.

The master key is not in the copy: keep it apart from the backups, as from
the database. Restore by stopping the servers and putting the copy in
place of the database file (its -wal and -shm files removed).

A PostgreSQL database is backed up with pg_dump (docs/deploy.md).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if to == "" {
				return fmt.Errorf("backup needs --to FILE")
			}
			cfg, err := g.load()
			if err != nil {
				return err
			}
			if app.IsPostgres(cfg.DB) {
				return fmt.Errorf("backup copies a SQLite database; back up PostgreSQL with pg_dump (docs/deploy.md)")
			}
			if err := app.CheckDatabase(cfg.DB); err != nil {
				return err
			}
			if err := sqlite.Backup(cmd.Context(), cfg.DB, to); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "backed up %s to %s (the master key is not in the backup)\n", app.DatabaseFile(cfg.DB), to)
			return nil
		},
	}
	cmd.Flags().StringVar(&to, "to", "", "the new file to write the copy to (refused if it exists)")
	return cmd
}
