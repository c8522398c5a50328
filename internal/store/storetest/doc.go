// Package storetest is the conformance suite of store.Store: the executable
// specification every backend passes. A backend's test calls Run with a
// constructor of fresh, empty stores, and RunShared with a constructor of two
// stores over one database, the way two instances of the server share one.
//
// The suite also pins down what store.go leaves open: an Update* closure
// cannot change the id, UpdateKeys keeps keys its closure leaves out and
// returns every key of the authorization server newest first, returned times
// are in UTC, and empty lists may come back nil.
package storetest
