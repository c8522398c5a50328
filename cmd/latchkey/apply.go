package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/latchkey/latchkey/internal/app"
	"github.com/latchkey/latchkey/internal/setup"
)

func newApplyCmd(g *globals) *cobra.Command {
	var file string
	cmd := &cobra.Command{
		Use:   "apply [--file setup.yaml]",
		Short: "Apply a declarative setup: groups, authorization servers, scopes, claims, policies, rules",
		Long: `Apply a declarative setup (see docs/authorization-servers.md): groups and
custom authorization servers with their scopes, claims, access policies and
rules. Records are matched by name and created or updated in place; nothing
is deleted, so applying the same file twice changes nothing.

Without --file, the setup: section of the configuration file is applied
(serve applies it at every start too).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := g.loadExisting()
			if err != nil {
				return err
			}
			var doc *setup.Setup
			if file != "" {
				d, err := setup.DecodeFile(file)
				if err != nil {
					return err
				}
				doc = &d
			}
			a, err := app.Open(cmd.Context(), cfg, app.Options{})
			if err != nil {
				return err
			}
			defer a.Close()
			// Bootstrap applies the config file's own setup section.
			rep, err := a.Bootstrap(cmd.Context())
			if err == nil && doc != nil {
				var more setup.Report
				more, err = setup.Apply(cmd.Context(), a.Provision, *doc)
				rep = append(rep, more...)
			}
			for _, line := range rep {
				fmt.Fprintln(cmd.OutOrStdout(), line)
			}
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), "setup applied")
			return nil
		},
	}
	cmd.Flags().StringVar(&file, "file", "", "a YAML setup file (default: the config file's setup: section)")
	return cmd
}
