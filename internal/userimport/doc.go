// Package userimport reads the files `latchkey import users` takes: JSON
// lines in Okta's user shape (or Keycloak's exported user representation),
// and CSV with a header. It parses and checks the shape of each line and
// converts imported password hashes to package password's encoded form; it
// writes nothing (package provision stores what it reads). A bad line is a
// *LineError that names the line and the reason, and reading goes on with
// the next one.
//
// It depends on package password only, so that its fuzz targets build a
// small test binary.
package userimport
