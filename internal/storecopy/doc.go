// Package storecopy copies a whole deployment from one store to another
// (latchkey migrate-store): every record kind the store holds, in
// dependency order, exactly as stored, so that tokens issued before the
// move keep verifying and refreshing after it with the same master key.
// Sealed values (client secrets, private keys) are copied sealed.
//
// The target must be empty. After the copy both stores are read again and
// each kind is compared by count and by a digest of its records, so a copy
// that lost or changed anything, or a source written to during the copy,
// fails instead of reporting success. Stop every server on the source
// before copying.
package storecopy
