package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/latchkey/latchkey/internal/app"
	"github.com/latchkey/latchkey/internal/store"
)

// newGroupsEditCmds are `groups update` and `groups delete`: both take a
// group by id or name and go through the service layer, as the management
// API's PUT and DELETE /api/v1/groups/{id} do.
func newGroupsEditCmds(g *globals) []*cobra.Command {
	var name, desc string
	update := &cobra.Command{
		Use:   "update GROUP [--name NAME] [--description D]",
		Short: "Rename a group or change its description",
		Long: `Change a group's name or description (GROUP is its id or name). A flag not
given keeps its value. Group claims and rules see the new name from the next
token on. The built-in Everyone group cannot be changed.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.withApp(cmd, func(a *app.App) error {
				gr, err := groupByRef(cmd, a, args[0])
				if err != nil {
					return err
				}
				newName, newDesc := gr.Name, gr.Description
				if cmd.Flags().Changed("name") {
					newName = name
				}
				if cmd.Flags().Changed("description") {
					newDesc = desc
				}
				gr, err = a.Provision.UpdateGroup(cmd.Context(), gr.ID, newName, newDesc)
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "updated group %s (%s)\n", gr.ID, gr.Name)
				return nil
			})
		},
	}
	update.Flags().StringVar(&name, "name", "", "the new name, unique")
	update.Flags().StringVar(&desc, "description", "", "the new description")

	del := &cobra.Command{
		Use:   "delete GROUP",
		Short: "Delete a group with its memberships and client assignments",
		Long: `Delete a group (GROUP is its id or name) with its memberships and its
client assignments. Its members lose what the group gave them (rules, group
claims, client assignments) from their next token on; tokens already issued
stay valid until they expire or are revoked. The built-in Everyone group
cannot be deleted.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.withApp(cmd, func(a *app.App) error {
				gr, err := groupByRef(cmd, a, args[0])
				if err != nil {
					return err
				}
				if err := a.Provision.DeleteGroup(cmd.Context(), gr.ID); err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "deleted group %s (%s)\n", gr.ID, gr.Name)
				return nil
			})
		},
	}
	return []*cobra.Command{update, del}
}

// groupByRef finds a group by id, else by name.
func groupByRef(cmd *cobra.Command, a *app.App, ref string) (store.Group, error) {
	ids, err := resolveGroups(cmd, a, []string{ref})
	if err != nil {
		return store.Group{}, err
	}
	if ids[0] == store.Everyone {
		return a.Provision.EnsureEveryone(cmd.Context())
	}
	return a.Store.GetGroup(cmd.Context(), ids[0])
}
