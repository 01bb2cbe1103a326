// Package shim exposes the Terraform random provider (a Plugin Framework
// provider whose code lives under internal/) to the Pulumi bridge.
package shim

import (
	tfpf "github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/terraform-providers/terraform-provider-random/internal/provider"
)

// NewProvider returns the upstream provider, unchanged.
func NewProvider() tfpf.Provider { return provider.New() }
