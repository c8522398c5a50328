package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/latchkey/latchkey/internal/app"
	"github.com/latchkey/latchkey/internal/config"
	"github.com/latchkey/latchkey/internal/events"
	"github.com/latchkey/latchkey/internal/provision"
	"github.com/latchkey/latchkey/internal/store"
)

// eventsDB returns a database holding a user and three events of theirs,
// published 2 hours, 2 days and 10 days ago.
func eventsDB(t *testing.T) (db, userID string) {
	t.Helper()
	db = keysDB(t)
	cfg := config.Default()
	cfg.DB = db
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	a, err := app.Open(ctx, cfg, app.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	u, err := a.Provision.CreateUser(ctx, provision.UserInput{Login: "ada@example.com", FirstName: "Ada", LastName: "Lovelace", Password: "a long passphrase"})
	if err != nil {
		t.Fatal(err)
	}
	ada := events.User(u.ID, u.Login, "Ada Lovelace")
	billing := events.App("0oa1", "Billing")
	p := events.Party{ServerID: "default", App: billing, User: ada}
	now := time.Now()
	evs := []events.Event{
		events.TokenGrant(p, events.AccessToken, "AT.recent", "password", []string{"openid"}),
		events.SessionStart(ada, billing, events.ReasonInvalidCredentials),
		events.AccountLocked(ada, 10),
	}
	var stored []store.StoredEvent
	for i, ago := range []time.Duration{2 * time.Hour, 48 * time.Hour, 240 * time.Hour} {
		evs[i].Published = now.Add(-ago)
		evs[i].Client.IPAddress = "203.0.113.9"
		s, err := events.ToStored(events.Stamp(ctx, evs[i], time.Now))
		if err != nil {
			t.Fatal(err)
		}
		stored = append(stored, s)
	}
	if err := a.Store.AppendEvents(ctx, stored); err != nil {
		t.Fatal(err)
	}
	return db, u.ID
}

func listedTypes(t *testing.T, args ...string) []string {
	t.Helper()
	out := mustCLI(t, "", append([]string{"events", "list", "--json"}, args...)...)
	var list []map[string]any
	if err := json.Unmarshal([]byte(out), &list); err != nil {
		t.Fatalf("not a JSON array: %v\n%s", err, out)
	}
	types := []string{}
	for _, e := range list {
		types = append(types, e["eventType"].(string))
	}
	return types
}

func TestEventsListCLI(t *testing.T) {
	db, userID := eventsDB(t)
	grant, login, lock := "app.oauth2.as.token.grant.access_token", "user.session.start", "user.account.lock"
	cases := []struct {
		args []string
		want string
	}{
		{nil, login + " " + grant}, // the last 7 days, oldest first
		{[]string{"--since", "30d"}, lock + " " + login + " " + grant},
		{[]string{"--since", "24h"}, grant},
		{[]string{"--since", time.Now().Add(-72 * time.Hour).UTC().Format(time.RFC3339)}, login + " " + grant},
		{[]string{"--since", "30d", "--until", "24h"}, lock + " " + login},
		{[]string{"--since", "30d", "--type", lock}, lock},
		{[]string{"--since", "30d", "--user", "ada@example.com"}, lock + " " + login + " " + grant},
		{[]string{"--since", "30d", "--user", userID, "--limit", "1"}, lock},
		{[]string{"--since", "30d", "--desc", "--limit", "1"}, grant},
		{[]string{"--user", "0oa1"}, login + " " + grant}, // a client id, matched as given
		{[]string{"--user", "nobody@example.com"}, ""},
	}
	for _, c := range cases {
		got := strings.Join(listedTypes(t, append([]string{"--db", db}, c.args...)...), " ")
		if got != c.want {
			t.Errorf("events list %v: got %q, want %q", c.args, got, c.want)
		}
	}
	// The JSON is Okta's LogEvent shape.
	out := mustCLI(t, "", "events", "list", "--db", db, "--json", "--since", "24h")
	for _, field := range []string{`"uuid"`, `"published"`, `"eventType"`, `"severity": "INFO"`, `"actor"`, `"alternateId": "ada@example.com"`,
		`"ipAddress": "203.0.113.9"`, `"outcome"`, `"target"`, `"transaction"`, `"debugContext"`} {
		if !strings.Contains(out, field) {
			t.Errorf("JSON lacks %s:\n%s", field, out)
		}
	}
	table := mustCLI(t, "", "events", "list", "--db", db, "--since", "30d")
	for _, want := range []string{"PUBLISHED", "EVENT TYPE", lock, "FAILURE (INVALID_CREDENTIALS)", "ada@example.com", "203.0.113.9"} {
		if !strings.Contains(table, want) {
			t.Errorf("table lacks %q:\n%s", want, table)
		}
	}
	for _, bad := range [][]string{{"--since", "yesterday"}, {"--until", "-5h"}, {"--limit", "5000"}} {
		if _, err := runCLI(t, "", append([]string{"events", "list", "--db", db}, bad...)...); err == nil {
			t.Errorf("events list %v accepted", bad)
		}
	}
	if empty := mustCLI(t, "", "events", "list", "--db", db, "--json", "--type", "nothing"); strings.TrimSpace(empty) != "[]" {
		t.Errorf("no events: %q, want []", empty)
	}
}
