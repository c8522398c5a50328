package provision_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/latchkey/latchkey/internal/events"
	"github.com/latchkey/latchkey/internal/provision"
	"github.com/latchkey/latchkey/internal/totp"
)

// eventLog is a Sink that keeps what it is given.
type eventLog struct {
	mu  sync.Mutex
	got []events.Event
}

func (l *eventLog) Record(_ context.Context, e events.Event) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.got = append(l.got, e)
}

// take returns the events recorded since the last take.
func (l *eventLog) take() []events.Event {
	l.mu.Lock()
	defer l.mu.Unlock()
	got := l.got
	l.got = nil
	return got
}

// TestFactorEvents: activation, recovery-code replacement, removal of one
// factor and of all are each audit events with Okta's event types, naming
// the operator (the system for the CLI, WithActor's for the API), the user
// and the factor, and never a secret or a code. A refused code and an
// enrolment still pending record nothing.
func TestFactorEvents(t *testing.T) {
	t.Parallel()
	s, now := factorService(t)
	log := &eventLog{}
	s.Events = log
	ctx := context.Background()
	admin := events.APIToken("00Tadmin000000000000")
	apiCtx := provision.WithActor(ctx, admin)

	e, err := s.EnrollTOTP(ctx, "ada@example.com", "GOOGLE")
	if err != nil {
		t.Fatal(err)
	}
	secret := secretOf(t, e.URI)
	if _, _, err := s.ActivateTOTP(ctx, "ada@example.com", "12345"); err == nil {
		t.Fatal("a five-digit code activated")
	}
	if got := log.take(); len(got) != 0 {
		t.Fatalf("events before activation: %+v", got)
	}
	_, codes, err := s.ActivateTOTP(apiCtx, "ada@example.com", totp.Code(secret, *now))
	if err != nil {
		t.Fatal(err)
	}
	newCodes, err := s.NewRecoveryCodes(ctx, "ada@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.ResetFactors(apiCtx, "ada@example.com", e.Factor.ID); err != nil {
		t.Fatal(err)
	}
	e2, err := s.EnrollTOTP(ctx, "ada@example.com", "")
	if err != nil {
		t.Fatal(err)
	}
	if n, err := s.ResetFactors(ctx, "ada@example.com", ""); err != nil || n != 1 {
		t.Fatalf("reset all: %d %v", n, err)
	}
	if n, err := s.ResetFactors(ctx, "ada@example.com", ""); err != nil || n != 0 {
		t.Fatalf("reset none: %d %v", n, err)
	}

	type want struct{ eventType, actor, factor, reason string }
	wants := []want{
		{"user.mfa.factor.activate", admin.ID, e.Factor.ID, "User set up GOOGLE_OTP factor"},
		{"user.mfa.factor.update", "latchkey", e.Factor.ID, "User replaced the recovery codes of GOOGLE_OTP factor"},
		{"user.mfa.factor.deactivate", admin.ID, e.Factor.ID, "User reset GOOGLE_OTP factor"},
		{"user.mfa.factor.reset_all", "latchkey", e2.Factor.ID, "User reset OKTA_SOFT_TOKEN factor"},
	}
	got := log.take()
	if len(got) != len(wants) {
		t.Fatalf("%d events, want %d: %+v", len(got), len(wants), got)
	}
	secrets := append(append([]string{e.Secret, e2.Secret, totp.Code(secret, *now)}, codes...), newCodes...)
	for i, w := range wants {
		ev := got[i]
		if ev.EventType != w.eventType || ev.Actor.ID != w.actor || ev.Outcome.Result != events.ResultSuccess || ev.Outcome.Reason != w.reason {
			t.Errorf("event %d: %s by %s (%s %s), want %+v", i, ev.EventType, ev.Actor.ID, ev.Outcome.Result, ev.Outcome.Reason, w)
		}
		if len(ev.Target) != 2 || ev.Target[0].ID != e.User.ID || ev.Target[0].AlternateID != "ada@example.com" ||
			ev.Target[1].ID != w.factor || ev.Target[1].Type != events.TypeFactor || ev.DebugContext.DebugData["factorId"] != w.factor {
			t.Errorf("event %d targets: %+v %v", i, ev.Target, ev.DebugContext.DebugData)
		}
		raw, err := ev.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		for _, sec := range secrets {
			if strings.Contains(string(raw), sec) || strings.Contains(string(raw), strings.ReplaceAll(sec, "-", "")) {
				t.Errorf("event %d holds a secret or code: %s", i, raw)
			}
		}
	}
	if got[1].DebugContext.DebugData["recoveryCodes"] != "10" {
		t.Errorf("recovery codes count: %v", got[1].DebugContext.DebugData)
	}
}
