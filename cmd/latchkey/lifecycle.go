package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/latchkey/latchkey/internal/oktaapi"
	"github.com/latchkey/latchkey/internal/provision"
	"github.com/latchkey/latchkey/internal/store"
)

// lifecycleCmd describes one `latchkey users` lifecycle command.
type lifecycleCmd struct {
	name, short, long, done string
	run                     func(p *provision.Service, ctx context.Context, idOrLogin string) (store.User, error)
}

var lifecycleCmds = []lifecycleCmd{
	{name: "suspend", done: "suspended",
		short: "Suspend an ACTIVE user: no logins, and every token issued until now is revoked",
		long: `Suspend an ACTIVE user, as Okta's suspend does: the user becomes SUSPENDED
and cannot log in. Every refresh token of the user and every access or ID
token issued to the user until now is revoked for good: introspection
answers active:false at once, and unsuspending does not bring them back.`,
		run: (*provision.Service).SuspendUser},
	{name: "unsuspend", done: "unsuspended",
		short: "Make a SUSPENDED user ACTIVE again; tokens revoked by the suspension stay dead",
		long: `Make a SUSPENDED user ACTIVE again, as Okta's unsuspend does. The user logs
in again; tokens issued before the suspension stay revoked.`,
		run: (*provision.Service).UnsuspendUser},
	{name: "deactivate", done: "deactivated",
		short: "Deactivate a user (DEPROVISIONED): no logins, every token revoked",
		long: `Deactivate a user in any status but DEPROVISIONED, as Okta's deactivate does:
the user becomes DEPROVISIONED and cannot log in, and every token issued to
the user until now is revoked for good. Reactivate or delete it after.`,
		run: (*provision.Service).DeactivateUser},
	{name: "reactivate", done: "reactivated",
		short: "Activate a DEPROVISIONED (or STAGED) user: ACTIVE with a password, PROVISIONED without",
		long: `Activate a DEPROVISIONED or STAGED user, as Okta's activate does: a user who
has a password becomes ACTIVE and logs in with it; one without becomes
PROVISIONED until an operator sets one (users set-password). Tokens revoked
by the deactivation stay revoked.`,
		run: (*provision.Service).ReactivateUser},
	{name: "delete", done: "deleted",
		short: "Delete a DEPROVISIONED user for good (deactivate it first)",
		long: `Delete a DEPROVISIONED user for good, with its group memberships, client
assignments, password history and failed-login counts; its tokens are
revoked first. A user in any other status is refused: deactivate it first
(Okta's API deactivates on a first DELETE; this command never deletes an
active user by accident). The login is free again afterwards.`,
		run: (*provision.Service).DeleteUser},
	{name: "expire-password", done: "expired the password of",
		short: "Expire an ACTIVE user's password: logins answer \"Password has expired.\" until a new one is set",
		long: `Expire an ACTIVE user's password, as Okta's expire_password does: the user
becomes PASSWORD_EXPIRED, its logins answer "Password has expired." and its
tokens are not active. An operator then sets a new password
(users set-password), which makes the user ACTIVE and revokes every token
issued before.`,
		run: (*provision.Service).ExpirePassword},
	{name: "unlock", done: "unlocked",
		short: "End a user's lockout: clear failed-login counts and set LOCKED_OUT back to ACTIVE",
		long: `End a user's lockout, as Okta's unlock does. The login guard's failure
counts and locks for the user's login are cleared (from every source), and
a LOCKED_OUT user becomes ACTIVE. Sources the user logged in from before
stay known. A user who is not locked out keeps its status. Tokens revoked
by the lockout stay revoked.`,
		run: (*provision.Service).UnlockUser},
}

func newLifecycleCmds(g *globals) []*cobra.Command {
	out := make([]*cobra.Command, 0, len(lifecycleCmds)+1)
	for _, lc := range lifecycleCmds {
		out = append(out, newLifecycleCmd(g, lc))
	}
	return append(out, newUsersSetPasswordCmd(g))
}

func newLifecycleCmd(g *globals, lc lifecycleCmd) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   lc.name + " ID|LOGIN [--json]",
		Short: lc.short,
		Long:  lc.long,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := g.openApp(cmd.Context())
			if err != nil {
				return err
			}
			defer a.Close()
			u, err := lc.run(a.Provision, cmd.Context(), args[0])
			if err != nil {
				return explainLifecycleError(err)
			}
			if asJSON {
				return writeJSON(cmd.OutOrStdout(), oktaapi.FromUser(u))
			}
			if lc.name == "delete" {
				fmt.Fprintf(cmd.OutOrStdout(), "deleted user %s (%s)\n", u.ID, u.Login)
				return nil
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s user %s (%s), status %s\n", lc.done, u.ID, u.Login, u.Status)
			return nil
		},
	}
	usage := "print the user as one JSON object in Okta's shape"
	if lc.name == "delete" {
		usage = "print the deleted user, as it was, as one JSON object in Okta's shape"
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, usage)
	return cmd
}

func newUsersSetPasswordCmd(g *globals) *cobra.Command {
	var passwordStdin, asJSON bool
	cmd := &cobra.Command{
		Use:   "set-password ID|LOGIN --password-stdin [--json]",
		Short: "Give a user a new password, read from standard input; every token issued before is revoked",
		Long: `Give a user a new password, read from the first line of standard input. It
must satisfy the config's password_policy and differ from the user's recent
passwords. Every refresh token of the user (every family started with the
old password) and every access or ID token issued before is revoked. A
PASSWORD_EXPIRED, RECOVERY (password reset) or PROVISIONED user becomes
ACTIVE; other statuses stay.`,
		Example: `  printf '%s\n' 'a new long passphrase' | latchkey users set-password ada@example.com --password-stdin`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			pw, err := passwordFromStdin(cmd, passwordStdin)
			if err != nil {
				return err
			}
			a, err := g.openApp(cmd.Context())
			if err != nil {
				return err
			}
			defer a.Close()
			u, err := a.Provision.FindUser(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if u, err = a.Provision.SetPassword(cmd.Context(), u.ID, pw); err != nil {
				return explainPasswordError(err)
			}
			if asJSON {
				return writeJSON(cmd.OutOrStdout(), oktaapi.FromUser(u))
			}
			fmt.Fprintf(cmd.OutOrStdout(), "set a new password for user %s (%s), status %s; earlier tokens revoked\n", u.ID, u.Login, u.Status)
			return nil
		},
	}
	f := cmd.Flags()
	f.BoolVar(&passwordStdin, "password-stdin", false,
		"read the new password from the first line of standard input (required); it must satisfy the config's password_policy")
	f.BoolVar(&asJSON, "json", false, "print the user as one JSON object in Okta's shape")
	return cmd
}

// explainLifecycleError spells out a transition the user's status does not
// allow in Okta's words; other errors pass unchanged.
func explainLifecycleError(err error) error {
	var le *provision.LifecycleError
	if !errors.As(err, &le) {
		return err
	}
	return fmt.Errorf("%s %s: %s (user %s is %s)", le.Code, le.Summary, le.Cause, le.UserID, le.Status)
}
