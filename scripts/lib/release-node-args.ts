/**
 * The Node.js options the release CLI and the release web UI start with
 * (package.json's `release` and `release:ui`): TypeScript stripped by
 * esbuild, and @pulumi/pulumi's closure serializer deferred. The end-to-end
 * tests and bench:release start them the same way through this list; keep
 * it and package.json together. Paths are relative to the repository root.
 */
export const RELEASE_NODE_ARGS: readonly string[] = [
  "-r",
  "./scripts/lib/esbuild-register.js",
  "-r",
  "./scripts/lib/lazy-pulumi-closure.js",
];
