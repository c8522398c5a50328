// Package mfa checks users' second factors and carries a login between the
// password and the second factor: the TOTP and recovery-code checks shared
// by the service layer (package provision) and the token endpoint (package
// oauth), and the mfa_token of Okta's direct authentication.
package mfa
