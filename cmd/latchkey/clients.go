package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/latchkey/latchkey/internal/app"
	"github.com/latchkey/latchkey/internal/oktaapi"
	"github.com/latchkey/latchkey/internal/store"
)

// newClientLifecycleCmds are `clients activate`, `clients deactivate` and
// `clients delete`.
func newClientLifecycleCmds(g *globals) []*cobra.Command {
	status := func(use, short, long string, op func(a *app.App) func(context.Context, string) (store.Client, error)) *cobra.Command {
		return &cobra.Command{
			Use: use + " CLIENT_ID", Short: short, Long: long, Args: cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				return g.withApp(cmd, func(a *app.App) error {
					c, err := op(a)(cmd.Context(), args[0])
					if err != nil {
						return clientErr(args[0], err)
					}
					fmt.Fprintf(cmd.OutOrStdout(), "%s %s\n", c.ID, c.Status)
					return nil
				})
			},
		}
	}
	activate := status("activate", "Activate a client: it may authenticate again",
		`Activate a client. It may authenticate again, and the tokens it was issued
that have not expired are active again.`,
		func(a *app.App) func(context.Context, string) (store.Client, error) {
			return a.Provision.ActivateClient
		})
	deactivate := status("deactivate", "Deactivate a client: it cannot authenticate, and its tokens are inactive",
		`Deactivate a client. It can no longer authenticate, and its tokens are no
longer active: introspection answers active=false, userinfo and the
management API refuse them, and its refresh tokens cannot be used.`,
		func(a *app.App) func(context.Context, string) (store.Client, error) {
			return a.Provision.DeactivateClient
		})
	del := &cobra.Command{
		Use:   "delete CLIENT_ID",
		Short: "Delete an INACTIVE client with its secrets, assignments and grants",
		Long: `Delete a client with its secrets, its user and group assignments and its
okta.* grants. Its tokens are no longer active. The client must be INACTIVE
first (clients deactivate), as Okta requires.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.withApp(cmd, func(a *app.App) error {
				if err := a.Provision.DeleteClient(cmd.Context(), args[0]); err != nil {
					return clientErr(args[0], err)
				}
				fmt.Fprintf(cmd.OutOrStdout(), "deleted %s\n", args[0])
				return nil
			})
		},
	}
	return []*cobra.Command{activate, deactivate, del}
}

func clientErr(id string, err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("no client %s", id)
	}
	return err
}

// newClientSecretsCmd is `clients secrets`: rotation without downtime.
func newClientSecretsCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "secrets",
		Short: "Manage a client's secrets (rotate a secret without downtime)",
		Long: `Manage a client's secrets. A client holds up to two; every ACTIVE one
authenticates, so a leaked or old secret is replaced without downtime:

  1. latchkey clients secrets create CLIENT_ID       (a second secret, shown once)
  2. move the client's deployments to the new secret
  3. latchkey clients secrets deactivate CLIENT_ID OLD_SECRET_ID
  4. latchkey clients secrets delete CLIENT_ID OLD_SECRET_ID

The last ACTIVE secret cannot be deactivated, and only an INACTIVE secret can
be deleted. none and private_key_jwt clients have no secrets.`,
		Args: cobra.NoArgs,
	}
	var listJSON bool
	list := &cobra.Command{
		Use: "list CLIENT_ID [--json]", Short: "List a client's secrets (never their values)", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.withApp(cmd, func(a *app.App) error {
				if _, err := a.Store.GetClient(cmd.Context(), args[0]); err != nil {
					return clientErr(args[0], err)
				}
				all, err := a.Store.ListClientSecrets(cmd.Context(), args[0])
				if err != nil {
					return err
				}
				out := []oktaapi.ClientSecret{}
				for _, cs := range all {
					out = append(out, oktaapi.FromClientSecret(cs, ""))
				}
				if listJSON {
					return writeJSON(cmd.OutOrStdout(), out)
				}
				tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "SECRET_ID\tSTATUS\tSECRET_HASH\tCREATED")
				for _, cs := range out {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", cs.ID, cs.Status, cs.SecretHash, cs.Created.Format(time.RFC3339))
				}
				return tw.Flush()
			})
		},
	}
	list.Flags().BoolVar(&listJSON, "json", false, "print a JSON array of secrets in Okta's shape")

	var createJSON bool
	create := &cobra.Command{
		Use:   "create CLIENT_ID [--json]",
		Short: "Add a generated ACTIVE secret (at most two); its value is printed once",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.withApp(cmd, func(a *app.App) error {
				cs, value, err := a.Provision.CreateClientSecret(cmd.Context(), args[0], "")
				if err != nil {
					return clientErr(args[0], err)
				}
				if createJSON {
					return writeJSON(cmd.OutOrStdout(), oktaapi.FromClientSecret(cs, value))
				}
				fmt.Fprintf(cmd.OutOrStdout(), "secret_id      %s\nclient_secret  %s\n\nThe secret is shown only now; store it safely.\n", cs.ID, value)
				return nil
			})
		},
	}
	create.Flags().BoolVar(&createJSON, "json", false, "print the secret as JSON in Okta's shape (client_secret included this once)")

	type secretOp func(ctx context.Context, clientID, secretID string) (store.ClientSecret, error)
	status := func(use, short string, op func(a *app.App) secretOp) *cobra.Command {
		var asJSON bool
		c := &cobra.Command{
			Use: use + " CLIENT_ID SECRET_ID [--json]", Short: short, Args: cobra.ExactArgs(2),
			RunE: func(cmd *cobra.Command, args []string) error {
				return g.withApp(cmd, func(a *app.App) error {
					cs, err := op(a)(cmd.Context(), args[0], args[1])
					if err != nil {
						return secretErr(args, err)
					}
					if asJSON {
						return writeJSON(cmd.OutOrStdout(), oktaapi.FromClientSecret(cs, ""))
					}
					fmt.Fprintf(cmd.OutOrStdout(), "%s %s\n", cs.ID, cs.Status)
					return nil
				})
			},
		}
		c.Flags().BoolVar(&asJSON, "json", false, "print the secret as JSON in Okta's shape")
		return c
	}
	activate := status("activate", "Make a secret ACTIVE: it authenticates the client",
		func(a *app.App) secretOp { return a.Provision.ActivateClientSecret })
	deactivate := status("deactivate", "Make a secret INACTIVE: it no longer authenticates the client (not the last ACTIVE one)",
		func(a *app.App) secretOp { return a.Provision.DeactivateClientSecret })
	del := &cobra.Command{
		Use: "delete CLIENT_ID SECRET_ID", Short: "Delete an INACTIVE secret", Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.withApp(cmd, func(a *app.App) error {
				if err := a.Provision.DeleteClientSecret(cmd.Context(), args[0], args[1]); err != nil {
					return secretErr(args, err)
				}
				fmt.Fprintf(cmd.OutOrStdout(), "deleted %s\n", args[1])
				return nil
			})
		},
	}
	cmd.AddCommand(list, create, activate, deactivate, del)
	return cmd
}

func secretErr(args []string, err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("no client %s, or it has no secret %s", args[0], args[1])
	}
	return err
}

// newClientAssignmentsCmd is `clients assignments`: who may get tokens for
// a client.
func newClientAssignmentsCmd(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "assignments CLIENT_ID [--json]",
		Short: "List the users and groups assigned to a client",
		Long: `List the users and groups assigned to a client: a user may get tokens for
it only when assigned, directly or through a group (Everyone: every user).
Change them with clients assign and clients unassign.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.withApp(cmd, func(a *app.App) error {
				ctx := cmd.Context()
				if _, err := a.Store.GetClient(ctx, args[0]); err != nil {
					return clientErr(args[0], err)
				}
				principals, err := a.Store.ListClientAssignments(ctx, args[0])
				if err != nil {
					return err
				}
				type assignment struct {
					Type string `json:"type"` // USER or GROUP
					ID   string `json:"id"`
					Name string `json:"name"` // the login or the group name
				}
				out := []assignment{}
				for _, id := range principals {
					if gr, err := a.Store.GetGroup(ctx, id); err == nil {
						out = append(out, assignment{"GROUP", gr.ID, gr.Name})
						continue
					} else if !errors.Is(err, store.ErrNotFound) {
						return err
					}
					u, err := a.Store.GetUser(ctx, id)
					if errors.Is(err, store.ErrNotFound) {
						continue
					}
					if err != nil {
						return err
					}
					out = append(out, assignment{"USER", u.ID, u.Login})
				}
				if asJSON {
					return writeJSON(cmd.OutOrStdout(), out)
				}
				tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "TYPE\tID\tNAME")
				for _, x := range out {
					fmt.Fprintf(tw, "%s\t%s\t%s\n", x.Type, x.ID, strings.TrimSpace(x.Name))
				}
				return tw.Flush()
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, `print a JSON array of {"type", "id", "name"}`)
	return cmd
}
