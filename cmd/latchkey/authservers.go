package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/latchkey/latchkey/internal/app"
	"github.com/latchkey/latchkey/internal/oktaapi"
	"github.com/latchkey/latchkey/internal/provision"
	"github.com/latchkey/latchkey/internal/store"
)

// serverFlagHelp is the help of every --authserver flag.
const serverFlagHelp = "authorization server id or name"

// resolveServer rewrites *ref, an authorization server's id or name, to
// its id. "org" stays the org server's id where a command allows it. A
// name that several servers share is refused with their ids.
func resolveServer(ctx context.Context, a *app.App, ref *string) error {
	if *ref == store.OrgServerID {
		return nil
	}
	s, err := a.Provision.ResolveAuthServer(ctx, *ref)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return fmt.Errorf("authorization server %q not found", *ref)
	case err != nil:
		return err
	}
	*ref = s.ID
	return nil
}

// newAuthServerRefCmds are the commands that take one server as their
// argument: activate, deactivate and delete.
func newAuthServerRefCmds(g *globals) []*cobra.Command {
	status := func(use, short, long, status string) *cobra.Command {
		return &cobra.Command{
			Use:   use + " ID|NAME",
			Short: short,
			Long:  long,
			Args:  cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				return g.withApp(cmd, func(a *app.App) error {
					ref := args[0]
					if ref == store.OrgServerID {
						return errors.New("the org authorization server is not a custom server")
					}
					if err := resolveServer(cmd.Context(), a, &ref); err != nil {
						return err
					}
					s, err := a.Provision.SetAuthServerStatus(cmd.Context(), ref, status)
					if err != nil {
						return err
					}
					fmt.Fprintf(cmd.OutOrStdout(), "authorization server %s (%s) is %s\n", s.ID, s.Name, s.Status)
					return nil
				})
			},
		}
	}
	activate := status("activate", "Activate an authorization server", `Activate an authorization server: it issues tokens and serves its
discovery documents again.`, store.StatusActive)
	deactivate := status("deactivate", "Deactivate an authorization server (it stops issuing tokens)", `Deactivate an authorization server. At once on this instance (and within
the cache's invalidation on others), its endpoints, discovery and JWKS
included, answer as for an unknown server: it issues no tokens and its
introspection refuses the tokens it issued. Its configuration and keys
stay; activate brings it back.`, store.StatusInactive)
	del := &cobra.Command{
		Use:   "delete ID|NAME",
		Short: "Delete an INACTIVE authorization server with its scopes, claims, policies and keys",
		Long: `Delete an authorization server with its scopes, claims, policies, rules,
signing keys and refresh tokens. As in Okta, the server must be deactivated
first (latchkey authservers deactivate), and the default server cannot be
deleted. A name that several servers share is refused: give the id.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.withApp(cmd, func(a *app.App) error {
				ref := args[0]
				if ref == store.OrgServerID {
					return errors.New("the org authorization server cannot be deleted")
				}
				if err := resolveServer(cmd.Context(), a, &ref); err != nil {
					return err
				}
				if err := a.Provision.DeleteAuthServer(cmd.Context(), ref); err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "deleted authorization server %s\n", ref)
				return nil
			})
		},
	}
	return []*cobra.Command{activate, deactivate, del}
}

// resolvePolicy finds a policy of a server by id or, failing that, by
// name; a name that several policies share is refused with their ids.
func resolvePolicy(ctx context.Context, a *app.App, serverID, ref string) (store.Policy, error) {
	all, err := a.Store.ListPolicies(ctx, serverID)
	if err != nil {
		return store.Policy{}, err
	}
	var named []store.Policy
	for _, p := range all {
		if p.ID == ref {
			return p, nil
		}
		if p.Name == ref {
			named = append(named, p)
		}
	}
	switch len(named) {
	case 0:
		return store.Policy{}, fmt.Errorf("authorization server %s has no policy %q (latchkey policies list shows them)", serverID, ref)
	case 1:
		return named[0], nil
	}
	var idList []string
	for _, p := range named {
		idList = append(idList, p.ID)
	}
	return store.Policy{}, fmt.Errorf("%w: %d policies of %s are named %q (%s): use an id", provision.ErrAmbiguous, len(named), serverID, ref, strings.Join(idList, ", "))
}

func newRulesListCmd(g *globals) *cobra.Command {
	var server, policyRef string
	var asJSON bool
	list := &cobra.Command{
		Use:   "list [--authserver ID|NAME] --policy ID|NAME [--json]",
		Short: "List the rules of an access policy, in evaluation order",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return g.withApp(cmd, func(a *app.App) error {
				ctx := cmd.Context()
				if err := resolveServer(ctx, a, &server); err != nil {
					return err
				}
				p, err := resolvePolicy(ctx, a, server, policyRef)
				if err != nil {
					return err
				}
				rules, err := a.Provision.Rules(ctx, server, p.ID)
				if err != nil {
					return err
				}
				if asJSON {
					out := []oktaapi.Rule{}
					for _, r := range rules {
						out = append(out, oktaapi.FromRule(r))
					}
					return writeJSON(cmd.OutOrStdout(), out)
				}
				tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "PRIORITY\tID\tNAME\tSTATUS\tGRANTS\tSCOPES\tUSERS\tGROUPS\tMFA\tACCESS\tREFRESH\tWINDOW")
				for _, r := range rules {
					fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%v\t%v\t%v\n", r.Priority, r.ID, r.Name, r.Status,
						strings.Join(r.GrantTypes, ","), strings.Join(r.Scopes, ","), dashIfEmpty(r.UserIDs), dashIfEmpty(r.GroupIDs),
						mfaColumn(r.RequireMFA), r.AccessTokenLifetime, r.RefreshTokenLifetime, r.RefreshTokenWindow)
				}
				return tw.Flush()
			})
		},
	}
	f := list.Flags()
	f.StringVar(&server, "authserver", "default", serverFlagHelp)
	f.StringVar(&policyRef, "policy", "", "the policy id or name (required)")
	f.BoolVar(&asJSON, "json", false, "print a JSON array of rules in Okta's shape (the second factor as actions.appSignOn.verificationMethod.factorMode 1FA or 2FA)")
	_ = list.MarkFlagRequired("policy")
	return list
}

// mfaColumn is the MFA column of rules list: whether password logins the
// rule matches need a second factor (rules create --require-mfa).
func mfaColumn(required bool) string {
	if required {
		return "required"
	}
	return "-"
}

func dashIfEmpty(s []string) string {
	if len(s) == 0 {
		return "-"
	}
	return strings.Join(s, ",")
}

// serverScopes lists the scopes of a server, system scopes included: the
// org server's okta.* scopes, or a custom server's whatever its status.
func serverScopes(ctx context.Context, a *app.App, serverID string) ([]store.Scope, error) {
	if serverID != store.OrgServerID {
		return a.Provision.Scopes(ctx, serverID)
	}
	srv, err := a.Policy.Server(ctx, serverPath(serverID))
	if err != nil {
		return nil, err
	}
	return a.Policy.Scopes(ctx, srv)
}

// signingAlgHelp is the help of every --signing-alg flag.
const signingAlgHelp = "signing algorithm of the server's keys: RS256 (what Okta's verifiers require), ES256 or EdDSA (Ed25519)"

// newAuthServerUpdateCmd changes the settings of a server that are given as
// flags and keeps the others.
func newAuthServerUpdateCmd(g *globals) *cobra.Command {
	var name, description, audience, rotation, alg string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "update ID|NAME [--name NAME] [--audience URI] [--description D] [--rotation AUTO|MANUAL] [--signing-alg RS256|ES256|EdDSA] [--json]",
		Short: "Change an authorization server's name, audience, description, key rotation or signing algorithm",
		Long: `Change the settings given as flags; the others stay.

A new --signing-alg takes effect through the keys: a NEXT key of the new
algorithm is published at once (the NEXT key of the old algorithm, which
never signed, is withdrawn like an EXPIRED key), and it signs from the next
rotation, automatic or forced with latchkey keys rotate. Until then the
ACTIVE key keeps signing with its own algorithm, and every key that signed
stays published until its tokens expire, so no issued token stops
verifying. Resource servers must accept the new algorithm before it signs
(the verifier library's Config.Algorithms; discovery lists it at once).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.withApp(cmd, func(a *app.App) error {
				ctx := cmd.Context()
				ref := args[0]
				if ref == store.OrgServerID {
					return errors.New("the org authorization server is not a custom server")
				}
				s, err := a.Provision.ResolveAuthServer(ctx, ref)
				if errors.Is(err, store.ErrNotFound) {
					return fmt.Errorf("authorization server %q not found", ref)
				} else if err != nil {
					return err
				}
				in := provision.AuthServerInput{Name: s.Name, Description: s.Description, Audience: s.Audience, KeyRotationMode: s.KeyRotationMode}
				f := cmd.Flags()
				for flag, dst := range map[string]*string{"name": &in.Name, "description": &in.Description, "audience": &in.Audience,
					"rotation": &in.KeyRotationMode, "signing-alg": &in.SigningAlg} {
					if f.Changed(flag) {
						*dst, _ = f.GetString(flag)
					}
				}
				before := s.SigningAlg
				if s, err = a.Provision.UpdateAuthServer(ctx, s.ID, in); err != nil {
					return err
				}
				if asJSON {
					return writeJSON(cmd.OutOrStdout(), oktaapi.FromAuthServer(s, a.Config.BaseURL))
				}
				w := cmd.OutOrStdout()
				fmt.Fprintf(w, "updated authorization server %s (%s)\naudience     %s\nrotation     %s\nsigning alg  %s\n",
					s.ID, s.Name, s.Audience, s.KeyRotationMode, s.SigningAlg)
				if s.SigningAlg != before && before != "" {
					fmt.Fprintf(w, "a NEXT key of %s is published; it signs from the next rotation (latchkey keys rotate --authserver %s to rotate now)\n",
						s.SigningAlg, s.ID)
				}
				return nil
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&name, "name", "", "a new name")
	f.StringVar(&description, "description", "", "a new description")
	f.StringVar(&audience, "audience", "", "a new aud for its access tokens, e.g. api://billing")
	f.StringVar(&rotation, "rotation", "", "signing key rotation: AUTO (every 90 days) or MANUAL (latchkey keys rotate)")
	f.StringVar(&alg, "signing-alg", "", signingAlgHelp)
	f.BoolVar(&asJSON, "json", false, "print the server as one JSON object in Okta's shape")
	return cmd
}
