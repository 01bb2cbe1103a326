/**
 * `npm run bench:release`: the release engine's wall times on a simulated
 * datacenter of its own (scripts/sim.sh on PRIVATE_CLOUD_BENCH_PORT_BASE,
 * default 19600, in .e2e/bench-<pid>):
 *  - one business (the catalog's `shop`): render (the CLI, a new process),
 *    preview and up (both with the policy pack), a second up of a new version;
 *  - N businesses (BENCH_BUSINESSES, default 50) released one by one, then
 *    a new version of all of them in parallel (BENCH_PARALLEL at a time,
 *    default 10: each release is a Pulumi CLI, a Kubernetes provider and a
 *    policy analyzer, ~0.4 GB together, so 50 at once would not fit a 24 GB
 *    machine shared with other work).
 *
 * The datacenter's platform stack here is a small stand-in (stack `bench` of
 * the platform project) that creates the N business namespaces and exports
 * what a real platform stack exports for releases (release context,
 * kubeconfig, log writer password): onboarding 50 ingress tiers would bench
 * the platform, not the release engine.
 *
 * Goals (checked here, never by timed assertions in tests): render < 2 s,
 * preview < 15 s, up < 30 s for one business; 50 in parallel < 5 min.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { performance } from "perf_hooks";
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { LocalWorkspace } from "@pulumi/pulumi/automation";
import { stringify } from "yaml";
import { namespaceSpec } from "../components/common/namespace";
import { DEFAULT_APPS_DIR, resolveRelease, type ResolvedRelease } from "../release/catalog/load";
import { runRelease, type EngineOptions } from "../release/engine";
import { compiledPolicyPack } from "../release/policy-build";
import { PLATFORM_PROJECT } from "../release/program";
import { contextFromStackFile } from "../release/render";
import { releaseRulesTarget } from "../components/monitoring-stack/release-rules";
import { RELEASE_NODE_ARGS } from "./lib/release-node-args";

const root = path.join(__dirname, "..");
const N = Number(process.env.BENCH_BUSINESSES ?? 50);
const PARALLEL = Number(process.env.BENCH_PARALLEL ?? 10);
const SEQUENTIAL = Number(process.env.BENCH_SEQUENTIAL ?? N);
const work = path.join(root, ".e2e", `bench-${process.pid}`);
const simDir = path.join(work, "sim");
const state = path.join(work, "state");
const apps = path.join(work, "apps");
const DC = "bench";
const GOALS = { renderS: 2, previewS: 15, upS: 30, parallel50S: 300 };

function sh(cmd: string, args: string[], env: NodeJS.ProcessEnv): void {
  const r = spawnSync(cmd, args, { cwd: root, env, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed:\n${r.stdout}\n${r.stderr}`);
}

function toolchainEnv(): NodeJS.ProcessEnv {
  const r = spawnSync("bash", ["-c", "source scripts/env.sh && env -0"], { cwd: root, encoding: "utf8" });
  const env: NodeJS.ProcessEnv = {};
  for (const kv of r.stdout.split("\0")) {
    const i = kv.indexOf("=");
    if (i > 0) env[kv.slice(0, i)] = kv.slice(i + 1);
  }
  return {
    ...env,
    PRIVATE_CLOUD_SIM_DIR: simDir,
    PRIVATE_CLOUD_SIM_PORT_BASE: process.env.PRIVATE_CLOUD_BENCH_PORT_BASE ?? "19600",
    PULUMI_BACKEND_URL: `file://${state}`,
    PULUMI_CONFIG_PASSPHRASE: "private-cloud-local-only",
    RELEASE_USER: "bench",
  };
}

const names = Array.from({ length: N }, (_, i) => `biz-${String(i + 1).padStart(2, "0")}`);

/** The stand-in platform stack: namespaces of shop and the N businesses, and the outputs releases read. */
async function platform(env: NodeJS.ProcessEnv): Promise<void> {
  const kubeconfig = fs.readFileSync(path.join(simDir, "kubeconfig"), "utf8");
  const sim = contextFromStackFile("sim");
  const shop = sim.businesses.shop;
  const monitoringNs = shop.alertRules.namespace;
  const context = {
    ...sim,
    datacenter: DC,
    businesses: Object.fromEntries(
      ["shop", ...names].map((b) => [
        b,
        {
          ...shop,
          namespace: b,
          ingressNamespace: `ingress-${b}`,
          alertRules: releaseRulesTarget(monitoringNs, b),
        },
      ]),
    ),
  };
  const stack = await LocalWorkspace.createOrSelectStack(
    {
      stackName: DC,
      projectName: PLATFORM_PROJECT,
      program: async () => {
        const provider = new k8s.Provider("bench-k8s", { kubeconfig: pulumi.secret(kubeconfig) });
        for (const b of ["shop", ...names])
          new k8s.core.v1.Namespace(b, namespaceSpec(b, "restricted", "business"), { provider });
        // Where releases write their alert rules (the business Prometheus's namespace).
        new k8s.core.v1.Namespace(monitoringNs, namespaceSpec(monitoringNs, "restricted", "monitoring"), {
          provider,
        });
        return {
          kubeconfig: pulumi.secret(kubeconfig),
          releaseContext: context,
          logWriterPassword: pulumi.secret("bench"),
        };
      },
    },
    {
      workDir: fs.mkdtempSync(path.join(work, "platform-")),
      projectSettings: { name: PLATFORM_PROJECT, runtime: "nodejs", backend: { url: `file://${state}` } },
      secretsProvider: "passphrase",
      envVars: env as Record<string, string>,
    },
  );
  await stack.up();
}

function catalog(): void {
  fs.mkdirSync(apps, { recursive: true });
  fs.cpSync(path.join(DEFAULT_APPS_DIR, "templates"), path.join(apps, "templates"), { recursive: true });
  const shop = fs
    .readFileSync(path.join(DEFAULT_APPS_DIR, "shop.yaml"), "utf8")
    .replace(/name: sim\b/, `name: ${DC}`);
  fs.writeFileSync(path.join(apps, "shop.yaml"), shop);
  for (const b of names)
    fs.writeFileSync(
      path.join(apps, `${b}.yaml`),
      stringify({
        business: b,
        template: "jetty-web",
        image: `${b}/web`,
        version: "1.0.0",
        resources: { cpuRequestMillis: 250, memoryLimitMiB: 1024 },
        warmupSeconds: 5,
        datacenters: [{ name: DC }],
      }),
    );
}

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const v = await fn();
  return [v, (performance.now() - t0) / 1000];
}

const clock = () => new Date().toISOString().slice(11, 19);
const say = (msg: string) => process.stderr.write(`[bench ${clock()}] ${msg}\n`);

/**
 * Runs `fn` over `items`, at most `width` at once, and says on stderr when
 * each one ends (how long it took, how many are done and running) so a long
 * run shows where it is. Returns each item's wall seconds.
 */
async function pool(
  phase: string,
  items: readonly string[],
  width: number,
  fn: (t: string) => Promise<void>,
): Promise<number[]> {
  const queue = [...items];
  const seconds: number[] = [];
  let running = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(width, items.length) }, async () => {
      for (let t = queue.shift(); t !== undefined; t = queue.shift()) {
        running++;
        const [, s] = await timed(() => fn(t as string));
        running--;
        seconds.push(s);
        say(
          `${phase}: ${t} ${round(s)} s (${seconds.length}/${items.length} done, ${running} running, ${round((performance.now() - t0) / 1000)} s so far)`,
        );
      }
    }),
  );
  return seconds;
}

const stats = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return `min ${round(s[0])} / median ${round(s[Math.floor(s.length / 2)])} / max ${round(s[s.length - 1])} s`;
};

/** Stops the bench's simulated datacenter and removes its scratch directory. */
function cleanUp(env: NodeJS.ProcessEnv): void {
  spawnSync("bash", ["scripts/sim.sh", "down"], { cwd: root, env, stdio: "ignore" });
  fs.rmSync(work, { recursive: true, force: true });
}

async function main(): Promise<void> {
  const env = toolchainEnv();
  // Ctrl-C or a CI timeout: leave no API server, etcd or kwok running behind.
  for (const signal of ["SIGINT", "SIGTERM"] as const)
    process.once(signal, () => {
      say(`${signal}: stopping the simulated datacenter`);
      cleanUp(env);
      process.exit(130);
    });
  // The Automation API finds `pulumi` on this process's PATH.
  Object.assign(process.env, env);
  fs.mkdirSync(state, { recursive: true });
  const out: Record<string, number | string> = { businesses: N, parallel: PARALLEL };
  try {
    say(`sim up (port base ${env.PRIVATE_CLOUD_SIM_PORT_BASE})`);
    sh("bash", ["scripts/sim.sh", "up"], env);
    catalog();
    const [, platformS] = await timed(() => platform(env));
    out.platformStandInS = round(platformS);
    // The policy pack is compiled once per change (release/policy-build.ts); count that apart.
    out.policyPackBuildS = round((await timed(async () => compiledPolicyPack()))[1]);
    const opts: EngineOptions = { env, backendUrl: `file://${state}` };
    const must = async (op: "preview" | "up", r: ResolvedRelease) => {
      const o = await runRelease(op, r, opts);
      if (!o.ok) throw new Error(`${op} ${r.business}: ${JSON.stringify(o.results)}`);
    };

    // One business.
    const t0 = performance.now();
    // As `npm run release` starts it (package.json), without npm's own start.
    sh(process.execPath, [...RELEASE_NODE_ARGS, "release/cli.ts", "shop", "render"], env);
    out.renderCliS = round((performance.now() - t0) / 1000);
    const [, renderFnS] = await timed(async () => {
      const { renderYaml } = await import("../release/render");
      const r = resolveRelease("shop", { appsDir: DEFAULT_APPS_DIR });
      renderYaml(r.specs.get("sim") as never, r.template, contextFromStackFile("sim"));
    });
    out.renderInProcessS = round(renderFnS);
    const shop = resolveRelease("shop", { appsDir: apps });
    say("one business: preview, up, up of a new version");
    out.previewS = round((await timed(() => must("preview", shop)))[1]);
    out.upS = round((await timed(() => must("up", shop)))[1]);
    out.upNewVersionS = round(
      (await timed(() => must("up", resolveRelease("shop", { appsDir: apps, version: "1.0.1" }))))[1],
    );

    // N businesses, one by one, then all with a new version in parallel.
    const seq = names.slice(0, SEQUENTIAL);
    say(`${seq.length} businesses one by one`);
    const [each, seqS] = await timed(() =>
      pool("one by one", seq, 1, (b) => must("up", resolveRelease(b, { appsDir: apps }))),
    );
    out[`oneByOne${seq.length}S`] = round(seqS);
    out.oneByOneEach = stats(each);
    say(`${N} businesses, a new version, ${PARALLEL} at a time`);
    const [par, parS] = await timed(() =>
      pool("parallel", names, PARALLEL, (b) =>
        must("up", resolveRelease(b, { appsDir: apps, version: "1.0.1" })),
      ),
    );
    out[`parallel${N}S`] = round(parS);
    out.parallelEach = stats(par);
    out.goals = `render < ${GOALS.renderS}s, preview < ${GOALS.previewS}s, up < ${GOALS.upS}s, 50 in parallel < ${GOALS.parallel50S}s`;
    out.met = String(
      Number(out.renderCliS) < GOALS.renderS &&
        Number(out.previewS) < GOALS.previewS &&
        Number(out.upS) < GOALS.upS &&
        parS < GOALS.parallel50S,
    );
  } finally {
    cleanUp(env);
  }
  if (process.argv.includes("--json")) console.log(JSON.stringify(out));
  else for (const [k, v] of Object.entries(out)) console.log(`${k.padEnd(24)} ${v}`);
}

const round = (s: number) => Math.round(s * 10) / 10;

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
