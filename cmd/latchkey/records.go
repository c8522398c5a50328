package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/latchkey/latchkey/internal/app"
	"github.com/latchkey/latchkey/internal/oauth"
	"github.com/latchkey/latchkey/internal/oktaapi"
	"github.com/latchkey/latchkey/internal/policy"
	"github.com/latchkey/latchkey/internal/provision"
	"github.com/latchkey/latchkey/internal/store"
)

// openApp builds the app for a management command, on the same store a
// running server uses.
func (g *globals) openApp(ctx context.Context) (*app.App, error) {
	cfg, err := g.loadExisting()
	if err != nil {
		return nil, err
	}
	return app.Open(ctx, cfg, app.Options{})
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// readSecretLine reads one line from r (a password or secret piped in),
// without its line ending.
func readSecretLine(r io.Reader) (string, error) {
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", errors.New("nothing read from standard input")
	}
	return line, nil
}

// passwordFromStdin reads the password of a --password-stdin command.
func passwordFromStdin(cmd *cobra.Command, given bool) (string, error) {
	if !given {
		return "", errors.New("--password-stdin is required: pipe the password in, so that it stays out of the shell history and process list")
	}
	pw, err := readSecretLine(cmd.InOrStdin())
	if err != nil {
		return "", fmt.Errorf("read password: %w", err)
	}
	return pw, nil
}

func newUsersCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "users", Short: "Manage users", Args: cobra.NoArgs}
	cmd.AddCommand(newUsersCreateCmd(g), newUsersListCmd(g))
	cmd.AddCommand(newLifecycleCmds(g)...)
	cmd.AddCommand(newFactorsCmd(g))
	return cmd
}

func newUsersCreateCmd(g *globals) *cobra.Command {
	var in provision.UserInput
	var passwordStdin, asJSON bool
	cmd := &cobra.Command{
		Use:   "create --login LOGIN --password-stdin [--email E] [--first-name F] [--last-name L] [--json]",
		Short: "Create an ACTIVE user; the password is read from standard input",
		Example: `  printf '%s\n' 'a long passphrase' | latchkey users create --db latchkey-dev.db \
      --login ada@example.com --email ada@example.com --first-name Ada --last-name Lovelace --password-stdin`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			pw, err := passwordFromStdin(cmd, passwordStdin)
			if err != nil {
				return err
			}
			in.Password = pw
			a, err := g.openApp(cmd.Context())
			if err != nil {
				return err
			}
			defer a.Close()
			u, err := a.Provision.CreateUser(cmd.Context(), in)
			if err != nil {
				return explainPasswordError(err)
			}
			if asJSON {
				return writeJSON(cmd.OutOrStdout(), oktaapi.FromUser(u))
			}
			fmt.Fprintf(cmd.OutOrStdout(), "created user %s (%s), status %s\n", u.ID, u.Login, u.Status)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&in.Login, "login", "", "unique login, usually an email address (required)")
	f.StringVar(&in.Email, "email", "", "email address")
	f.StringVar(&in.FirstName, "first-name", "", "first (given) name")
	f.StringVar(&in.LastName, "last-name", "", "last (family) name")
	f.BoolVar(&passwordStdin, "password-stdin", false,
		"read the password from the first line of standard input; it must satisfy the config's password_policy "+
			"(by default at least 8 characters, not the login or a name, not a common password)")
	f.BoolVar(&asJSON, "json", false, "print the user as one JSON object in Okta's shape")
	_ = cmd.MarkFlagRequired("login")
	return cmd
}

// explainPasswordError spells out a password refused by the policy, one
// cause a line, in Okta's words; other errors pass unchanged.
func explainPasswordError(err error) error {
	var pe *provision.PasswordError
	if !errors.As(err, &pe) {
		return err
	}
	var b strings.Builder
	b.WriteString("the password was refused (" + provision.PasswordErrorCode + " " + provision.PasswordErrorSummary + "):")
	for _, c := range pe.Causes {
		b.WriteString("\n  - " + strings.TrimPrefix(c, "password: "))
	}
	return errors.New(b.String())
}

func newUsersListCmd(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list [--json]",
		Short: "List users",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			a, err := g.openApp(cmd.Context())
			if err != nil {
				return err
			}
			defer a.Close()
			users, err := listAll(cmd.Context(), a.Store.ListUsers, func(u store.User) string { return u.ID })
			if err != nil {
				return err
			}
			out := []oktaapi.User{}
			for _, u := range users {
				out = append(out, oktaapi.FromUser(u))
			}
			if asJSON {
				return writeJSON(cmd.OutOrStdout(), out)
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tSTATUS\tLOGIN\tEMAIL\tNAME")
			for _, u := range out {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", u.ID, u.Status, u.Profile.Login, u.Profile.Email,
					strings.TrimSpace(u.Profile.FirstName+" "+u.Profile.LastName))
			}
			return tw.Flush()
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print a JSON array of users in Okta's shape")
	return cmd
}

func newClientsCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "clients", Short: "Manage OAuth clients (Okta OIDC apps)", Args: cobra.NoArgs}
	cmd.AddCommand(newClientsCreateCmd(g), newClientsListCmd(g), newClientsGrantCmd(g))
	cmd.AddCommand(newAssignCmds(g)...)
	cmd.AddCommand(newClientLifecycleCmds(g)...)
	cmd.AddCommand(newClientSecretsCmd(g), newClientAssignmentsCmd(g))
	return cmd
}

func newClientsCreateCmd(g *globals) *cobra.Command {
	var in provision.ClientInput
	var asJSON bool
	var jwksFile string
	var leeway time.Duration
	cmd := &cobra.Command{
		Use:   "create --name NAME [--grant-types password] [--auth-method METHOD] [--jwks-file PATH | --jwks-uri URL] [--json]",
		Short: "Create a client; its secret, if it has one, is printed once",
		Long: `Create a client. The token endpoint auth method decides how it authenticates:

  client_secret_basic  secret in HTTP Basic (the default)
  client_secret_post   secret in the form body
  client_secret_jwt    a client_assertion JWT signed HS256 with the secret
  private_key_jwt      a client_assertion JWT signed RS256 or ES256 with a key
                       of the client's JWKS: --jwks-file or --jwks-uri
  none                 a public client: client_id only, no secret

The client id and secret are printed once: the secret is stored only as a
keyed hash (sealed with the master key too for client_secret_jwt) and cannot
be shown again. none and private_key_jwt clients have no secret.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if cmd.Flags().Changed("refresh-leeway") {
				in.RefreshLeeway = &leeway
			}
			if jwksFile != "" {
				b, err := os.ReadFile(jwksFile)
				if err != nil {
					return fmt.Errorf("--jwks-file: %w", err)
				}
				in.JWKS = b
			}
			a, err := g.openApp(cmd.Context())
			if err != nil {
				return err
			}
			defer a.Close()
			c, secret, err := a.Provision.CreateClient(cmd.Context(), in)
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(cmd.OutOrStdout(), oktaapi.FromClient(c, secret))
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "client_id      %s\n", c.ID)
			if secret != "" {
				fmt.Fprintf(out, "client_secret  %s\n", secret)
			}
			fmt.Fprintf(out, "auth method    %s\ngrant types    %s\n", c.TokenEndpointAuthMethod, strings.Join(c.GrantTypes, ","))
			switch {
			case c.JWKSURI != "":
				fmt.Fprintf(out, "jwks uri       %s\n", c.JWKSURI)
			case len(c.JWKS) > 0:
				fmt.Fprintf(out, "jwks           inline, from %s\n", jwksFile)
			}
			if secret != "" {
				fmt.Fprintln(out, "\nThe secret is shown only now; store it safely.")
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&in.Name, "name", "", "the client's display name (required)")
	f.StringSliceVar(&in.GrantTypes, "grant-types", []string{policy.GrantPassword}, "grant types the client may use, comma-separated; supported: "+strings.Join(policy.SupportedGrants, ", "))
	f.StringVar(&in.AuthMethod, "auth-method", oauth.AuthSecretBasic, "token endpoint auth method: "+strings.Join(oauth.AuthMethods, ", "))
	f.StringVar(&jwksFile, "jwks-file", "", "private_key_jwt: a file holding the client's public JWK Set (each key with a kid)")
	f.StringVar(&in.JWKSURI, "jwks-uri", "", "private_key_jwt: the https URL where the client publishes its JWK Set")
	f.StringVar(&in.RefreshRotation, "refresh-rotation", "ROTATE", "refresh tokens: ROTATE (a new one at each use) or STATIC")
	f.DurationVar(&leeway, "refresh-leeway", 30*time.Second, "how long a rotated refresh token may be retried, 0s to 60s")
	f.BoolVar(&in.NoEveryone, "no-everyone", false, "do not assign the client to the Everyone group (assign users or groups with: clients assign)")
	f.BoolVar(&asJSON, "json", false, "print the client as one JSON object in Okta's app shape (client_secret included this once)")
	cmd.MarkFlagsMutuallyExclusive("jwks-file", "jwks-uri")
	_ = cmd.MarkFlagRequired("name")
	return cmd
}

func newClientsListCmd(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list [--json]",
		Short: "List clients (never their secrets)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			a, err := g.openApp(cmd.Context())
			if err != nil {
				return err
			}
			defer a.Close()
			clients, err := listAll(cmd.Context(), a.Store.ListClients, func(c store.Client) string { return c.ID })
			if err != nil {
				return err
			}
			out := []oktaapi.App{}
			for _, c := range clients {
				out = append(out, oktaapi.FromClient(c, ""))
			}
			if asJSON {
				return writeJSON(cmd.OutOrStdout(), out)
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "CLIENT_ID\tSTATUS\tAUTH_METHOD\tGRANT_TYPES\tNAME")
			for _, c := range out {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", c.ID, c.Status, c.Credentials.OAuthClient.TokenEndpointAuthMethod,
					strings.Join(c.Settings.OAuthClient.GrantTypes, ","), c.Label)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print a JSON array of clients in Okta's app shape")
	return cmd
}

// listAll reads every page of a paged store list.
func listAll[T any](ctx context.Context, list func(context.Context, store.Page) ([]T, error), id func(T) string) ([]T, error) {
	const size = 200
	var out []T
	after := ""
	for {
		page, err := list(ctx, store.Page{After: after, Limit: size})
		if err != nil {
			return nil, err
		}
		out = append(out, page...)
		if len(page) < size {
			return out, nil
		}
		after = id(page[len(page)-1])
	}
}
