/**
 * `npm run bench:scale`: the real CLI against the real API server at 22 and
 * at 1,000 nodes (stacks `sim` and `sim-1k`), beside the kubectl baseline a
 * user would otherwise run, so the result holds as ratios on a busy machine.
 *
 * Per size, on a simulated datacenter of its own (scripts/sim.sh with its own
 * directory and ports) and a file state backend in the same directory:
 *   - `pulumi preview` from empty, without and with `--policy-pack policy`;
 *   - `pulumi up --policy-pack policy` from empty, the peak memory of the CLI,
 *     the language host (with the program's Node.js) and the kubernetes
 *     provider, and the time from its start until every DaemonSet has every
 *     pod updated and ready on every node it selects;
 *   - a no-op `preview --policy-pack policy` (what a pull request without
 *     changes costs) and a no-op `up`;
 *   - `kubectl apply --server-side --dry-run=server` and `kubectl apply
 *     --server-side` of the same objects (the inputs Pulumi applied, from the
 *     stack's state), the baselines of the preview and of the no-op up;
 *   - `pulumi refresh`, `pulumi destroy`.
 * The load average is printed with each figure: other jobs share the machine.
 *
 *   npm run bench:scale -- [--sizes 22,1000] [--port-base 16400] [--keep] [--json] [--cpu-prof]
 *
 * Size i uses ports from --port-base + 100*i (the sim uses base..base+59).
 * Every step's full output goes to .bench-scale-logs/<nodes>-<step>.log, kept
 * after the run; a failed `up` names its failed resources. --cpu-prof runs one
 * more no-op preview with `node --cpu-prof` in the program's and the policy
 * pack's Node.js and prints where their CPU time went (not timed).
 * Goals at 1,000 nodes (checked here, not in tests): no-op preview < 30 s,
 * no-op up < 20 s, each within 3x kubectl (scripts/lib/scale-report.ts).
 */
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parseArgs } from "util";
import { loadStackFile } from "../stacks/config";
import { samplePeaks, type Role } from "./lib/proc-peak";
import { describeLimits, scaleLimits } from "./lib/scale-limits";
import {
  STEP,
  daemonSetRollout,
  failedResources,
  goalMisses,
  objectsFromState,
  ratiosOf,
  reportTable,
  resourceCount,
  summariseCpuProfile,
  type CpuProfile,
  type DaemonSetStatus,
  type SizeResult,
} from "./lib/scale-report";

const repo = path.resolve(__dirname, "..");
const STACK_FOR_SIZE: Record<number, string> = { 22: "sim", 1000: "sim-1k" };
const LOG_DIR = path.join(repo, ".bench-scale-logs");
/** Bound on the rollout wait after `up` (kwok pods on a busy 2-core machine). */
const ROLLOUT_BOUND_SECONDS = 1800;

interface Timed {
  readonly seconds: number;
  readonly load: string;
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly peaks?: Record<Role, number>;
}

const load = () => os.loadavg()[0].toFixed(1);

function runTimed(
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  opts: { peaks?: boolean; log?: string } = {},
): Promise<Timed> {
  return new Promise((resolve) => {
    const startLoad = load();
    const t0 = process.hrtime.bigint();
    const child = spawn(cmd, args, { cwd: repo, env });
    const sampler = opts.peaks && child.pid ? samplePeaks(child.pid) : undefined;
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    child.on("close", (code) => {
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      if (opts.log)
        fs.writeFileSync(
          opts.log,
          `$ ${cmd} ${args.join(" ")}\n# exit ${code}, ${seconds.toFixed(1)} s\n${stdout}\n--- stderr\n${stderr}`,
        );
      resolve({
        seconds: Math.round(seconds * 10) / 10,
        load: startLoad,
        status: code ?? 1,
        stdout,
        stderr,
        peaks: sampler?.stop(),
      });
    });
  });
}

function must(r: Timed, what: string, log?: string): Timed {
  if (r.status !== 0) {
    const failed = failedResources(r.stdout);
    throw new Error(
      `${what} failed (exit ${r.status})${log ? `; full output in ${log}` : ""}\n` +
        (failed.length
          ? `failed resources:\n${failed.map((f) => `  ${f.resource}: ${f.error}`).join("\n")}\n`
          : `${r.stdout.slice(-3000)}\n${r.stderr.slice(-3000)}`),
    );
  }
  process.stderr.write(`  ${what}: ${r.seconds} s (load ${r.load})\n`);
  return r;
}

/** Polls until every DaemonSet has all its pods updated and ready; seconds since `t0`, or undefined at the bound. */
async function waitForDaemonSets(
  env: NodeJS.ProcessEnv,
  kubeconfig: string,
  t0: number,
  expected: number,
  stop: { upDone: boolean },
): Promise<{ seconds?: number; pods: number; daemonSets: number; behind: string[] }> {
  let last = { pods: 0, daemonSets: 0, behind: [] as string[] };
  while ((Date.now() - t0) / 1000 < ROLLOUT_BOUND_SECONDS) {
    const r = await runTimed(
      "kubectl",
      ["--kubeconfig", kubeconfig, "get", "daemonsets", "-A", "-o", "json"],
      env,
    );
    if (r.status === 0) {
      const state = daemonSetRollout((JSON.parse(r.stdout) as { items: DaemonSetStatus[] }).items, expected);
      last = state;
      if (state.done) return { seconds: Math.round((Date.now() - t0) / 100) / 10, ...state };
    }
    // A failed `up` may never create every DaemonSet: stop a minute after it.
    if (stop.upDone && (Date.now() - t0) / 1000 > ROLLOUT_BOUND_SECONDS / 3) break;
    await new Promise((res) => setTimeout(res, 2000));
  }
  return last;
}

async function simEnv(nodes: number, dir: string, portBase: number): Promise<NodeJS.ProcessEnv> {
  const envOut = await runTimed("bash", ["-c", "source scripts/env.sh && env -0"], process.env);
  const env: NodeJS.ProcessEnv = {};
  for (const kv of envOut.stdout.split("\0")) {
    const i = kv.indexOf("=");
    if (i > 0) env[kv.slice(0, i)] = kv.slice(i + 1);
  }
  const simDir = path.join(dir, "sim");
  return Object.assign(env, {
    PRIVATE_CLOUD_SIM_DIR: simDir,
    PRIVATE_CLOUD_SIM_PORT_BASE: String(portBase),
    PRIVATE_CLOUD_SIM_STACK: STACK_FOR_SIZE[nodes],
    PRIVATE_CLOUD_KUBECONFIG: path.join(simDir, "kubeconfig"),
    PULUMI_BACKEND_URL: `file://${path.join(dir, "state")}`,
    PULUMI_CONFIG_PASSPHRASE: "private-cloud-local-only",
  });
}

/** One more no-op preview under `node --cpu-prof`; prints where the Node.js processes spent their CPU. */
async function profilePreview(env: NodeJS.ProcessEnv, stack: string, nodes: number): Promise<void> {
  const profDir = path.join(LOG_DIR, `${nodes}-cpu-prof`);
  fs.rmSync(profDir, { recursive: true, force: true });
  fs.mkdirSync(profDir, { recursive: true });
  // Node.js refuses --cpu-prof in NODE_OPTIONS, so a `node` first on PATH
  // adds it for the processes the language host starts. The policy pack's
  // process is killed by the engine at the end and writes no profile; the
  // program's process exits and does.
  const bin = path.join(profDir, "bin");
  fs.mkdirSync(bin);
  fs.writeFileSync(
    path.join(bin, "node"),
    `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} --cpu-prof --cpu-prof-dir=${JSON.stringify(profDir)} "$@"\n`,
    { mode: 0o755 },
  );
  const profEnv = { ...env, PATH: `${bin}${path.delimiter}${env.PATH ?? ""}` };
  const r = await runTimed(
    "pulumi",
    ["preview", "--policy-pack", "policy", "--stack", stack, "--non-interactive"],
    profEnv,
    { log: path.join(LOG_DIR, `${nodes}-preview-cpu-prof.log`) },
  );
  process.stderr.write(
    `  profiled no-op preview: ${r.seconds} s (exit ${r.status}), profiles in ${profDir}\n`,
  );
  const profiles = fs
    .readdirSync(profDir)
    .filter((f) => f.endsWith(".cpuprofile"))
    .map((f) => ({
      f,
      s: summariseCpuProfile(JSON.parse(fs.readFileSync(path.join(profDir, f), "utf8")) as CpuProfile, 8),
    }))
    .sort((a, b) => b.s.totalMs - a.s.totalMs);
  for (const { f, s } of profiles.slice(0, 3)) {
    process.stderr.write(`  ${f}: ${s.totalMs} ms sampled\n`);
    for (const o of s.byOwner) process.stderr.write(`    ${String(o.ms).padStart(7)} ms  ${o.owner}\n`);
    for (const o of s.byFunction.slice(0, 5))
      process.stderr.write(`    ${String(o.ms).padStart(7)} ms  fn ${o.fn}\n`);
  }
}

async function benchSize(
  nodes: number,
  portBase: number,
  opts: { keep: boolean; cpuProf: boolean },
): Promise<SizeResult> {
  const stack = STACK_FOR_SIZE[nodes];
  const dir = path.join(repo, `.bench-scale-${nodes}`);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(path.join(dir, "state"), { recursive: true });
  fs.mkdirSync(LOG_DIR, { recursive: true });
  const env = await simEnv(nodes, dir, portBase);
  const kubeconfig = env.PRIVATE_CLOUD_KUBECONFIG as string;
  const res: SizeResult = {
    nodes,
    stack,
    kubernetesObjects: 0,
    daemonSets: 0,
    daemonSetPods: 0,
    seconds: {},
    load: {},
    peaksMiB: {},
    ratios: {},
  };
  const logOf = (step: string) => path.join(LOG_DIR, `${nodes}-${step.replace(/[^a-z0-9]+/gi, "-")}.log`);
  /** Runs one step, records its time (and peaks), fails loudly naming the log. */
  const step = async (name: string, cmd: string, args: string[], peaks = false): Promise<Timed> => {
    const log = logOf(name);
    const r = must(await runTimed(cmd, args, env, { peaks, log }), name, log);
    res.seconds[name] = r.seconds;
    res.load[name] = r.load;
    if (r.peaks) res.peaksMiB[name] = r.peaks;
    return r;
  };
  const pulumiArgs = (args: string[]) => [...args, "--stack", stack, "--non-interactive"];
  const kubectlArgs = (args: string[], file: string) => [
    "--kubeconfig",
    kubeconfig,
    "apply",
    "--server-side",
    "--force-conflicts",
    "--field-manager=bench",
    "-o",
    "name",
    ...args,
    "-f",
    file,
  ];

  process.stderr.write(
    `== ${nodes} nodes (stack ${stack}, ports from ${portBase}, ${dir}, logs ${LOG_DIR})\n`,
  );
  try {
    await step(STEP.simUp, "bash", ["scripts/sim.sh", "up"]);
    must(
      await runTimed("pulumi", pulumiArgs(["stack", "init", "--secrets-provider", "passphrase"]), env),
      "stack init",
    );

    await step(STEP.preview, "pulumi", pulumiArgs(["preview"]), true);
    const pv = await step(
      STEP.previewPolicy,
      "pulumi",
      pulumiArgs(["preview", "--policy-pack", "policy"]),
      true,
    );
    res.resources = resourceCount(pv.stdout);

    // The DaemonSets the program creates, from the preview's resource list.
    const expectedDaemonSets = (pv.stdout.match(/kubernetes:apps\/v1:DaemonSet/g) ?? []).length;
    const upStart = Date.now();
    const stop = { upDone: false };
    const rollout = waitForDaemonSets(env, kubeconfig, upStart, expectedDaemonSets, stop);
    try {
      await step(
        STEP.up,
        "pulumi",
        pulumiArgs(["up", "--yes", "--skip-preview", "--policy-pack", "policy"]),
        true,
      );
    } finally {
      stop.upDone = true;
    }
    const ds = await rollout;
    res.daemonSetPods = ds.pods;
    res.daemonSets = ds.daemonSets;
    if (ds.seconds !== undefined) res.seconds[STEP.rollout] = ds.seconds;
    process.stderr.write(
      `  every DaemonSet rolled out: ${ds.seconds ?? `not within ${ROLLOUT_BOUND_SECONDS}`} s after up started (${ds.daemonSets} DaemonSets, ${ds.pods} pods${ds.behind.length ? `; behind: ${ds.behind.join(", ")}` : ""})\n`,
    );

    const exported = must(
      await runTimed("pulumi", pulumiArgs(["stack", "export", "--show-secrets"]), env),
      "stack export",
    );
    const objects = objectsFromState(exported.stdout);
    res.kubernetesObjects = objects.count;

    await step(STEP.noopPreview, "pulumi", pulumiArgs(["preview", "--policy-pack", "policy"]), true);
    await step(STEP.noopUp, "pulumi", pulumiArgs(["up", "--yes", "--skip-preview"]), true);

    const file = path.join(dir, "objects.yaml");
    fs.writeFileSync(file, objects.yaml);
    await step(STEP.kubectlDryRun, "kubectl", kubectlArgs(["--dry-run=server"], file));
    if (opts.cpuProf) await profilePreview(env, stack, nodes);
    // Refresh before kubectl's real apply: that apply makes kubectl a field
    // manager of the same fields, and a refresh afterwards reads back a
    // Secret's data without Pulumi's share of it ("malformed secret: missing
    // value" on every Secret). Destroy deletes by name and is not affected.
    await step(STEP.refresh, "pulumi", pulumiArgs(["refresh", "--yes", "--skip-preview"]), true);
    await step(STEP.kubectlApply, "kubectl", kubectlArgs([], file));
    await step(STEP.destroy, "pulumi", pulumiArgs(["destroy", "--yes", "--skip-preview"]), true);
  } finally {
    res.ratios = ratiosOf(res.seconds);
    fs.writeFileSync(path.join(LOG_DIR, `${nodes}-result.json`), JSON.stringify(res, null, 2));
    if (!opts.keep) {
      await runTimed("bash", ["scripts/sim.sh", "down"], env);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
  return res;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      sizes: { type: "string", default: "22,1000" },
      "port-base": { type: "string", default: "16400" },
      keep: { type: "boolean", default: false },
      json: { type: "boolean", default: false },
      "cpu-prof": { type: "boolean", default: false },
    },
  });
  const sizes = values.sizes.split(",").map((s) => Number(s.trim()));
  const bad = sizes.filter((s) => !(s in STACK_FOR_SIZE));
  if (bad.length)
    throw new Error(`--sizes: ${bad.join(", ")} not a simulated datacenter size (expected 22 and/or 1000)`);
  const portBase = Number(values["port-base"]);
  if (!Number.isInteger(portBase) || portBase < 1024 || portBase > 60_000)
    throw new Error(
      `--port-base: ${JSON.stringify(values["port-base"])} is not valid (expected a port in 1024..60000)`,
    );
  // The limits that are not about speed, from the model (no cluster needed).
  const limits = sizes.map((n) => ({
    n,
    lines: describeLimits(scaleLimits(loadStackFile(path.join(repo, `Pulumi.${STACK_FOR_SIZE[n]}.yaml`)))),
  }));
  for (const { n, lines } of limits)
    process.stderr.write(`== scale limits at ${n} nodes\n${lines.map((l) => `  ${l}\n`).join("")}`);
  const results: SizeResult[] = [];
  for (const [i, n] of sizes.entries())
    results.push(await benchSize(n, portBase + 100 * i, { keep: values.keep, cpuProf: values["cpu-prof"] }));

  if (values.json) {
    process.stdout.write(JSON.stringify(results, null, 2) + "\n");
    return;
  }
  process.stdout.write(reportTable(results));
  for (const { n, lines } of limits)
    process.stdout.write(`\nScale limits at ${n} nodes:\n${lines.map((l) => `- ${l}\n`).join("")}`);
  const big = results.find((r) => r.nodes === 1000);
  if (big) {
    const fails = goalMisses(big);
    process.stdout.write(
      fails.length ? `\nGOALS MISSED at 1,000 nodes: ${fails.join("; ")}\n` : "\nGoals met at 1,000 nodes.\n",
    );
    if (fails.length) process.exitCode = 1;
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`bench:scale: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
