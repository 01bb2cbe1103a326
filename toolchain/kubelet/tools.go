//go:build tools

// Package tools pins kubelet into this wrapper module. It is a module of its
// own (not part of toolchain/kubernetes) so adding it did not change that
// piece's cache key: the installer image needs kubelet, the simulated
// datacenter does not.
package tools

import (
	_ "k8s.io/kubernetes/cmd/kubelet"
)
