package main

import (
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/latchkey/latchkey/internal/app"
	"github.com/latchkey/latchkey/internal/policy"
	"github.com/latchkey/latchkey/internal/provision"
	"github.com/latchkey/latchkey/internal/store"
)

func newAPITokensCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "apitokens",
		Short: "Manage API tokens for the management API (Authorization: SSWS {token})",
		Long: `Manage API tokens: the credentials scripts and tools send to the management
API (/api/v1) as "Authorization: SSWS {token}", as they send Okta's. An API
token may do everything the management API offers; give a tool that needs
less a service client with okta.* scopes instead (latchkey clients grant).
A token stops working 30 days after its last use, or when revoked.`,
		Args: cobra.NoArgs,
	}
	cmd.AddCommand(newAPITokensCreateCmd(g), newAPITokensListCmd(g), newAPITokensRevokeCmd(g))
	return cmd
}

// apiTokenOut is a token as the CLI prints it; Token is set on create only.
type apiTokenOut struct {
	ID         string    `json:"id"`
	Name       string    `json:"name"`
	Token      string    `json:"token,omitempty"`
	ClientName string    `json:"clientName"`
	Created    time.Time `json:"created"`
	LastUsed   time.Time `json:"lastUsed,omitzero"`
	ExpiresAt  time.Time `json:"expiresAt"`
}

func apiTokenOf(t store.APIToken, value string) apiTokenOut {
	return apiTokenOut{ID: t.ID, Name: t.Name, Token: value, ClientName: t.ClientName, Created: t.CreatedAt.UTC(),
		LastUsed: t.LastUsedAt.UTC(), ExpiresAt: t.ExpiresAt.UTC()}
}

func newAPITokensCreateCmd(g *globals) *cobra.Command {
	var name string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "create --name NAME [--json]",
		Short: "Create an API token; its value is printed once",
		Long: `Create an API token. Its value is printed once (in --json as the field
"token"): only a keyed hash of it is stored, so it cannot be shown again.`,
		Example: `  latchkey apitokens create --name terraform
  curl -H "Authorization: SSWS $TOKEN" https://id.example.com/api/v1/users`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return g.withApp(cmd, func(a *app.App) error {
				t, value, err := a.Provision.CreateAPIToken(cmd.Context(), name, "Latchkey CLI")
				if err != nil {
					return err
				}
				if asJSON {
					return writeJSON(cmd.OutOrStdout(), apiTokenOf(t, value))
				}
				fmt.Fprintf(cmd.OutOrStdout(), "id:    %s\nname:  %s\ntoken: %s\n\nThe token is shown once: store it now.\n", t.ID, t.Name, value)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&name, "name", "", "what the token is for (required)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	_ = cmd.MarkFlagRequired("name")
	return cmd
}

func newAPITokensListCmd(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list [--json]",
		Short: "List API tokens (never their values)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return g.withApp(cmd, func(a *app.App) error {
				var all []apiTokenOut
				p := store.Page{}
				for {
					toks, err := a.Store.ListAPITokens(cmd.Context(), p)
					if err != nil {
						return err
					}
					for _, t := range toks {
						all = append(all, apiTokenOf(t, ""))
					}
					if len(toks) == 0 {
						break
					}
					p.After = toks[len(toks)-1].ID
				}
				if asJSON {
					if all == nil {
						all = []apiTokenOut{}
					}
					return writeJSON(cmd.OutOrStdout(), all)
				}
				tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "ID\tNAME\tCREATED\tLAST USED\tEXPIRES")
				for _, t := range all {
					used := "never"
					if !t.LastUsed.IsZero() {
						used = t.LastUsed.Format(time.RFC3339)
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", t.ID, t.Name, t.Created.Format(time.RFC3339), used, t.ExpiresAt.Format(time.RFC3339))
				}
				return tw.Flush()
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func newAPITokensRevokeCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "revoke ID",
		Short: "Revoke an API token at once",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.withApp(cmd, func(a *app.App) error {
				err := a.Provision.RevokeAPIToken(cmd.Context(), args[0])
				if errors.Is(err, store.ErrNotFound) {
					return fmt.Errorf("no API token %s", args[0])
				}
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "revoked %s\n", args[0])
				return nil
			})
		},
	}
}

func newClientsGrantCmd(g *globals) *cobra.Command {
	var scopes []string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "grant CLIENT_ID --scopes okta.users.read,...",
		Short: "Grant okta.* scopes to a service client (OAuth for the management API)",
		Long: `Grant okta.* scopes to a service client for the org authorization server, as
Okta's "Okta API Scopes" grants do. The client then gets an access token with
them from {base_url}/oauth2/v1/token (grant_type=client_credentials, with a
private_key_jwt assertion) and calls the management API with it as a Bearer
token. The client must use client_credentials and private_key_jwt.

Scopes: ` + strings.Join(policy.OktaScopes, ", "),
		Example: `  latchkey clients create --name provisioner --grant-types client_credentials \
    --auth-method private_key_jwt --jwks-file provisioner.jwks.json
  latchkey clients grant 0oa… --scopes okta.users.manage,okta.groups.read`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.withApp(cmd, func(a *app.App) error {
				gs, err := a.Provision.GrantClientScopes(cmd.Context(), provision.GrantInput{ClientID: args[0], Scopes: scopes, Issuer: a.Config.BaseURL})
				if errors.Is(err, store.ErrNotFound) {
					return fmt.Errorf("no client %s", args[0])
				}
				if err != nil {
					return err
				}
				if asJSON {
					return writeJSON(cmd.OutOrStdout(), gs)
				}
				tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "GRANT\tSCOPE\tCREATED")
				for _, g := range gs {
					fmt.Fprintf(tw, "%s\t%s\t%s\n", g.ID, g.ScopeID, g.CreatedAt.UTC().Format(time.RFC3339))
				}
				return tw.Flush()
			})
		},
	}
	cmd.Flags().StringSliceVar(&scopes, "scopes", nil, "okta.* scopes to grant, comma-separated (required)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	_ = cmd.MarkFlagRequired("scopes")
	return cmd
}
