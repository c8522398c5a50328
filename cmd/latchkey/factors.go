package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	qrcode "github.com/skip2/go-qrcode"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/latchkey/latchkey/internal/provision"
	"github.com/latchkey/latchkey/internal/store"
)

// newFactorsCmd is `latchkey users factors`: a user's second factors.
func newFactorsCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "factors", Short: "Manage a user's second factors (TOTP) and recovery codes", Args: cobra.NoArgs}
	cmd.AddCommand(newFactorsEnrollCmd(g), newFactorsActivateCmd(g), newFactorsListCmd(g), newFactorsResetCmd(g), newFactorsRecoveryCmd(g))
	return cmd
}

// factorJSON is a factor as the CLI prints it; never its secret.
type factorJSON struct {
	ID            string    `json:"id"`
	UserID        string    `json:"user_id"`
	FactorType    string    `json:"factorType"`
	Provider      string    `json:"provider"`
	Status        string    `json:"status"`
	RecoveryCodes int       `json:"recovery_codes_left"`
	Created       time.Time `json:"created"`
	LastUpdated   time.Time `json:"lastUpdated"`
}

func toFactorJSON(f store.Factor) factorJSON {
	return factorJSON{ID: f.ID, UserID: f.UserID, FactorType: f.Type, Provider: f.Provider, Status: f.Status,
		RecoveryCodes: len(f.RecoveryCodes), Created: f.CreatedAt, LastUpdated: f.UpdatedAt}
}

func newFactorsEnrollCmd(g *globals) *cobra.Command {
	var typ, provider string
	var asJSON, qr bool
	cmd := &cobra.Command{
		Use:   "enroll ID|LOGIN --type totp [--provider OKTA|GOOGLE] [--json] [--qr]",
		Short: "Enrol a TOTP factor: prints the otpauth:// URI (and a QR code on a terminal); PENDING until activated",
		Example: `  latchkey users factors enroll ada@example.com --type totp
  latchkey users factors activate ada@example.com --code 123456`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if typ != "totp" {
				return fmt.Errorf("--type must be totp (the only factor type Latchkey offers)")
			}
			a, err := g.openApp(cmd.Context())
			if err != nil {
				return err
			}
			defer a.Close()
			e, err := a.Provision.EnrollTOTP(cmd.Context(), args[0], strings.ToUpper(provider))
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if asJSON {
				return writeJSON(out, struct {
					factorJSON
					OtpauthURI string `json:"otpauth_uri"`
					Secret     string `json:"secret"`
				}{toFactorJSON(e.Factor), e.URI, e.Secret})
			}
			fmt.Fprintf(out, "enrolled factor %s (%s) for user %s (%s), status %s\n", e.Factor.ID, e.Factor.Type, e.User.ID, e.User.Login, e.Factor.Status)
			fmt.Fprintf(out, "otpauth URI (shown once; it holds the secret):\n%s\n", e.URI)
			fmt.Fprintf(out, "secret for manual entry: %s\n", e.Secret)
			if qr || isTerminal(out) {
				if err := writeQR(out, e.URI); err != nil {
					return err
				}
			}
			fmt.Fprintf(out, "activate with: latchkey users factors activate %s --code NNNNNN\n", e.User.Login)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&typ, "type", "", "factor type: totp (required)")
	f.StringVar(&provider, "provider", store.ProviderOkta, "provider the app shows: OKTA or GOOGLE")
	f.BoolVar(&asJSON, "json", false, "print the factor and its otpauth_uri as JSON")
	f.BoolVar(&qr, "qr", false, "print the QR code even when the output is not a terminal")
	_ = cmd.MarkFlagRequired("type")
	return cmd
}

// writeQR draws the URI as a QR code with half-block characters, two
// modules a character, as terminal authenticator set-ups do.
func writeQR(w io.Writer, uri string) error {
	q, err := qrcode.New(uri, qrcode.Medium)
	if err != nil {
		return fmt.Errorf("QR code: %w", err)
	}
	_, err = io.WriteString(w, q.ToSmallString(false))
	return err
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

func newFactorsActivateCmd(g *globals) *cobra.Command {
	var code string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "activate ID|LOGIN --code NNNNNN [--json]",
		Short: "Activate a pending TOTP factor with a code from the app; prints ten recovery codes, once",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := g.openApp(cmd.Context())
			if err != nil {
				return err
			}
			defer a.Close()
			f, codes, err := a.Provision.ActivateTOTP(cmd.Context(), args[0], code)
			if err != nil {
				return factorErr(err)
			}
			out := cmd.OutOrStdout()
			if asJSON {
				return writeJSON(out, struct {
					factorJSON
					RecoveryCodes []string `json:"recovery_codes"`
				}{toFactorJSON(f), codes})
			}
			fmt.Fprintf(out, "activated factor %s, status %s\n", f.ID, f.Status)
			writeRecoveryCodes(out, codes)
			return nil
		},
	}
	cmd.Flags().StringVar(&code, "code", "", "the six-digit code the app shows (required)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the factor and its recovery codes as JSON")
	_ = cmd.MarkFlagRequired("code")
	return cmd
}

func writeRecoveryCodes(w io.Writer, codes []string) {
	fmt.Fprintln(w, "recovery codes (each works once; they are not shown again):")
	for _, c := range codes {
		fmt.Fprintf(w, "  %s\n", c)
	}
}

// factorErr explains a refused code without saying more than the code was
// wrong, used or there is no factor to activate.
func factorErr(err error) error {
	switch {
	case errors.Is(err, provision.ErrBadCode):
		return fmt.Errorf("the code is wrong, expired or already used: %w", err)
	case errors.Is(err, provision.ErrNoFactor):
		return fmt.Errorf("no pending TOTP factor to activate (enroll one first): %w", err)
	}
	return err
}

func newFactorsListCmd(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list ID|LOGIN [--json]",
		Short: "List a user's factors",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := g.openApp(cmd.Context())
			if err != nil {
				return err
			}
			defer a.Close()
			_, fs, err := a.Provision.ListFactors(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if asJSON {
				list := make([]factorJSON, 0, len(fs))
				for _, f := range fs {
					list = append(list, toFactorJSON(f))
				}
				return writeJSON(out, list)
			}
			tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tTYPE\tPROVIDER\tSTATUS\tRECOVERY CODES LEFT\tCREATED")
			for _, f := range fs {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\n", f.ID, f.Type, f.Provider, f.Status, len(f.RecoveryCodes), f.CreatedAt.Format(time.RFC3339))
			}
			return tw.Flush()
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func newFactorsResetCmd(g *globals) *cobra.Command {
	var factorID string
	cmd := &cobra.Command{
		Use:   "reset ID|LOGIN [--factor ID]",
		Short: "Remove a user's factors (all, or one) with their recovery codes",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := g.openApp(cmd.Context())
			if err != nil {
				return err
			}
			defer a.Close()
			n, err := a.Provision.ResetFactors(cmd.Context(), args[0], factorID)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "removed %d factor(s)\n", n)
			return nil
		},
	}
	cmd.Flags().StringVar(&factorID, "factor", "", "remove only this factor")
	return cmd
}

func newFactorsRecoveryCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "recovery-codes ID|LOGIN",
		Short: "Replace a user's recovery codes with ten new ones, shown once",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := g.openApp(cmd.Context())
			if err != nil {
				return err
			}
			defer a.Close()
			codes, err := a.Provision.NewRecoveryCodes(cmd.Context(), args[0])
			if err != nil {
				return factorErr(err)
			}
			writeRecoveryCodes(cmd.OutOrStdout(), codes)
			return nil
		},
	}
	return cmd
}
