/**
 * `npm run bench`: how the program scales. For dc-a (its checked-in CMDB
 * export) and a generated 1,000-minion datacenter it measures validation
 * time, the program's run time under Pulumi mocks, the number of resources it
 * registers, peak memory, and the time the whole policy pack takes over every
 * resource (median of 5 rounds). Each case runs in its own process so one
 * does not warm the other (Pulumi's mock runtime is per process too). Numbers
 * go to stdout as a table and, with --json, as JSON.
 *
 * What `pulumi preview --policy-pack policy` adds on top of the pack itself
 * (the analyzer process, ts-node compiling the pack, gRPC per resource) needs
 * the real CLI and is measured by the end-to-end suite.
 *
 * Targets (checked here, never by timed assertions in tests): a 1,000-minion
 * datacenter registers fewer than 300 resources and runs in under 30 s.
 */
import { spawnSync } from "child_process";
import * as path from "path";
import { performance } from "perf_hooks";

interface Result {
  readonly case: string;
  readonly minions: number;
  readonly racks: number;
  readonly machineTypes: number;
  readonly resources: number;
  readonly validateMs: number;
  readonly programMs: number;
  /** Peak resident memory of the case's process, MiB. */
  readonly maxRssMiB: number;
  /** Median of POLICY_ROUNDS evaluations of every policy over every resource, ms. */
  readonly policyPackMs: number;
  readonly mandatoryViolations: number;
  readonly advisoryViolations: number;
}

const POLICY_ROUNDS = 5;

const TARGETS = { maxResourcesAt1000: 300, maxProgramMsAt1000: 30_000 };

async function one(kind: string): Promise<Result> {
  const { loadStackFile } = await import("../stacks/config");
  const { syntheticDatacenter } = await import("./fleet");
  const { runMocked } = await import("../tests/helpers/pulumi");
  const { commandOutputs } = await import("../tests/helpers/kubeconfig");
  const { deployDatacenter } = await import("../stacks/datacenter");
  const { allPolicies } = await import("../policy/policies");
  const { evaluate, fromRecorded } = await import("../tests/policy/harness");
  const t0 = performance.now();
  const model =
    kind === "dc-a"
      ? loadStackFile(path.join(__dirname, "..", "Pulumi.dc-a.yaml"))
      : syntheticDatacenter(Number(kind.replace(/\D/g, "")));
  const t1 = performance.now();
  const records = await runMocked(() => deployDatacenter(model, { sshPrivateKey: "KEY" }), {
    stack: "dc-a",
    outputs: commandOutputs,
  });
  const t2 = performance.now();
  const resources = fromRecorded(records);
  const policies = allPolicies();
  const rounds: number[] = [];
  let violations: Awaited<ReturnType<typeof evaluate>> = [];
  for (let i = 0; i < POLICY_ROUNDS; i++) {
    const s = performance.now();
    violations = await evaluate(policies, resources);
    rounds.push(performance.now() - s);
  }
  rounds.sort((a, b) => a - b);
  return {
    case: kind,
    minions: model.minions.length,
    racks: model.racks.length,
    machineTypes: new Set(model.minions.map((h) => h.machineType)).size,
    resources: records.filter((r) => r.custom).length,
    validateMs: Math.round(t1 - t0),
    programMs: Math.round(t2 - t1),
    maxRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
    policyPackMs: Math.round(rounds[Math.floor(POLICY_ROUNDS / 2)] * 10) / 10,
    mandatoryViolations: violations.filter((v) => v.level === "mandatory").length,
    advisoryViolations: violations.filter((v) => v.level === "advisory").length,
  };
}

/**
 * The wall time `--policy-pack policy` adds to a real `pulumi preview` of the
 * sim stack: needs the toolchain and a running simulated datacenter with the
 * sim stack applied (`npm start`); otherwise it says why it is skipped.
 */
function realPreviewOverhead(): void {
  const repo = path.join(__dirname, "..");
  const sh = (cmd: string) =>
    spawnSync("bash", ["-c", `source scripts/env.sh && ${cmd}`], { cwd: repo, encoding: "utf8" });
  const state = path.join(repo, ".sim", "state");
  if (
    sh("command -v pulumi").status !== 0 ||
    sh("bash scripts/sim.sh status | grep -q 'kube-apiserver *running'").status !== 0
  ) {
    console.log(
      "policy-pack overhead on a real preview: skipped (needs the toolchain and a running sim with the sim stack: npm start)",
    );
    return;
  }
  const preview = (withPack: boolean): number => {
    const t0 = performance.now();
    const r = sh(
      `PULUMI_BACKEND_URL=file://${state} pulumi preview --stack sim --non-interactive${withPack ? " --policy-pack policy" : ""}`,
    );
    if (r.status !== 0)
      throw new Error(`pulumi preview failed:\n${r.stdout.slice(-2000)}\n${r.stderr.slice(-2000)}`);
    return performance.now() - t0;
  };
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const without = median([preview(false), preview(false), preview(false)]);
  const withPack = median([preview(true), preview(true), preview(true)]);
  console.log(
    `policy-pack overhead on a real preview of the sim stack (median of 3): ${(without / 1000).toFixed(1)} s without, ${(withPack / 1000).toFixed(1)} s with --policy-pack policy (+${((withPack - without) / 1000).toFixed(1)} s)`,
  );
}

function main(): void {
  const cases = ["dc-a", "synthetic-1000"];
  const results: Result[] = [];
  for (const c of cases) {
    process.stderr.write(`bench: ${c} ...\n`);
    const r = spawnSync(process.execPath, ["-r", "ts-node/register/transpile-only", __filename, "--one", c], {
      encoding: "utf8",
      cwd: path.join(__dirname, ".."),
    });
    if (r.status !== 0) {
      process.stderr.write(r.stderr);
      throw new Error(`bench case ${c} failed`);
    }
    results.push(JSON.parse(r.stdout.trim().split("\n").pop() as string));
  }
  if (process.argv.includes("--json")) {
    console.log(JSON.stringify(results, null, 2));
  } else {
    console.table(results);
  }
  const big = results.find((r) => r.case === "synthetic-1000") as Result;
  const small = results.find((r) => r.case === "dc-a") as Result;
  console.log(
    `resources grow with racks and machine types: dc-a ${small.resources} for ${small.minions} minions in ${small.racks} racks; ` +
      `1,000 minions in ${big.racks} racks: ${big.resources} (${(big.resources / big.minions).toFixed(2)} per minion)`,
  );
  const failures: string[] = [];
  if (big.resources > TARGETS.maxResourcesAt1000)
    failures.push(
      `1,000 minions registered ${big.resources} resources (target <= ${TARGETS.maxResourcesAt1000})`,
    );
  if (big.programMs > TARGETS.maxProgramMsAt1000)
    failures.push(
      `1,000 minions took ${big.programMs} ms under mocks (target <= ${TARGETS.maxProgramMsAt1000})`,
    );
  for (const r of results) {
    if (r.mandatoryViolations > 0)
      failures.push(`${r.case} has ${r.mandatoryViolations} mandatory policy violation(s)`);
  }
  for (const f of failures) console.log(`TARGET MISSED: ${f}`);
  if (!process.argv.includes("--json")) realPreviewOverhead();
  process.exitCode = failures.length ? 1 : 0;
}

if (process.argv[2] === "--one") {
  one(process.argv[3]).then(
    (r) => console.log(JSON.stringify(r)),
    (e) => {
      console.error(e);
      process.exit(1);
    },
  );
} else {
  main();
}
