//go:build tools

// Package tools pins kube-score's main package into this wrapper module: the
// tests run it over every object of every stack (tests/tools/kube-score.test.ts)
// as an auditor independent of our own policy pack.
package tools

import _ "github.com/zegl/kube-score/cmd/kube-score"
