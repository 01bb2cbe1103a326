// A local shim module (never published): its path sits under the Terraform
// provider's own module path, which is what lets it import that provider's
// internal/provider package. The main module replaces it with ./shim.
module github.com/terraform-providers/terraform-provider-random/shim

go 1.26

require (
	github.com/hashicorp/terraform-plugin-framework v1.15.0
	github.com/terraform-providers/terraform-provider-random v1.3.2-0.20231204135814-c6e90de46687
)

require (
	github.com/dustinkirkland/golang-petname v0.0.0-20191129215211-8e5a1ed0cff0 // indirect
	github.com/fatih/color v1.13.0 // indirect
	github.com/hashicorp/go-hclog v1.5.0 // indirect
	github.com/hashicorp/go-uuid v1.0.3 // indirect
	github.com/hashicorp/terraform-plugin-framework-validators v0.12.0 // indirect
	github.com/hashicorp/terraform-plugin-go v0.27.0 // indirect
	github.com/hashicorp/terraform-plugin-log v0.9.0 // indirect
	github.com/mattn/go-colorable v0.1.13 // indirect
	github.com/mattn/go-isatty v0.0.17 // indirect
	github.com/mitchellh/go-testing-interface v1.14.1 // indirect
	github.com/vmihailenco/msgpack/v5 v5.4.1 // indirect
	github.com/vmihailenco/tagparser/v2 v2.0.0 // indirect
	golang.org/x/crypto v0.16.0 // indirect
	golang.org/x/sys v0.32.0 // indirect
)
