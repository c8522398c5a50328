package main

import (
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/latchkey/latchkey/internal/app"
	"github.com/latchkey/latchkey/internal/oktaapi"
	"github.com/latchkey/latchkey/internal/provision"
	"github.com/latchkey/latchkey/internal/store"
)

// withApp runs fn with the app opened on the configured store.
func (g *globals) withApp(cmd *cobra.Command, fn func(a *app.App) error) error {
	a, err := g.openApp(cmd.Context())
	if err != nil {
		return err
	}
	defer a.Close()
	return fn(a)
}

func newAuthServersCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "authservers", Short: "Manage custom authorization servers", Args: cobra.NoArgs}
	var in provision.AuthServerInput
	var asJSON bool
	create := &cobra.Command{
		Use:   "create --name NAME --audience URI [--description D] [--rotation AUTO|MANUAL] [--signing-alg RS256|ES256|EdDSA] [--json]",
		Short: "Create a custom authorization server (issuer {base}/oauth2/{id}) with its signing keys",
		Long: `Create a custom authorization server. Its issuer is {base_url}/oauth2/{id}
and its endpoints are under {issuer}/v1/. Like Okta, a new server has no
access policy: add one (latchkey policies create, latchkey rules create)
before it issues tokens.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return g.withApp(cmd, func(a *app.App) error {
				s, err := a.Provision.CreateAuthServer(cmd.Context(), in)
				if err != nil {
					return err
				}
				if asJSON {
					return writeJSON(cmd.OutOrStdout(), oktaapi.FromAuthServer(s, a.Config.BaseURL))
				}
				fmt.Fprintf(cmd.OutOrStdout(), "created authorization server %s\nissuer    %s/oauth2/%s\naudience  %s\n", s.ID, a.Config.BaseURL, s.ID, s.Audience)
				return nil
			})
		},
	}
	f := create.Flags()
	f.StringVar(&in.Name, "name", "", "the server's name (required)")
	f.StringVar(&in.Audience, "audience", "", "the aud of its access tokens, e.g. api://billing (required)")
	f.StringVar(&in.Description, "description", "", "a description")
	f.StringVar(&in.KeyRotationMode, "rotation", "AUTO", "signing key rotation: AUTO (every 90 days) or MANUAL (latchkey keys rotate)")
	f.StringVar(&in.SigningAlg, "signing-alg", "RS256", signingAlgHelp)
	f.BoolVar(&asJSON, "json", false, "print the server as one JSON object in Okta's shape")
	_ = create.MarkFlagRequired("name")
	_ = create.MarkFlagRequired("audience")

	var listJSON bool
	list := &cobra.Command{
		Use:   "list [--json]",
		Short: "List authorization servers (the org server is not listed)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return g.withApp(cmd, func(a *app.App) error {
				all, err := a.Store.ListAuthServers(cmd.Context())
				if err != nil {
					return err
				}
				out := []oktaapi.AuthServer{}
				for _, s := range all {
					if s.ID != store.OrgServerID {
						out = append(out, oktaapi.FromAuthServer(s, a.Config.BaseURL))
					}
				}
				if listJSON {
					return writeJSON(cmd.OutOrStdout(), out)
				}
				tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "ID\tSTATUS\tNAME\tAUDIENCE\tISSUER")
				for _, s := range out {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", s.ID, s.Status, s.Name, strings.Join(s.Audiences, ","), s.Issuer)
				}
				return tw.Flush()
			})
		},
	}
	list.Flags().BoolVar(&listJSON, "json", false, "print a JSON array in Okta's shape")
	cmd.AddCommand(create, list, newAuthServerUpdateCmd(g))
	cmd.AddCommand(newAuthServerRefCmds(g)...)
	return cmd
}

func newScopesCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "scopes", Short: "Manage the custom scopes of an authorization server", Args: cobra.NoArgs}
	var in provision.ScopeInput
	create := &cobra.Command{
		Use:   "create --authserver ID|NAME --name NAME [--description D] [--default] [--publish]",
		Short: "Create or replace a custom scope",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return g.withApp(cmd, func(a *app.App) error {
				if err := resolveServer(cmd.Context(), a, &in.AuthServerID); err != nil {
					return err
				}
				s, err := a.Provision.PutScope(cmd.Context(), in)
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "scope %s on %s (default %v, %s)\n", s.Name, s.AuthServerID, s.Default, s.MetadataPublish)
				return nil
			})
		},
	}
	f := create.Flags()
	f.StringVar(&in.AuthServerID, "authserver", "default", serverFlagHelp)
	f.StringVar(&in.Name, "name", "", "the scope, e.g. invoices:read (required)")
	f.StringVar(&in.Description, "description", "", "what the scope grants")
	f.BoolVar(&in.Default, "default", false, "grant it when a request asks for no scope")
	f.BoolVar(&in.Publish, "publish", false, "list it in the discovery documents")
	_ = create.MarkFlagRequired("name")

	var server string
	var asJSON bool
	list := &cobra.Command{
		Use:   "list [--authserver ID|NAME] [--json]",
		Short: "List the scopes of an authorization server, system scopes included",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return g.withApp(cmd, func(a *app.App) error {
				if err := resolveServer(cmd.Context(), a, &server); err != nil {
					return err
				}
				scopes, err := serverScopes(cmd.Context(), a, server)
				if err != nil {
					return err
				}
				out := []oktaapi.Scope{}
				for _, s := range scopes {
					out = append(out, oktaapi.FromScope(s))
				}
				if asJSON {
					return writeJSON(cmd.OutOrStdout(), out)
				}
				tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "NAME\tSYSTEM\tDEFAULT\tPUBLISH\tDESCRIPTION")
				for _, s := range out {
					fmt.Fprintf(tw, "%s\t%v\t%v\t%s\t%s\n", s.Name, s.System, s.Default, s.MetadataPublish, s.Description)
				}
				return tw.Flush()
			})
		},
	}
	list.Flags().StringVar(&server, "authserver", "default", serverFlagHelp)
	list.Flags().BoolVar(&asJSON, "json", false, "print a JSON array in Okta's shape")

	var delServer, delName string
	del := &cobra.Command{
		Use:   "delete --authserver ID|NAME --name NAME",
		Short: "Delete a custom scope",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return g.withApp(cmd, func(a *app.App) error {
				if err := resolveServer(cmd.Context(), a, &delServer); err != nil {
					return err
				}
				return a.Provision.DeleteScope(cmd.Context(), delServer, delName)
			})
		},
	}
	del.Flags().StringVar(&delServer, "authserver", "default", serverFlagHelp)
	del.Flags().StringVar(&delName, "name", "", "the scope (required)")
	_ = del.MarkFlagRequired("name")
	cmd.AddCommand(create, list, del)
	return cmd
}

// serverPath maps a CLI server id to the engine's: "org" is the org server.
func serverPath(id string) string {
	if id == store.OrgServerID {
		return ""
	}
	return id
}

func newClaimsCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "claims", Short: "Manage the custom claims of an authorization server", Args: cobra.NoArgs}
	var in provision.ClaimInput
	create := &cobra.Command{
		Use:   "create --authserver ID|NAME --name NAME --type RESOURCE|IDENTITY --value V [--value-type EXPRESSION|GROUPS] [--group-filter TYPE] [--scopes a,b] [--always]",
		Short: "Create a custom claim",
		Long: `Create a custom claim. RESOURCE claims go into access tokens, IDENTITY
claims into userinfo and, with --always, into ID tokens. The claim appears
only when one of --scopes is granted (any scope when none are given).

EXPRESSION values: user.login, user.email, user.firstName, user.lastName,
user.id, user.locale, user.status, app.clientId, or a double-quoted string.
GROUPS values: a group-name filter matched with --group-filter
(STARTS_WITH, EQUALS, CONTAINS or REGEX); the claim is the list of the
user's matching group names.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return g.withApp(cmd, func(a *app.App) error {
				if err := resolveServer(cmd.Context(), a, &in.AuthServerID); err != nil {
					return err
				}
				c, err := a.Provision.PutClaim(cmd.Context(), in)
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "claim %s (%s) on %s: %s %s\n", c.Name, c.ID, c.AuthServerID, c.ClaimType, c.Value)
				return nil
			})
		},
	}
	f := create.Flags()
	f.StringVar(&in.AuthServerID, "authserver", "default", serverFlagHelp)
	f.StringVar(&in.Name, "name", "", "the claim name (required)")
	f.StringVar(&in.ClaimType, "type", "", "RESOURCE (access token) or IDENTITY (ID token, userinfo) (required)")
	f.StringVar(&in.ValueType, "value-type", "EXPRESSION", "EXPRESSION or GROUPS")
	f.StringVar(&in.Value, "value", "", "the expression, or the group filter (required)")
	f.StringVar(&in.GroupFilterType, "group-filter", "", "for GROUPS: STARTS_WITH, EQUALS, CONTAINS or REGEX")
	f.StringSliceVar(&in.Scopes, "scopes", nil, "scopes that include the claim (default: any)")
	f.BoolVar(&in.AlwaysIncludeInToken, "always", false, "IDENTITY claims: also put it into ID tokens")
	_ = create.MarkFlagRequired("name")
	_ = create.MarkFlagRequired("type")

	var server string
	var asJSON bool
	list := &cobra.Command{
		Use:   "list [--authserver ID|NAME] [--json]",
		Short: "List the custom claims of an authorization server",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return g.withApp(cmd, func(a *app.App) error {
				if err := resolveServer(cmd.Context(), a, &server); err != nil {
					return err
				}
				claims, err := a.Store.ListClaims(cmd.Context(), server)
				if err != nil {
					return err
				}
				out := []oktaapi.Claim{}
				for _, c := range claims {
					out = append(out, oktaapi.FromClaim(c))
				}
				if asJSON {
					return writeJSON(cmd.OutOrStdout(), out)
				}
				tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "ID\tNAME\tTYPE\tVALUE_TYPE\tVALUE\tSCOPES")
				for _, c := range claims {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", c.ID, c.Name, c.ClaimType, c.ValueType, c.Value, strings.Join(c.Scopes, ","))
				}
				return tw.Flush()
			})
		},
	}
	list.Flags().StringVar(&server, "authserver", "default", serverFlagHelp)
	list.Flags().BoolVar(&asJSON, "json", false, "print a JSON array in Okta's shape")

	var delServer, delID string
	del := &cobra.Command{
		Use:   "delete --authserver ID|NAME --id CLAIM_ID",
		Short: "Delete a custom claim",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return g.withApp(cmd, func(a *app.App) error {
				if err := resolveServer(cmd.Context(), a, &delServer); err != nil {
					return err
				}
				return a.Provision.DeleteClaim(cmd.Context(), delServer, delID)
			})
		},
	}
	del.Flags().StringVar(&delServer, "authserver", "default", serverFlagHelp)
	del.Flags().StringVar(&delID, "id", "", "the claim id (required)")
	_ = del.MarkFlagRequired("id")
	cmd.AddCommand(create, list, del)
	return cmd
}

func newPoliciesCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "policies", Short: "Manage the access policies of an authorization server", Args: cobra.NoArgs}
	var in provision.PolicyInput
	create := &cobra.Command{
		Use:   "create --authserver ID|NAME --name NAME [--clients ALL_CLIENTS|ID,...] [--priority N] [--description D]",
		Short: "Create an access policy (which clients it governs)",
		Long: `Create an access policy. Policies are evaluated by priority (1 first); the
first ACTIVE policy whose clients include the requesting client decides,
through its first matching rule (latchkey rules create).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return g.withApp(cmd, func(a *app.App) error {
				if err := resolveServer(cmd.Context(), a, &in.AuthServerID); err != nil {
					return err
				}
				p, err := a.Provision.CreatePolicy(cmd.Context(), in)
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "policy %s %q on %s, priority %d, clients %s\n", p.ID, p.Name, p.AuthServerID, p.Priority, strings.Join(p.ClientIDs, ","))
				return nil
			})
		},
	}
	f := create.Flags()
	f.StringVar(&in.AuthServerID, "authserver", "default", serverFlagHelp)
	f.StringVar(&in.Name, "name", "", "the policy name (required)")
	f.StringVar(&in.Description, "description", "", "a description")
	f.IntVar(&in.Priority, "priority", 0, "evaluation order, 1 first (default: after the existing policies)")
	f.StringSliceVar(&in.ClientIDs, "clients", []string{store.AllClients}, "client ids the policy applies to, or ALL_CLIENTS")
	_ = create.MarkFlagRequired("name")

	var server string
	var asJSON bool
	list := &cobra.Command{
		Use:   "list [--authserver ID|NAME] [--json]",
		Short: "List the access policies of an authorization server with their rules",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return g.withApp(cmd, func(a *app.App) error {
				if err := resolveServer(cmd.Context(), a, &server); err != nil {
					return err
				}
				ps, err := a.Store.ListPolicies(cmd.Context(), server)
				if err != nil {
					return err
				}
				out := []oktaapi.Policy{}
				for _, p := range ps {
					rules, err := a.Store.ListRules(cmd.Context(), p.ID)
					if err != nil {
						return err
					}
					out = append(out, oktaapi.FromPolicy(p, rules))
				}
				if asJSON {
					return writeJSON(cmd.OutOrStdout(), out)
				}
				w := cmd.OutOrStdout()
				for _, p := range ps {
					fmt.Fprintf(w, "%d. policy %s %q %s clients=%s\n", p.Priority, p.ID, p.Name, p.Status, strings.Join(p.ClientIDs, ","))
					rules, _ := a.Store.ListRules(cmd.Context(), p.ID)
					for _, r := range rules {
						fmt.Fprintf(w, "   %d. rule %s %q %s grants=%s scopes=%s users=%s groups=%s access=%v refresh=%v window=%v\n",
							r.Priority, r.ID, r.Name, r.Status, strings.Join(r.GrantTypes, ","), strings.Join(r.Scopes, ","),
							strings.Join(r.UserIDs, ","), strings.Join(r.GroupIDs, ","), r.AccessTokenLifetime, r.RefreshTokenLifetime, r.RefreshTokenWindow)
					}
				}
				return nil
			})
		},
	}
	list.Flags().StringVar(&server, "authserver", "default", serverFlagHelp)
	list.Flags().BoolVar(&asJSON, "json", false, "print a JSON array of policies (rules included)")

	var delServer, delID string
	del := &cobra.Command{
		Use:   "delete --authserver ID|NAME --id POLICY_ID",
		Short: "Delete an access policy and its rules",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return g.withApp(cmd, func(a *app.App) error {
				if err := resolveServer(cmd.Context(), a, &delServer); err != nil {
					return err
				}
				return a.Provision.DeletePolicy(cmd.Context(), delServer, delID)
			})
		},
	}
	del.Flags().StringVar(&delServer, "authserver", "default", serverFlagHelp)
	del.Flags().StringVar(&delID, "id", "", "the policy id (required)")
	_ = del.MarkFlagRequired("id")
	cmd.AddCommand(create, list, del)
	return cmd
}

func newRulesCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "rules", Short: "Manage the rules of an access policy", Args: cobra.NoArgs}
	var in provision.RuleInput
	var users, groups []string
	create := &cobra.Command{
		Use:   "create --authserver ID|NAME --policy POLICY_ID --name NAME --grant-types G,... [--scopes S,...] [--users U,...] [--groups G,...] [lifetimes]",
		Short: "Create a policy rule (grant types, people, scopes, token lifetimes)",
		Long: `Create a policy rule. Rules are evaluated by priority (1 first); the first
ACTIVE rule whose grant types include the request's, whose people include
the user (by id or login, by group id or name, or EVERYONE), and whose
scopes allow every requested scope ("*" allows all) decides the lifetimes.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return g.withApp(cmd, func(a *app.App) error {
				if err := resolveServer(cmd.Context(), a, &in.AuthServerID); err != nil {
					return err
				}
				var err error
				if in.UserIDs, err = resolveUsers(cmd, a, users); err != nil {
					return err
				}
				if in.GroupIDs, err = resolveGroups(cmd, a, groups); err != nil {
					return err
				}
				r, err := a.Provision.CreateRule(cmd.Context(), in)
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "rule %s %q in policy %s, priority %d\n", r.ID, r.Name, r.PolicyID, r.Priority)
				return nil
			})
		},
	}
	f := create.Flags()
	f.StringVar(&in.AuthServerID, "authserver", "default", serverFlagHelp)
	f.StringVar(&in.PolicyID, "policy", "", "the policy id (required)")
	f.StringVar(&in.Name, "name", "", "the rule name (required)")
	f.IntVar(&in.Priority, "priority", 0, "evaluation order, 1 first (default: after the existing rules)")
	f.StringSliceVar(&in.GrantTypes, "grant-types", nil, "grant types the rule covers: password, refresh_token, client_credentials (required)")
	f.StringSliceVar(&in.Scopes, "scopes", []string{"*"}, `scopes the rule allows; "*" allows every scope`)
	f.StringSliceVar(&users, "users", nil, "user ids or logins the rule applies to")
	f.StringSliceVar(&groups, "groups", nil, "group ids or names the rule applies to, or EVERYONE (default: everyone when no users are given)")
	f.DurationVar(&in.AccessTokenLifetime, "access-token-lifetime", time.Hour, "access token lifetime, 5m to 24h")
	f.DurationVar(&in.RefreshTokenLifetime, "refresh-token-lifetime", 0, "refresh token absolute lifetime; 0 is unlimited")
	f.DurationVar(&in.RefreshTokenWindow, "refresh-token-window", 7*24*time.Hour, "refresh token idle window")
	f.BoolVar(&in.RequireMFA, "require-mfa", false, "password logins the rule matches need a second factor (TOTP) before tokens")
	_ = create.MarkFlagRequired("policy")
	_ = create.MarkFlagRequired("name")
	_ = create.MarkFlagRequired("grant-types")

	var delPolicy, delID string
	del := &cobra.Command{
		Use:   "delete --policy POLICY_ID --id RULE_ID",
		Short: "Delete a policy rule",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return g.withApp(cmd, func(a *app.App) error { return a.Store.DeleteRule(cmd.Context(), delPolicy, delID) })
		},
	}
	del.Flags().StringVar(&delPolicy, "policy", "", "the policy id (required)")
	del.Flags().StringVar(&delID, "id", "", "the rule id (required)")
	_ = del.MarkFlagRequired("policy")
	_ = del.MarkFlagRequired("id")
	cmd.AddCommand(create, newRulesListCmd(g), del)
	return cmd
}

// resolveUsers maps user ids or logins to ids.
func resolveUsers(cmd *cobra.Command, a *app.App, refs []string) ([]string, error) {
	var out []string
	for _, ref := range refs {
		u, err := a.Store.GetUser(cmd.Context(), ref)
		if errors.Is(err, store.ErrNotFound) {
			u, err = a.Store.GetUserByLogin(cmd.Context(), ref)
		}
		if err != nil {
			return nil, fmt.Errorf("user %q: %w", ref, err)
		}
		out = append(out, u.ID)
	}
	return out, nil
}

// resolveGroups maps group ids or names (or EVERYONE) to ids.
func resolveGroups(cmd *cobra.Command, a *app.App, refs []string) ([]string, error) {
	var out []string
	for _, ref := range refs {
		if ref == store.Everyone {
			out = append(out, ref)
			continue
		}
		gr, err := a.Store.GetGroup(cmd.Context(), ref)
		if errors.Is(err, store.ErrNotFound) {
			gr, err = a.Store.GetGroupByName(cmd.Context(), ref)
		}
		if err != nil {
			return nil, fmt.Errorf("group %q: %w", ref, err)
		}
		out = append(out, gr.ID)
	}
	return out, nil
}

func newGroupsCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "groups", Short: "Manage groups and their members", Args: cobra.NoArgs}
	var name, desc string
	create := &cobra.Command{
		Use:   "create --name NAME [--description D]",
		Short: "Create a group",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return g.withApp(cmd, func(a *app.App) error {
				gr, err := a.Provision.CreateGroup(cmd.Context(), name, desc)
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "created group %s (%s)\n", gr.ID, gr.Name)
				return nil
			})
		},
	}
	create.Flags().StringVar(&name, "name", "", "the group name, unique (required)")
	create.Flags().StringVar(&desc, "description", "", "a description")
	_ = create.MarkFlagRequired("name")

	var asJSON bool
	list := &cobra.Command{
		Use:   "list [--json]",
		Short: "List groups",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return g.withApp(cmd, func(a *app.App) error {
				gs, err := listAll(cmd.Context(), a.Store.ListGroups, func(g store.Group) string { return g.ID })
				if err != nil {
					return err
				}
				out := []oktaapi.Group{}
				for _, gr := range gs {
					out = append(out, oktaapi.FromGroup(gr))
				}
				if asJSON {
					return writeJSON(cmd.OutOrStdout(), out)
				}
				tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "ID\tTYPE\tNAME\tDESCRIPTION")
				for _, gr := range gs {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", gr.ID, gr.Type, gr.Name, gr.Description)
				}
				return tw.Flush()
			})
		},
	}
	list.Flags().BoolVar(&asJSON, "json", false, "print a JSON array in Okta's shape")

	member := func(use, short string, add bool) *cobra.Command {
		var group, user string
		c := &cobra.Command{
			Use:   use + " --group GROUP --user USER",
			Short: short,
			Args:  cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				return g.withApp(cmd, func(a *app.App) error {
					gids, err := resolveGroups(cmd, a, []string{group})
					if err != nil {
						return err
					}
					uids, err := resolveUsers(cmd, a, []string{user})
					if err != nil {
						return err
					}
					if add {
						return a.Provision.AddGroupMember(cmd.Context(), gids[0], uids[0])
					}
					return a.Provision.RemoveGroupMember(cmd.Context(), gids[0], uids[0])
				})
			},
		}
		c.Flags().StringVar(&group, "group", "", "group id or name (required)")
		c.Flags().StringVar(&user, "user", "", "user id or login (required)")
		_ = c.MarkFlagRequired("group")
		_ = c.MarkFlagRequired("user")
		return c
	}
	cmd.AddCommand(create, list, member("add-user", "Add a user to a group", true), member("remove-user", "Remove a user from a group", false))
	cmd.AddCommand(newGroupsEditCmds(g)...)
	return cmd
}

// newAssignCmds are `clients assign` and `clients unassign`.
func newAssignCmds(g *globals) []*cobra.Command {
	mk := func(use, short string, assign bool) *cobra.Command {
		var client, user, group string
		c := &cobra.Command{
			Use:   use + " --client CLIENT_ID (--user USER | --group GROUP)",
			Short: short,
			Long: short + `. A user may get tokens for a client only when assigned to it,
directly or through a group; new clients are assigned to the Everyone group.`,
			Args: cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				if (user == "") == (group == "") {
					return errors.New("give exactly one of --user and --group")
				}
				return g.withApp(cmd, func(a *app.App) error {
					if _, err := a.Store.GetClient(cmd.Context(), client); err != nil {
						return fmt.Errorf("client %q: %w", client, err)
					}
					var ids []string
					var err error
					if user != "" {
						ids, err = resolveUsers(cmd, a, []string{user})
					} else {
						ids, err = resolveGroups(cmd, a, []string{group})
					}
					if err != nil {
						return err
					}
					if assign {
						return a.Provision.AssignClient(cmd.Context(), client, ids[0])
					}
					return a.Provision.UnassignClient(cmd.Context(), client, ids[0])
				})
			},
		}
		c.Flags().StringVar(&client, "client", "", "client id (required)")
		c.Flags().StringVar(&user, "user", "", "user id or login")
		c.Flags().StringVar(&group, "group", "", "group id or name (Everyone for all users)")
		_ = c.MarkFlagRequired("client")
		return c
	}
	return []*cobra.Command{mk("assign", "Assign a user or group to a client", true), mk("unassign", "Remove a user's or group's assignment to a client", false)}
}
