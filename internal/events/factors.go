package events

import "strconv"

// Factor event types, as Okta's event type catalog names them.
const (
	// A factor was activated: possession proved, the factor now counts.
	TypeFactorActivate = "user.mfa.factor.activate"
	// One factor was removed (Okta's Reset Factor, DELETE …/factors/{id}).
	TypeFactorDeactivate = "user.mfa.factor.deactivate"
	// All of a user's factors were removed (Okta's reset_factors): one
	// event per factor removed, as Okta writes it.
	TypeFactorResetAll = "user.mfa.factor.reset_all"
	// A factor was changed: Latchkey writes it when a factor's recovery
	// codes are replaced.
	TypeFactorUpdate = "user.mfa.factor.update"
)

// TypeFactor is the target type of a user's factor.
const TypeFactor = "Factor"

// Factor names a user's factor in an event: its id, Okta's factorType
// (token:software:totp) and provider (OKTA, GOOGLE).
type Factor struct {
	ID       string
	Type     string
	Provider string
}

// oktaName is the name Okta's outcome reasons give a factor ("User set up
// GOOGLE_OTP factor"): Okta Verify's TOTP is OKTA_SOFT_TOKEN, Google
// Authenticator's GOOGLE_OTP.
func (f Factor) oktaName() string {
	switch f.Provider {
	case "GOOGLE":
		return "GOOGLE_OTP"
	case "OKTA":
		return "OKTA_SOFT_TOKEN"
	}
	return f.Provider
}

func (f Factor) target() Target {
	return Target{ID: f.ID, Type: TypeFactor, AlternateID: f.Type, DisplayName: f.oktaName()}
}

// factorEvent is an event of actor (an operator: System() for the CLI, the
// API's caller) on user's factor f.
func factorEvent(eventType, msg, reason string, actor, user Actor, f Factor) Event {
	e := newEvent(eventType, SeverityInfo, msg, actor, ResultSuccess, reason, user.AsTarget(), f.target())
	d := e.DebugContext.DebugData
	d["factorId"], d["factorType"], d["factorProvider"] = f.ID, f.Type, f.Provider
	return e
}

// FactorActivated records that user's factor f became ACTIVE.
func FactorActivated(actor, user Actor, f Factor) Event {
	return factorEvent(TypeFactorActivate, "Activate factor or authenticator enrollment method for user",
		"User set up "+f.oktaName()+" factor", actor, user, f)
}

// FactorDeactivated records that user's factor f was removed alone.
func FactorDeactivated(actor, user Actor, f Factor) Event {
	return factorEvent(TypeFactorDeactivate, "Reset factor for user", "User reset "+f.oktaName()+" factor", actor, user, f)
}

// FactorReset records that user's factor f was removed with all the
// others (one event per factor).
func FactorReset(actor, user Actor, f Factor) Event {
	return factorEvent(TypeFactorResetAll, "Reset all factors for user", "User reset "+f.oktaName()+" factor", actor, user, f)
}

// RecoveryCodesReplaced records that user's factor f got count new
// recovery codes in place of its old ones (never the codes).
func RecoveryCodesReplaced(actor, user Actor, f Factor, count int) Event {
	e := factorEvent(TypeFactorUpdate, "Update factor for user", "User replaced the recovery codes of "+f.oktaName()+" factor", actor, user, f)
	e.DebugContext.DebugData["recoveryCodes"] = strconv.Itoa(count)
	return e
}

// TypeAPIToken is the actor type of a management API token.
const TypeAPIToken = "ApiToken"

// APIToken is the actor that a management API token (id "00T…") is.
func APIToken(id string) Actor {
	return Actor{ID: id, Type: TypeAPIToken, AlternateID: id, DisplayName: "API token"}
}
