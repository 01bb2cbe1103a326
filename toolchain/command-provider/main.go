// pulumi-resource-command: our own implementation of the Pulumi "command"
// provider (command:local:Command and command:remote:Command), written
// directly on the provider gRPC protocol of github.com/pulumi/pulumi/sdk/v3,
// because the Go module proxy serves neither github.com/pulumi/pulumi-command
// nor github.com/pulumi/pulumi-go-provider.
//
// It speaks the property names and types of the @pulumi/command 4.5.0 Node
// SDK. Semantics follow upstream: `create` runs on create, `update` (or
// `create` again when there is no `update`) when inputs change, `delete` on
// delete; a change to `triggers` replaces; stdout and stderr (trailing newline
// trimmed) are outputs; during preview nothing runs and outputs are unknown.
package main

import (
	"fmt"
	"os"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/provider"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// Version is set at link time. It is 4.5.0 (the protocol surface of the
// @pulumi/command SDK it serves) plus build metadata saying it is this
// project's own implementation, not upstream's binary.
var Version = "4.5.0+private-cloud.dev"

func main() {
	for _, a := range os.Args[1:] {
		if a == "-version" || a == "--version" {
			fmt.Println(Version)
			return
		}
	}
	err := provider.Main("command", func(host *provider.HostClient) (pulumirpc.ResourceProviderServer, error) {
		return newCommandProvider(host), nil
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-resource-command: %v\n", err)
		os.Exit(1)
	}
}
