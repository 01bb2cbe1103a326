//go:build tools

// Package tools pins etcdctl (the installer image's `etcdctl` command) at the
// etcd release the toolchain builds.
package tools

import (
	_ "go.etcd.io/etcd/etcdctl/v3"
)
