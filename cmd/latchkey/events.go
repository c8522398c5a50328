package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/latchkey/latchkey/internal/app"
	"github.com/latchkey/latchkey/internal/events"
	"github.com/latchkey/latchkey/internal/store"
)

func newEventsCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "events",
		Short: "Read the audit trail of authentication outcomes (Okta's System Log shape)",
		Long: `Read the audit trail: token grants, refresh token reuse, revocations and the
other authentication outcomes a server records, each an event in the shape of
Okta's System Log LogEvent. A server writes them to the store as it serves;
housekeeping deletes those older than events.retention (90 days by default).`,
		Args: cobra.NoArgs,
	}
	cmd.AddCommand(newEventsListCmd(g))
	return cmd
}

func newEventsListCmd(g *globals) *cobra.Command {
	var (
		user, eventType, since, until string
		limit                         int
		desc, asJSON                  bool
	)
	cmd := &cobra.Command{
		Use:   "list [--user ID|LOGIN] [--type T] [--since T] [--until T] [--limit N] [--desc] [--json]",
		Short: "List events, oldest first, as Okta's /api/v1/logs does",
		Example: `  latchkey events list --user ada@example.com --since 24h
  latchkey events list --type app.oauth2.as.token.detect_reuse --since 2024-03-01T00:00:00Z --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			now := time.Now()
			f := store.EventFilter{EventType: eventType, Limit: limit, Descending: desc}
			var err error
			if f.Since, err = parseWhen(since, now); err != nil {
				return fmt.Errorf("--since: %w", err)
			}
			if until != "" {
				if f.Until, err = parseWhen(until, now); err != nil {
					return fmt.Errorf("--until: %w", err)
				}
			}
			if limit < 0 || limit > 1000 {
				return errors.New("--limit: must be 1 to 1000")
			}
			return g.withApp(cmd, func(a *app.App) error {
				if user != "" {
					f.UserID = resolveEventUser(cmd, a, user)
				}
				stored, err := a.Store.ListEvents(cmd.Context(), f)
				if err != nil {
					return err
				}
				if asJSON {
					out := make([]json.RawMessage, 0, len(stored))
					for _, s := range stored {
						out = append(out, s.JSON)
					}
					return writeJSON(cmd.OutOrStdout(), out)
				}
				return printEvents(cmd, stored)
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&user, "user", "", "only events whose actor or a target is this user (an id or a login; any other id, such as a client id, is matched as it is)")
	f.StringVar(&eventType, "type", "", "only events of this type, e.g. user.session.start or app.oauth2.as.token.grant.access_token")
	// Without --since, the last 7 days, as Okta's /api/v1/logs.
	f.StringVar(&since, "since", "7d", "only events published at or after this time: RFC 3339, or a duration (24h, 90d) meaning that long ago")
	f.StringVar(&until, "until", "", "only events published before this time: RFC 3339, or a duration meaning that long ago")
	f.IntVar(&limit, "limit", store.DefaultEventLimit, "list at most this many events (1 to 1000)")
	f.BoolVar(&desc, "desc", false, "newest first (Okta's sortOrder=DESCENDING)")
	f.BoolVar(&asJSON, "json", false, "print a JSON array of events in Okta's LogEvent shape")
	return cmd
}

// parseWhen reads an RFC 3339 time, or a duration before now ("24h",
// "90d": a day is 24 hours).
func parseWhen(s string, now time.Time) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n < 0 {
			return time.Time{}, fmt.Errorf("%q is neither an RFC 3339 time nor a duration", s)
		}
		return now.Add(-time.Duration(n) * 24 * time.Hour), nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return time.Time{}, fmt.Errorf("%q is neither an RFC 3339 time nor a duration", s)
	}
	return now.Add(-d), nil
}

// resolveEventUser maps a user id or login to the user's id; anything else
// (a deleted user's id, a client id) is matched as given.
func resolveEventUser(cmd *cobra.Command, a *app.App, ref string) string {
	if ids, err := resolveUsers(cmd, a, []string{ref}); err == nil {
		return ids[0]
	}
	return ref
}

func printEvents(cmd *cobra.Command, stored []store.StoredEvent) error {
	w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "PUBLISHED\tEVENT TYPE\tSEVERITY\tOUTCOME\tACTOR\tTARGETS\tCLIENT IP")
	for _, s := range stored {
		e, err := events.FromStored(s)
		if err != nil {
			return err
		}
		outcome := e.Outcome.Result
		if e.Outcome.Reason != "" {
			outcome += " (" + e.Outcome.Reason + ")"
		}
		var targets []string
		for _, t := range e.Target {
			targets = append(targets, readable(t.AlternateID, t.ID))
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", e.Published.UTC().Format("2006-01-02T15:04:05.000Z"), e.EventType, e.Severity,
			outcome, readable(e.Actor.AlternateID, e.Actor.ID), strings.Join(targets, ","), e.Client.IPAddress)
	}
	return w.Flush()
}

// readable is the readable name of an actor or target: its alternate id when
// it differs from its id (a login), else the id.
func readable(alt, id string) string {
	if alt != "" && alt != id {
		return alt
	}
	return id
}
