//go:build !race

package multi

// buildFlags build the latchkey binary as this test binary was built.
var buildFlags []string
