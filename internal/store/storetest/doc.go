// Package storetest is the conformance suite of store.Store: the executable
// specification every backend passes. A backend's test calls Run with a
// constructor of fresh, empty stores, and RunShared with a constructor of two
// stores over one database, the way two instances of the server share one.
//
// The suite also pins down what store.go leaves open: an Update* closure
// cannot change the id, UpdateKeys keeps keys its closure leaves out and
// returns every key of the authorization server newest first, returned times
// are in UTC, and empty lists may come back nil. For the token lifecycle it
// pins: a successor made by UseRefreshToken joins the token's family, and
// one made for a token already rotated replaces (revokes) the earlier
// successor with its access tokens, so concurrent uses of one token leave
// one current token; a
// record expires at its expiry time (expiry <= now); UseOnce judges
// expiry by the store's clock; RevokeFamily keeps first revocation times;
// Delete* of a missing record is ErrNotFound.
//
// The suite reads store.ErrConflict as "refused by the record's state" as
// well as "unique key taken": DeleteScope of a System scope, DeleteGroup and
// AddGroupMember of a built-in group.
package storetest
