// Package provider maps the Terraform random provider onto Pulumi tokens
// that match the @pulumi/random Node SDK (random:index/<camel>:<Pascal>).
package provider

import (
	"context"
	"fmt"
	"os"
	"unicode"

	pfbridge "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/pf/tfbridge"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	"github.com/terraform-providers/terraform-provider-random/shim"
)

// Version is set at link time (-X); GetPluginInfo reports it. The bridge
// refuses to run without one.
var Version = "4.21.2+private-cloud.dev"

// resourceToken gives random:index/randomPassword:RandomPassword for RandomPassword.
func resourceToken(name string) tokens.Type {
	file := string(unicode.ToLower(rune(name[0]))) + name[1:]
	return tokens.Type("random:index/" + file + ":" + name)
}

// RandomBytes' ID is its base64 value, as upstream pulumi-random does (the
// TF provider's own ID is the same; this unwraps the secret marker).
func computeRandomBytesID(_ context.Context, state resource.PropertyMap) (resource.ID, error) {
	b, ok := state["base64"]
	if !ok {
		return "", fmt.Errorf("random_bytes: no base64 property in state")
	}
	if b.IsSecret() {
		b = b.SecretValue().Element
	}
	if !b.IsString() {
		return "", fmt.Errorf("random_bytes: base64 is not a string")
	}
	return resource.ID(b.StringValue()), nil
}

// Provider returns the bridge's view of the provider. metadata is the
// bridge-metadata.json that pulumi-tfgen-random wrote (nil while generating).
func Provider(metadata []byte) tfbridge.ProviderInfo {
	return tfbridge.ProviderInfo{
		Name:        "random",
		P:           pfbridge.ShimProvider(shim.NewProvider()),
		Description: "A Pulumi package to safely use randomness in Pulumi programs (private-cloud build of the Terraform random provider).",
		Keywords:    []string{"pulumi", "random"},
		License:     "Apache-2.0",
		Homepage:    "https://www.pulumi.com",
		Repository:  "https://github.com/pulumi/pulumi-random",
		Version:     Version,
		Resources: map[string]*tfbridge.ResourceInfo{
			"random_bytes":    {Tok: resourceToken("RandomBytes"), ComputeID: computeRandomBytesID},
			"random_id":       {Tok: resourceToken("RandomId")},
			"random_integer":  {Tok: resourceToken("RandomInteger")},
			"random_password": {Tok: resourceToken("RandomPassword")},
			"random_pet":      {Tok: resourceToken("RandomPet")},
			"random_shuffle":  {Tok: resourceToken("RandomShuffle")},
			"random_string":   {Tok: resourceToken("RandomString")},
			"random_uuid":     {Tok: resourceToken("RandomUuid")},
		},
		// Where tfgen reads the upstream docs/ for descriptions (the build
		// script points it at the module's directory in GOMODCACHE).
		UpstreamRepoPath: os.Getenv("RANDOM_UPSTREAM_DIR"),
		JavaScript:       &tfbridge.JavaScriptInfo{},
		MetadataInfo:     tfbridge.NewProviderMetadata(metadata),
	}
}
