package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/latchkey/latchkey/internal/keys"
	"github.com/latchkey/latchkey/internal/store/sqlite"
)

func newMigrateCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "migrate",
		Short: "Apply the store's schema migrations (serve also applies them at start)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := g.load()
			if err != nil {
				return err
			}
			applied, err := sqlite.Migrate(cmd.Context(), cfg.DB)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "schema up to date (%d migrations applied)\n", len(applied))
			return nil
		},
	}
}

func newKeysCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "keys", Short: "Manage the master key and signing keys", Args: cobra.NoArgs}
	var file string
	initMaster := &cobra.Command{
		Use:   "init-master --file PATH",
		Short: "Create a new master key file (mode 0600); refuses to overwrite",
		Long: `Create a new random 256-bit master key in a file readable only by its owner.
The master key encrypts signing keys at rest and keys the hashes of client
secrets: keep it out of the database backups, and do not lose it.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := keys.WriteNewMasterKeyFile(file); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "master key written to %s\n", file)
			return nil
		},
	}
	initMaster.Flags().StringVar(&file, "file", "", "path of the new key file (required)")
	_ = initMaster.MarkFlagRequired("file")
	cmd.AddCommand(initMaster)
	_ = g
	return cmd
}
