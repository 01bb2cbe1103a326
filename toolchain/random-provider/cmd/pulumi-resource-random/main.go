// pulumi-resource-random: the Terraform random provider served through the
// Pulumi Terraform bridge. schema.json and bridge-metadata.json are generated
// by pulumi-tfgen-random at build time (scripts/lib/build-providers.sh).
package main

import (
	"context"
	_ "embed"

	pfbridge "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/pf/tfbridge"

	"private-cloud/toolchain/random-provider/provider"
)

//go:embed schema.json
var schema []byte

//go:embed bridge-metadata.json
var metadata []byte

func main() {
	pfbridge.Main(context.Background(), "random", provider.Provider(metadata),
		pfbridge.ProviderMetadata{PackageSchema: schema})
}
