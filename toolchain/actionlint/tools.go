//go:build tools

// Package tools pins actionlint's main package into this wrapper module: the
// tests lint the GitHub Actions workflows we ship (ci-templates/github).
package tools

import _ "github.com/rhysd/actionlint/cmd/actionlint"
