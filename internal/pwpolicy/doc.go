// Package pwpolicy is the password policy: the complexity rules of Okta's
// password policy (minLength, minLowerCase, minUpperCase, minNumber,
// minSymbol, excludeUsername, excludeAttributes, dictionary.common.exclude)
// and the size of the password history (age.historyCount), with the
// messages Okta answers when a password fails them.
//
// The package judges a candidate password against a user's profile. It
// holds no state: comparing with the history needs the stored hashes and
// the Hasher, and is the caller's (package provision) job; HistoryCause is
// the message for it.
//
// The common-password list is shipped in the binary (common_passwords.txt,
// the 10,000 most common passwords from zxcvbn's MIT-licensed list) and
// parsed once, on first use.
package pwpolicy
