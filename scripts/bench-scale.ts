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
 *   npm run bench:scale -- [--sizes 22,1000] [--port-base 16400] [--keep] [--json]
 *
 * Size i uses ports from --port-base + 1000*i. Goals at 1,000 nodes (checked
 * here, not in tests): preview < 30 s, no-op up < 20 s, each within 3x kubectl.
 */
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parseArgs } from "util";
import { stringify } from "yaml";
import { samplePeaks, type Role } from "./lib/proc-peak";

const repo = path.resolve(__dirname, "..");
const GOALS = { previewSeconds: 30, noopUpSeconds: 20, maxRatioToKubectl: 3 };
const STACK_FOR_SIZE: Record<number, string> = { 22: "sim", 1000: "sim-1k" };

interface Timed {
  readonly seconds: number;
  readonly load: string;
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly peaks?: Record<Role, number>;
}

function load(): string {
  return os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(" ");
}

function runTimed(
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  opts: { cwd?: string; peaks?: boolean; onStart?: () => void } = {},
): Promise<Timed> {
  return new Promise((resolve) => {
    const startLoad = load();
    const t0 = process.hrtime.bigint();
    const child = spawn(cmd, args, { cwd: opts.cwd ?? repo, env });
    const sampler = opts.peaks && child.pid ? samplePeaks(child.pid) : undefined;
    opts.onStart?.();
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    child.on("close", (code) => {
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
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

function must(r: Timed, what: string): Timed {
  if (r.status !== 0)
    throw new Error(`${what} failed (exit ${r.status}):\n${r.stdout.slice(-3000)}\n${r.stderr.slice(-3000)}`);
  process.stderr.write(`  ${what}: ${r.seconds} s (load ${r.load})\n`);
  return r;
}

interface DaemonSetStatus {
  metadata: { namespace: string; name: string };
  status: {
    desiredNumberScheduled?: number;
    numberReady?: number;
    updatedNumberScheduled?: number;
  };
}

/** Polls until every DaemonSet has all its pods updated and ready; seconds since `t0`, or undefined at the bound. */
async function waitForDaemonSets(
  env: NodeJS.ProcessEnv,
  kubeconfig: string,
  t0: number,
  expected: number,
  boundSeconds: number,
): Promise<{ seconds?: number; pods: number; daemonSets: number }> {
  let last = { pods: 0, daemonSets: 0 };
  while ((Date.now() - t0) / 1000 < boundSeconds) {
    const r = await runTimed(
      "kubectl",
      ["--kubeconfig", kubeconfig, "get", "daemonsets", "-A", "-o", "json"],
      env,
    );
    if (r.status === 0) {
      const items = (JSON.parse(r.stdout) as { items: DaemonSetStatus[] }).items;
      last = {
        pods: items.reduce((a, d) => a + (d.status.desiredNumberScheduled ?? 0), 0),
        daemonSets: items.length,
      };
      const done =
        items.length >= expected &&
        items.every(
          (d) =>
            (d.status.desiredNumberScheduled ?? 0) > 0 &&
            d.status.numberReady === d.status.desiredNumberScheduled &&
            d.status.updatedNumberScheduled === d.status.desiredNumberScheduled,
        );
      if (done) return { seconds: Math.round((Date.now() - t0) / 100) / 10, ...last };
    }
    await new Promise((res) => setTimeout(res, 2000));
  }
  return { ...last };
}

/** The Kubernetes objects Pulumi applied (their inputs in the state), as one multi-document YAML. */
function objectsFromState(exported: string): { yaml: string; count: number; daemonSets: number } {
  const state = JSON.parse(exported) as {
    deployment: { resources?: { type: string; inputs?: Record<string, unknown> }[] };
  };
  const objects: Record<string, unknown>[] = [];
  for (const r of state.deployment.resources ?? []) {
    if (!r.type.startsWith("kubernetes:") || !r.inputs) continue;
    const { apiVersion, kind, metadata } = r.inputs as {
      apiVersion?: string;
      kind?: string;
      metadata?: unknown;
    };
    if (!apiVersion || !kind || !metadata) continue;
    objects.push(kind === "Secret" ? secretForKubectl(r.inputs) : r.inputs);
  }
  // CRDs first, namespaces next, as an ordered apply needs them.
  const rank = (o: Record<string, unknown>) =>
    o.kind === "CustomResourceDefinition" ? 0 : o.kind === "Namespace" ? 1 : 2;
  objects.sort((a, b) => rank(a) - rank(b));
  return {
    yaml: objects.map((o) => stringify(o)).join("---\n"),
    count: objects.length,
    daemonSets: objects.filter((o) => o.kind === "DaemonSet").length,
  };
}

/**
 * A Secret as kubectl sends it. The kubernetes provider keeps what the
 * program gave: `data` values the program did not base64-encode go to
 * `stringData`, where the API server takes plain text.
 */
function secretForKubectl(inputs: Record<string, unknown>): Record<string, unknown> {
  const data = (inputs.data ?? {}) as Record<string, string>;
  const base64 = /^[A-Za-z0-9+/]*={0,2}$/;
  const keep: Record<string, string> = {};
  const plain: Record<string, string> = { ...((inputs.stringData ?? {}) as Record<string, string>) };
  for (const [k, v] of Object.entries(data)) {
    if (typeof v === "string" && v.length % 4 === 0 && base64.test(v)) keep[k] = v;
    else plain[k] = String(v);
  }
  const out: Record<string, unknown> = { ...inputs, data: keep };
  if (Object.keys(plain).length) out.stringData = plain;
  return out;
}

function resourceCount(stdout: string): number | undefined {
  const m = /(\d+) (?:to create|created)/.exec(stdout);
  return m ? Number(m[1]) : undefined;
}

interface SizeResult {
  nodes: number;
  stack: string;
  resources?: number;
  kubernetesObjects: number;
  daemonSetPods: number;
  seconds: Record<string, number>;
  load: Record<string, string>;
  peaksMiB: Record<string, Record<Role, number>>;
  ratios: Record<string, number>;
}

async function benchSize(nodes: number, portBase: number, keep: boolean): Promise<SizeResult> {
  const stack = STACK_FOR_SIZE[nodes];
  const dir = path.join(repo, `.bench-scale-${nodes}`);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(path.join(dir, "state"), { recursive: true });
  const simDir = path.join(dir, "sim");
  const kubeconfig = path.join(simDir, "kubeconfig");
  const envOut = await runTimed("bash", ["-c", "source scripts/env.sh && env -0"], process.env);
  const env: NodeJS.ProcessEnv = {};
  for (const kv of envOut.stdout.split("\0")) {
    const i = kv.indexOf("=");
    if (i > 0) env[kv.slice(0, i)] = kv.slice(i + 1);
  }
  Object.assign(env, {
    PRIVATE_CLOUD_SIM_DIR: simDir,
    PRIVATE_CLOUD_SIM_PORT_BASE: String(portBase),
    PRIVATE_CLOUD_SIM_STACK: stack,
    PRIVATE_CLOUD_KUBECONFIG: kubeconfig,
    PULUMI_BACKEND_URL: `file://${path.join(dir, "state")}`,
    PULUMI_CONFIG_PASSPHRASE: "private-cloud-local-only",
  });
  const res: SizeResult = {
    nodes,
    stack,
    kubernetesObjects: 0,
    daemonSetPods: 0,
    seconds: {},
    load: {},
    peaksMiB: {},
    ratios: {},
  };
  const note = (what: string, r: Timed) => {
    res.seconds[what] = r.seconds;
    res.load[what] = r.load;
    if (r.peaks) res.peaksMiB[what] = r.peaks;
  };
  const pulumi = (args: string[], peaks = false) =>
    runTimed("pulumi", [...args, "--stack", stack, "--non-interactive"], env, { peaks });
  const kubectl = (args: string[], input?: string) =>
    runTimed(
      "bash",
      ["-c", `kubectl --kubeconfig "${kubeconfig}" ${args.join(" ")}${input ? ` -f "${input}"` : ""}`],
      env,
    );

  process.stderr.write(`== ${nodes} nodes (stack ${stack}, ports from ${portBase}, ${dir})\n`);
  try {
    note("sim up", must(await runTimed("bash", ["scripts/sim.sh", "up"], env), "sim up"));
    must(await pulumi(["stack", "init", "--secrets-provider", "passphrase"]), "stack init");

    note("preview", must(await pulumi(["preview"], true), "preview (no policy pack)"));
    const pv = must(await pulumi(["preview", "--policy-pack", "policy"], true), "preview --policy-pack");
    note("preview + policy", pv);
    res.resources = resourceCount(pv.stdout);

    // The DaemonSets the program creates, from the preview's resource list.
    const expectedDaemonSets = (pv.stdout.match(/kubernetes:apps\/v1:DaemonSet/g) ?? []).length;
    let rollout: Promise<{ seconds?: number; pods: number; daemonSets: number }> | undefined;
    const upStart = Date.now();
    const up = await runTimed(
      "pulumi",
      ["up", "--yes", "--skip-preview", "--policy-pack", "policy", "--stack", stack, "--non-interactive"],
      env,
      {
        peaks: true,
        onStart: () => {
          // Rolled out = every DaemonSet of the program exists and is complete (bounded wait).
          rollout = waitForDaemonSets(env, kubeconfig, upStart, expectedDaemonSets, 1800);
        },
      },
    );
    note("up (from empty) + policy", must(up, "up from empty"));
    const exported = must(await pulumi(["stack", "export", "--show-secrets"]), "stack export");
    const objects = objectsFromState(exported.stdout);
    res.kubernetesObjects = objects.count;
    const ds = (await rollout) ?? { pods: 0, daemonSets: 0 };
    if (ds.daemonSets !== objects.daemonSets)
      process.stderr.write(
        `  note: ${objects.daemonSets} DaemonSets in the state, ${ds.daemonSets} seen rolled out\n`,
      );
    res.daemonSetPods = ds.pods;
    if (ds.seconds !== undefined) res.seconds["every DaemonSet rolled out (from up start)"] = ds.seconds;
    process.stderr.write(
      `  every DaemonSet rolled out: ${ds.seconds ?? "not within 1800"} s after up started (${ds.daemonSets} DaemonSets, ${ds.pods} pods)\n`,
    );

    note(
      "preview no-op + policy",
      must(await pulumi(["preview", "--policy-pack", "policy"], true), "no-op preview"),
    );
    note("up no-op", must(await pulumi(["up", "--yes", "--skip-preview"], true), "no-op up"));

    const file = path.join(dir, "objects.yaml");
    fs.writeFileSync(file, objects.yaml);
    note(
      "kubectl apply --server-side --dry-run=server",
      must(
        await kubectl(
          [
            "apply",
            "--server-side",
            "--force-conflicts",
            "--field-manager=bench",
            "--dry-run=server",
            "-o",
            "name",
          ],
          file,
        ),
        "kubectl dry-run",
      ),
    );
    note(
      "kubectl apply --server-side",
      must(
        await kubectl(
          ["apply", "--server-side", "--force-conflicts", "--field-manager=bench", "-o", "name"],
          file,
        ),
        "kubectl apply",
      ),
    );
    note("refresh", must(await pulumi(["refresh", "--yes", "--skip-preview"], true), "refresh"));
    note("destroy", must(await pulumi(["destroy", "--yes", "--skip-preview"], true), "destroy"));

    const k = res.seconds;
    const ratio = (a: number, b: number) => Math.round((a / b) * 10) / 10;
    res.ratios = {
      "preview + policy / kubectl dry-run": ratio(
        k["preview no-op + policy"],
        k["kubectl apply --server-side --dry-run=server"],
      ),
      "preview / kubectl dry-run": ratio(k["preview"], k["kubectl apply --server-side --dry-run=server"]),
      "no-op up / kubectl apply": ratio(k["up no-op"], k["kubectl apply --server-side"]),
      "up from empty / kubectl apply": ratio(k["up (from empty) + policy"], k["kubectl apply --server-side"]),
    };
  } finally {
    if (!keep) {
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
  const results: SizeResult[] = [];
  for (const [i, n] of sizes.entries()) results.push(await benchSize(n, portBase + 1000 * i, values.keep));

  if (values.json) {
    process.stdout.write(JSON.stringify(results, null, 2) + "\n");
    return;
  }
  const rows = [...new Set(results.flatMap((r) => Object.keys(r.seconds)))];
  process.stdout.write(
    `| seconds (load average at start) | ${results.map((r) => `${r.nodes} nodes (${r.stack})`).join(" | ")} |\n`,
  );
  process.stdout.write(`| --- | ${results.map(() => "---:").join(" | ")} |\n`);
  process.stdout.write(
    `| resources / Kubernetes objects / DaemonSet pods | ${results.map((r) => `${r.resources ?? "?"} / ${r.kubernetesObjects} / ${r.daemonSetPods}`).join(" | ")} |\n`,
  );
  for (const row of rows)
    process.stdout.write(
      `| ${row} | ${results.map((r) => (row in r.seconds ? `${r.seconds[row]} (${r.load[row].split(" ")[0]})` : "")).join(" | ")} |\n`,
    );
  for (const ratio of Object.keys(results[0]?.ratios ?? {}))
    process.stdout.write(`| ratio: ${ratio} | ${results.map((r) => `${r.ratios[ratio]}×`).join(" | ")} |\n`);
  for (const role of ["cli", "languageHost", "kubernetesProvider", "policyPack"] as Role[])
    process.stdout.write(
      `| peak MiB, ${role} (up from empty / no-op preview) | ${results.map((r) => `${r.peaksMiB["up (from empty) + policy"]?.[role] ?? "?"} / ${r.peaksMiB["preview no-op + policy"]?.[role] ?? "?"}`).join(" | ")} |\n`,
    );
  const big = results.find((r) => r.nodes === 1000);
  if (big) {
    const fails: string[] = [];
    const s = big.seconds;
    if (s["preview no-op + policy"] > GOALS.previewSeconds)
      fails.push(`preview ${s["preview no-op + policy"]} s > ${GOALS.previewSeconds} s`);
    if (s["up no-op"] > GOALS.noopUpSeconds)
      fails.push(`no-op up ${s["up no-op"]} s > ${GOALS.noopUpSeconds} s`);
    for (const [k, v] of Object.entries(big.ratios))
      if (k.startsWith("preview + policy") || k.startsWith("no-op up"))
        if (v > GOALS.maxRatioToKubectl) fails.push(`${k} ${v}× > ${GOALS.maxRatioToKubectl}×`);
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
