/**
 * Policy pack benchmark: how long the whole pack takes to evaluate every
 * resource of dc-a, and of a synthetic 1,000-minion datacenter, registered
 * under Pulumi mocks. What `pulumi preview --policy-pack policy` adds on top
 * (the analyzer's process start, ts-node type-checking the pack, gRPC per
 * resource) needs the real CLI and is measured by the end-to-end suite.
 *
 *   npx ts-node --transpile-only scripts/bench-policy.ts [--json]
 *
 * Each case runs in its own process: Pulumi's mock runtime is per process.
 */
import { spawnSync } from "child_process";
import * as path from "path";
import { performance } from "perf_hooks";

interface Result {
  case: string;
  minions: number;
  resources: number;
  programMs: number;
  /** Median of `rounds` evaluations of every policy over every resource. */
  packMs: number;
  rounds: number;
  mandatory: number;
  advisory: number;
}

const ROUNDS = 5;

async function one(kind: string): Promise<Result> {
  const { loadStackFile } = await import("../stacks/config");
  const { syntheticDatacenter } = await import("./fleet");
  const { runMocked } = await import("../tests/helpers/pulumi");
  const { commandOutputs } = await import("../tests/helpers/kubeconfig");
  const { deployDatacenter } = await import("../stacks/datacenter");
  const { IngressTier } = await import("../components/ingress-tier");
  const { allPolicies } = await import("../policy/policies");
  const { evaluate, fromRecorded } = await import("../tests/policy/harness");

  const model =
    kind === "dc-a"
      ? loadStackFile(path.join(__dirname, "..", "Pulumi.dc-a.yaml"))
      : syntheticDatacenter(Number(kind.replace(/\D/g, "")));
  const t0 = performance.now();
  const records = await runMocked(
    () => {
      const dc = deployDatacenter(model, { sshPrivateKey: "KEY" });
      // Until the composition builds the ingress tiers, add them as it will.
      if (!Object.keys(dc).some((k) => /ingress/i.test(k)))
        for (const b of model.config.businesses)
          new IngressTier(
            `${model.name}-ingress-${b.name}`,
            {
              model,
              business: b.name,
              logShipping: { hosts: ["https://es:9200"], username: "w", password: "p" },
            },
            { providers: { kubernetes: dc.provider } },
          );
    },
    { stack: "dc-a", outputs: commandOutputs },
  );
  const t1 = performance.now();
  const resources = fromRecorded(records);
  const policies = allPolicies();
  const times: number[] = [];
  let violations: Awaited<ReturnType<typeof evaluate>> = [];
  for (let i = 0; i < ROUNDS; i++) {
    const s = performance.now();
    violations = await evaluate(policies, resources);
    times.push(performance.now() - s);
  }
  times.sort((a, b) => a - b);
  return {
    case: kind,
    minions: model.minions.length,
    resources: resources.length,
    programMs: Math.round(t1 - t0),
    packMs: Math.round(times[Math.floor(ROUNDS / 2)] * 10) / 10,
    rounds: ROUNDS,
    mandatory: violations.filter((v) => v.level === "mandatory").length,
    advisory: violations.filter((v) => v.level === "advisory").length,
  };
}

function main(): void {
  const results: Result[] = [];
  for (const c of ["dc-a", "synthetic-1000"]) {
    process.stderr.write(`bench-policy: ${c} ...\n`);
    const r = spawnSync(process.execPath, ["-r", "ts-node/register/transpile-only", __filename, "--one", c], {
      encoding: "utf8",
      cwd: path.join(__dirname, ".."),
    });
    if (r.status !== 0) {
      process.stderr.write(r.stderr);
      throw new Error(`bench-policy case ${c} failed`);
    }
    results.push(JSON.parse(r.stdout.trim().split("\n").pop() as string));
  }
  if (process.argv.includes("--json")) console.log(JSON.stringify(results, null, 2));
  else console.table(results);
}

const at = process.argv.indexOf("--one");
if (at >= 0) {
  one(process.argv[at + 1]).then(
    (r) => console.log(JSON.stringify(r)),
    (e) => {
      console.error(e);
      process.exit(1);
    },
  );
} else {
  main();
}
