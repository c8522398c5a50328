package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/latchkey/latchkey/verifier"
)

// newVerifyCmd checks an access token the way a resource server does, with
// the public verifier package: discovery, JWKS, signature and claims.
func newVerifyCmd() *cobra.Command {
	var (
		issuer, audience, jwksURL string
		clientIDs, scopes, algs   []string
		leeway, timeout           time.Duration
	)
	cmd := &cobra.Command{
		Use:   "verify --issuer URL --audience AUD [--cid ID]... [--scope S]... [-]",
		Short: "Check an access token as a resource server would and print its claims",
		Long: `Verify an access token with the same checks a resource server makes through
the verifier package: the issuer's discovery document and JWKS, the
signature (RS256 unless --alg lists others, such as ES256 or EdDSA for an
authorization server with that signing algorithm), iss, aud, exp, nbf and iat (with leeway), and, when given, the
client id (cid) and the scopes (scp).

On success the claims are printed as indented JSON and the exit status is 0.
A rejected token prints "token rejected: <reason>" to standard error and exits
with status 1; when the issuer cannot be reached to get its keys, the exit
status is 2.

The token is read from standard input (with no argument, or "-"): an access
token is a bearer secret, and an argument is visible to every user in the
process list. A token given as the argument still works for this release,
with a warning, and will be refused in the next.`,
		Example: `  echo "$ACCESS_TOKEN" | latchkey verify --issuer http://127.0.0.1:8080/oauth2/default --audience api://default
  echo "$ACCESS_TOKEN" | latchkey verify --issuer http://127.0.0.1:8080/oauth2/default --scope openid -`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			arg := "-"
			if len(args) == 1 {
				arg = args[0]
			}
			if arg != "-" {
				fmt.Fprintln(cmd.ErrOrStderr(), "Passing the token as an argument is deprecated: it is visible to every user in the process list, "+
					"and will be refused in the next release; pipe it in on standard input")
			}
			token, err := readToken(arg, cmd.InOrStdin())
			if err != nil {
				return err
			}
			v, err := verifier.New(verifier.Config{
				Issuer:         issuer,
				Audience:       audience,
				ClientIDs:      clientIDs,
				RequiredScopes: scopes,
				Leeway:         leeway,
				JWKSURL:        jwksURL,
				FetchTimeout:   timeout,
				Algorithms:     algs,
			})
			if err != nil {
				return err
			}
			claims, err := v.Verify(cmd.Context(), token)
			if err != nil {
				reason := strings.TrimPrefix(err.Error(), "verifier: ")
				if errors.Is(err, verifier.ErrKeySetUnavailable) {
					fmt.Fprintln(cmd.ErrOrStderr(), "cannot check the token:", reason)
					return exitError{code: 2}
				}
				fmt.Fprintln(cmd.ErrOrStderr(), "token rejected:", reason)
				return exitError{code: 1}
			}
			out, err := json.MarshalIndent(claims, "", "  ")
			if err != nil {
				return err
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "%s\n", out)
			return err
		},
	}
	f := cmd.Flags()
	f.StringVar(&issuer, "issuer", "", "issuer URL, compared byte for byte with the token's iss (e.g. http://127.0.0.1:8080/oauth2/default)")
	f.StringVar(&audience, "audience", "api://default", "audience the token's aud must contain")
	f.StringArrayVar(&clientIDs, "cid", nil, "accepted client id (cid claim); repeat for several, omit to accept any client")
	f.StringArrayVar(&scopes, "scope", nil, "scope the token must grant (scp claim); repeat for several")
	f.StringArrayVar(&algs, "alg", nil, "accepted signing algorithm (RS256, ES256, EdDSA, …); repeat for several; default RS256")
	f.DurationVar(&leeway, "leeway", verifier.DefaultLeeway, "clock skew tolerated in the exp, nbf and iat checks; negative for none")
	f.StringVar(&jwksURL, "jwks-url", "", "JWKS URL to use instead of discovering jwks_uri from the issuer")
	f.DurationVar(&timeout, "timeout", verifier.DefaultFetchTimeout, "time limit for fetching the discovery document and the JWKS")
	_ = cmd.MarkFlagRequired("issuer")
	return cmd
}

// readToken returns the token argument, or standard input when it is "-".
func readToken(arg string, stdin io.Reader) (string, error) {
	if arg != "-" {
		return strings.TrimSpace(arg), nil
	}
	b, err := io.ReadAll(io.LimitReader(stdin, verifier.MaxTokenSize+2))
	if err != nil {
		return "", fmt.Errorf("read the token from standard input: %w", err)
	}
	token := strings.TrimSpace(string(b))
	if token == "" {
		return "", errors.New("no token on standard input")
	}
	return token, nil
}
