package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/latchkey/latchkey/internal/app"
	"github.com/latchkey/latchkey/internal/keys"
	"github.com/latchkey/latchkey/internal/oktaapi"
	"github.com/latchkey/latchkey/internal/store"
)

func newKeysCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "keys",
		Short: "Manage the master key and signing keys",
		Long: `Manage the master key and the signing keys of authorization servers.

Each authorization server has an ACTIVE key (signs tokens), a NEXT key
(published in the JWKS, signs after the next rotation) and EXPIRED keys
(published until the tokens they signed have expired, then deleted).
A running server rotates keys on its own; see docs/keys.md.`,
		Args: cobra.NoArgs,
	}
	cmd.AddCommand(newKeysInitMasterCmd(), newKeysRotateCmd(g), newKeysListCmd(g))
	return cmd
}

func newKeysInitMasterCmd() *cobra.Command {
	var file string
	cmd := &cobra.Command{
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
	cmd.Flags().StringVar(&file, "file", "", "path of the new key file (required)")
	_ = cmd.MarkFlagRequired("file")
	return cmd
}

// openAuthServer opens the app and resolves *ref, an authorization
// server's id or name ("org" for the org server), to an existing server's
// id, so that a typo is not taken for a server without keys.
func (g *globals) openAuthServer(ctx context.Context, ref *string) (*app.App, error) {
	a, err := g.openApp(ctx)
	if err != nil {
		return nil, err
	}
	if err := resolveServer(ctx, a, ref); err != nil {
		a.Close()
		return nil, err
	}
	if _, err := a.Store.GetAuthServer(ctx, *ref); err != nil {
		a.Close()
		if errors.Is(err, store.ErrNotFound) {
			return nil, fmt.Errorf("authorization server %q not found", *ref)
		}
		return nil, err
	}
	return a, nil
}

func newKeysRotateCmd(g *globals) *cobra.Command {
	var authServer string
	cmd := &cobra.Command{
		Use:   "rotate [--authserver ID|NAME]",
		Short: "Rotate an authorization server's signing keys now",
		Long: `Rotate an authorization server's signing keys now, whatever its rotation
mode: the NEXT key becomes ACTIVE and signs, the ACTIVE key becomes EXPIRED
(still published until the tokens it signed have expired), and a new NEXT
key is published. Tokens already issued stay valid.

Running servers sharing the store start signing with the new ACTIVE key
within 30 seconds. If another instance rotates at the same moment, only one
rotation happens and this command prints its result.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			a, err := g.openAuthServer(ctx, &authServer)
			if err != nil {
				return err
			}
			defer a.Close()
			r, err := a.Keys.Rotate(ctx, authServer)
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			if r.Rotated {
				fmt.Fprintf(w, "rotated the signing keys of authorization server %s\n", authServer)
			} else {
				fmt.Fprintf(w, "another instance rotated the signing keys of authorization server %s first; they are now\n", authServer)
			}
			tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
			fmt.Fprintf(tw, "ACTIVE\t%s\t%s\tsigns from now on\n", r.Active.ID, r.Active.Alg)
			fmt.Fprintf(tw, "NEXT\t%s\t%s\tpublished, signs after the next rotation\n", r.Next.ID, r.Next.Alg)
			if r.Rotated {
				fmt.Fprintf(tw, "EXPIRED\t%s\t%s\tpublished until %s, then deleted\n", r.Expired.ID, r.Expired.Alg,
					r.Expired.ExpiredAt.Add(a.Config.Keys.PublishExpiredFor.Duration).Format(time.RFC3339))
			}
			return tw.Flush()
		},
	}
	cmd.Flags().StringVar(&authServer, "authserver", "default", serverFlagHelp+` ("org": the org server)`)
	return cmd
}

func newKeysListCmd(g *globals) *cobra.Command {
	var authServer string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list [--authserver ID|NAME] [--json]",
		Short: "List an authorization server's signing keys (public parts only)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			a, err := g.openAuthServer(ctx, &authServer)
			if err != nil {
				return err
			}
			defer a.Close()
			ks, err := a.Store.ListKeys(ctx, authServer)
			if err != nil {
				return err
			}
			if asJSON {
				return writeKeysJSON(cmd.OutOrStdout(), ks, a.Config.Keys.PublishExpiredFor.Duration)
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "KID\tALG\tSTATUS\tCREATED\tACTIVATED\tEXPIRED")
			for _, k := range ks {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", k.ID, k.Alg, k.Status,
					stampOrDash(k.CreatedAt), stampOrDash(k.ActivatedAt), stampOrDash(k.ExpiredAt))
			}
			return tw.Flush()
		},
	}
	f := cmd.Flags()
	f.StringVar(&authServer, "authserver", "default", serverFlagHelp+` ("org": the org server)`)
	f.BoolVar(&asJSON, "json", false, "print a JSON array of keys in the shape of Okta's key objects")
	return cmd
}

func stampOrDash(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

// writeKeysJSON prints keys as Okta prints an authorization server's keys
// (oktaapi.FromKey, as the management API lists them).
func writeKeysJSON(w io.Writer, ks []store.SigningKey, publishFor time.Duration) error {
	out := make([]map[string]any, 0, len(ks))
	for _, k := range ks {
		obj, err := oktaapi.FromKey(k, publishFor)
		if err != nil {
			return err
		}
		out = append(out, obj)
	}
	return writeJSON(w, out)
}
