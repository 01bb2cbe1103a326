//go:build tools

// Package tools pins etcd's main package (the server module root) into this wrapper module.
package tools

import _ "go.etcd.io/etcd/server/v3"
