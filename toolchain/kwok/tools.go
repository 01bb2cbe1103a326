//go:build tools

// Package tools pins kwok's main package into this wrapper module.
package tools

import _ "sigs.k8s.io/kwok/cmd/kwok"
