// Package export writes a deployment's records to files another Latchkey
// (or a person) can read: users as JSON lines in the shape `latchkey import
// users` reads back, with their password hashes in Okta's hash object;
// groups, clients and authorization servers (with their scopes, claims,
// policies and rules) as JSON lines of their own. Secrets are never
// written: a client's secret appears only as the hash the store keeps, and
// signing keys are left out (see docs/import.md).
package export
