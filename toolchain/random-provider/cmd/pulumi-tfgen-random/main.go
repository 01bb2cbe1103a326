// pulumi-tfgen-random writes schema.json and bridge-metadata.json for the
// provider binary (build time only): pulumi-tfgen-random schema --out DIR
package main

import (
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/pf/tfgen"

	"private-cloud/toolchain/random-provider/provider"
)

func main() { tfgen.Main("random", provider.Provider(nil)) }
