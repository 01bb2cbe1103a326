module private-cloud/toolchain/nodejs-host

go 1.26.6

// The same sdk/v3 as the CLI, for the current LanguageRuntime protocol.
require github.com/pulumi/pulumi/sdk/v3 v3.274.1

require (
	google.golang.org/grpc v1.83.2
	google.golang.org/protobuf v1.36.11
)

require (
	golang.org/x/net v0.62.0 // indirect
	golang.org/x/sys v0.49.0 // indirect
	golang.org/x/text v0.43.0 // indirect
	google.golang.org/genproto/googleapis/rpc v0.0.0-20260803160001-6ac0973c030d // indirect
)
