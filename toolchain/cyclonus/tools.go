//go:build tools

// Package tools pins cyclonus's main package into this wrapper module: the
// tests feed the platform's NetworkPolicies to its analyzer and compare its
// verdicts with our own reachability matrix (components/common/netpol).
package tools

import _ "github.com/mattfenwick/cyclonus/cmd/cyclonus"
