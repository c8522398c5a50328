package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

func newTokenCmd(getenv func(string) string) *cobra.Command {
	var issuer, clientID, username, scope, authMethod string
	var timeout time.Duration
	secret := &secretSource{what: "client secret", flag: "client-secret", env: "LATCHKEY_CLIENT_SECRET"}
	password := &secretSource{what: "user's password", flag: "password", env: "LATCHKEY_PASSWORD"}
	cmd := &cobra.Command{
		Use:   "token --issuer URL --client-id ID --client-secret-file FILE|--client-secret-stdin --username U --password-stdin [--scope \"openid profile\"]",
		Short: "Get tokens with the Resource Owner Password grant and print the response",
		Long: `Make the seed's call from the command line: POST {issuer}/v1/token with
grant_type=password, the username and password, the scope, and the client's
credentials (HTTP Basic by default). The token response JSON is printed to
standard output. On an error response the error JSON is printed and the exit
status is 1. Works against Latchkey and any Okta authorization server.

Secrets never go on the command line, where every user sees them in the
process list. Each of the two secrets comes from the first line of standard
input (--password-stdin, --client-secret-stdin), the first line of a file
(--password-file, --client-secret-file) or, when neither flag is given, an
environment variable (LATCHKEY_PASSWORD, LATCHKEY_CLIENT_SECRET). Standard
input carries one secret only: --password-stdin with --client-secret-stdin is
an error. The old --client-secret flag still works for this release, with a
warning, and will be removed.`,
		Example: `  printf '%s\n' "$PASSWORD" | latchkey token --issuer http://127.0.0.1:8080/oauth2/default \
      --client-id 0oa... --client-secret-file ~/.config/latchkey/client-secret --username demo@example.com --password-stdin

  printf '%s\n' "$PASSWORD" | LATCHKEY_CLIENT_SECRET=... latchkey token --issuer http://127.0.0.1:8080/oauth2/default \
      --client-id 0oa... --username demo@example.com --password-stdin`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if password.fromStdin() && secret.fromStdin() {
				return errors.New("--password-stdin and --client-secret-stdin cannot both read standard input: " +
					"give one of them with --password-file/LATCHKEY_PASSWORD or --client-secret-file/LATCHKEY_CLIENT_SECRET")
			}
			clientSecret, err := secret.read(cmd, getenv)
			if err != nil {
				return err
			}
			pw, err := password.read(cmd, getenv)
			if err != nil {
				return err
			}
			form := url.Values{"grant_type": {"password"}, "username": {username}, "password": {pw}, "scope": {scope}}
			req, err := http.NewRequestWithContext(cmd.Context(), http.MethodPost, strings.TrimRight(issuer, "/")+"/v1/token", nil)
			if err != nil {
				return err
			}
			switch authMethod {
			case "client_secret_basic":
				// RFC 6749 section 2.3.1: form-urlencode, then base64.
				cred := url.QueryEscape(clientID) + ":" + url.QueryEscape(clientSecret)
				req.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(cred)))
			case "client_secret_post":
				form.Set("client_id", clientID)
				form.Set("client_secret", clientSecret)
			default:
				return fmt.Errorf("--auth-method %q: want client_secret_basic or client_secret_post", authMethod)
			}
			body := form.Encode()
			req.Body = io.NopCloser(strings.NewReader(body))
			req.ContentLength = int64(len(body))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Accept", "application/json")
			resp, err := (&http.Client{Timeout: timeout}).Do(req)
			if err != nil {
				return err
			}
			defer resp.Body.Close()
			raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
			if err != nil {
				return err
			}
			var pretty bytes.Buffer
			if json.Indent(&pretty, raw, "", "  ") != nil {
				return fmt.Errorf("token endpoint answered %s with a body that is not JSON", resp.Status)
			}
			fmt.Fprintln(cmd.OutOrStdout(), pretty.String())
			if resp.StatusCode != http.StatusOK {
				fmt.Fprintf(cmd.ErrOrStderr(), "token request failed: %s\n", resp.Status)
				return exitError{code: 1}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&issuer, "issuer", "", "the authorization server's issuer URL, e.g. http://127.0.0.1:8080/oauth2/default (required)")
	f.StringVar(&clientID, "client-id", "", "the client id (required)")
	secret.flags(f, true)
	f.StringVar(&username, "username", "", "the user's login (required)")
	password.flags(f, false)
	f.StringVar(&scope, "scope", "openid", "space-separated scopes to request")
	f.StringVar(&authMethod, "auth-method", "client_secret_basic", "how to send the client credentials: client_secret_basic or client_secret_post")
	f.DurationVar(&timeout, "timeout", 30*time.Second, "how long to wait for the answer")
	for _, n := range []string{"issuer", "client-id", "username"} {
		_ = cmd.MarkFlagRequired(n)
	}
	return cmd
}
