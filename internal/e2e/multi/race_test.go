//go:build race

package multi

// buildFlags build the latchkey binary the way this test binary was built:
// with the race detector, so that the build reuses the packages the race
// test build compiled (a cold run compiles every package once, not twice)
// and the two instances run under the race detector too.
var buildFlags = []string{"-race"}
