/**
 * Runs a policy pack that release/policy-build.ts compiled to JavaScript:
 *
 *   node scripts/lib/run-compiled-policy-pack.js <engine address> <pack dir>
 *
 * Our language host (toolchain/nodejs-host, RunPlugin) starts it instead of
 * @pulumi/pulumi/cmd/run-policy-pack when the pack's package.json names it
 * (`privateCloudRunner`, written by policy-build). It runs the pack through
 * the SDK's own `run` (same loading, error reporting and exit handling),
 * minus three start-up costs that only TypeScript packs and closure
 * serialization need: ts-node registered with type checking (the pack is
 * already checked and compiled), the V8 inspector hooks (closure
 * serialization), and the closure modules themselves (deferred by
 * lazy-pulumi-closure.js). A release starts the pack twice (the gate's
 * preview and the up), so this is paid twice per business per datacenter.
 */
"use strict";
require("./lazy-pulumi-closure");

const path = require("path");

const [engineAddress, packDir] = process.argv.slice(2);
if (!engineAddress || !packDir) {
  console.error("usage: run-compiled-policy-pack.js <engine-address> <pack-dir>");
  process.exit(2);
}

// The exit code contract of run-policy-pack: an uncaught error that was not
// reported to the engine is 1 (the engine then says something went wrong);
// one the pack already reported is 32 (the engine shows the pack's message).
const uncaught = new Set();
const reported = new Set();
let running = false;
const onUncaught = (err) => {
  uncaught.add(err);
  if (!running) console.error((err && (err.stack || err.message)) || String(err));
};
process.on("uncaughtException", onUncaught);
process.on("unhandledRejection", onUncaught);
process.on("exit", (code) => {
  if (code !== 0 || uncaught.size === 0) return;
  process.exitCode = [...uncaught].every((e) => reported.has(e)) ? 32 : 1;
});

const sdkRun = require.resolve("@pulumi/pulumi/cmd/run-policy-pack/run", { paths: [packDir] });
const { run } = require(sdkRun);
run({
  argv: { _: [path.resolve(packDir)] },
  programStarted: () => (running = true),
  reportLoggedError: (err) => reported.add(err),
  typeScript: false,
}).then(() => (running = false));
