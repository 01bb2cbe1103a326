//go:build tools

// Package tools pins versitygw's main package into this wrapper module: the
// S3-compatible server (posix backend) the simulated datacenter runs on
// loopback as the team's shared Pulumi state backend.
package tools

import _ "github.com/versity/versitygw/cmd/versitygw"
