/**
 * `npm run bench:nginx`: the seed's nginx lesson, measured with the real
 * nginx (Debian) and wrk (Debian) on loopback.
 *
 * For one CPU limit (default 1 core) it renders the ingress tier's nginx.conf
 * for a business of the stack (components/ingress-tier/nginx.ts), and the same
 * configuration with `worker_processes` as `auto` sets it on a 24-core host.
 * Each runs inside its own cgroup whose CFS quota is that CPU limit (cgroup v1
 * `cpu.cfs_quota_us`, or v2 `cpu.max`), like a container's; wrk, outside the
 * cgroup, drives a bounded load (fixed connections, fixed duration, one
 * thread) at the tier's health endpoint. Variants alternate over the rounds so
 * a neighbour's load hits both alike. Reported per variant (median of the
 * rounds): requests/s, p50/p99/max latency, throttled periods
 * (cpu.stat nr_throttled). The chart (gnuplot, Debian) goes to
 * docs/bench-nginx.png; --json prints the numbers as JSON.
 *
 *   npm run bench:nginx -- [--cpu-limit 1000] [--connections 50] [--duration 10]
 *                          [--rounds 3] [--stack Pulumi.dc-a.yaml] [--business shop]
 *                          [--png docs/bench-nginx.png | --no-png] [--json]
 *
 * Needs root (cgroups) and `nginx`, `wrk`, `gnuplot` (scripts/toolchain.sh
 * installs them).
 */
import { spawn, spawnSync, type ChildProcess } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as os from "os";
import * as path from "path";
import { parseArgs } from "util";
import { loadStackFile } from "../stacks/config";
import {
  WRK_REPORT_LUA,
  cpuStatDelta,
  gnuplotScript,
  medianOf,
  nginxVariants,
  parseCpuStat,
  parseWrkReport,
  type CpuStat,
  type NginxVariant,
  type VariantResult,
} from "./lib/nginx-bench";
import { freePort } from "./lib/free-port";

const repo = path.resolve(__dirname, "..");

interface Options {
  cpuLimitMillis: number;
  connections: number;
  durationSeconds: number;
  rounds: number;
  stack: string;
  business: string;
  png: string | undefined;
  json: boolean;
}

function options(): Options {
  const { values } = parseArgs({
    options: {
      "cpu-limit": { type: "string", default: "1000" },
      connections: { type: "string", default: "50" },
      duration: { type: "string", default: "10" },
      rounds: { type: "string", default: "3" },
      stack: { type: "string", default: "Pulumi.dc-a.yaml" },
      business: { type: "string", default: "shop" },
      png: { type: "string", default: path.join("docs", "bench-nginx.png") },
      "no-png": { type: "boolean", default: false },
      json: { type: "boolean", default: false },
    },
  });
  const errors: string[] = [];
  const int = (flag: string, min: number, max: number, unit: string) => {
    const raw = values[flag as keyof typeof values] as string;
    const n = Number(raw);
    if (!/^\d+$/.test(raw) || n < min || n > max)
      errors.push(
        `--${flag}: ${JSON.stringify(raw)} is not valid (expected an integer ${unit} in ${min}..${max})`,
      );
    return n;
  };
  const o: Options = {
    cpuLimitMillis: int("cpu-limit", 100, 64_000, "of millicores"),
    connections: int("connections", 1, 10_000, "of connections"),
    durationSeconds: int("duration", 1, 600, "of seconds"),
    rounds: int("rounds", 1, 20, "of rounds"),
    stack: path.resolve(repo, values.stack),
    business: values.business,
    png: values["no-png"] ? undefined : path.resolve(repo, values.png),
    json: values.json,
  };
  if (!fs.existsSync(o.stack))
    errors.push(`--stack: ${o.stack} does not exist (expected a Pulumi.<stack>.yaml)`);
  if (errors.length) throw new Error(errors.join("\n"));
  return o;
}

function need(tool: string): string {
  for (const dir of [...(process.env.PATH ?? "").split(":"), "/usr/sbin", "/usr/bin"]) {
    const p = path.join(dir, tool);
    if (dir && fs.existsSync(p)) return p;
  }
  throw new Error(
    `${tool} is not installed: run \`npm run toolchain\` (it installs nginx, wrk and gnuplot from Debian)`,
  );
}

/** A cgroup with a CFS quota of `cpuLimitMillis`, removed by `remove()`. */
class QuotaCgroup {
  readonly dir: string;
  private readonly v2: boolean;
  constructor(name: string, cpuLimitMillis: number) {
    this.v2 = fs.existsSync("/sys/fs/cgroup/cgroup.controllers");
    const root = this.v2 ? "/sys/fs/cgroup" : "/sys/fs/cgroup/cpu";
    if (!fs.existsSync(path.join(root, "cpu.stat")) && !this.v2)
      throw new Error(`no cgroup v1 cpu controller at ${root} and no cgroup v2 hierarchy at /sys/fs/cgroup`);
    this.dir = path.join(root, name);
    try {
      fs.mkdirSync(this.dir);
    } catch (e) {
      throw new Error(`cannot create cgroup ${this.dir} (${(e as Error).message}); the bench needs root`);
    }
    const period = 100_000;
    const quota = Math.round((cpuLimitMillis / 1000) * period);
    if (this.v2) fs.writeFileSync(path.join(this.dir, "cpu.max"), `${quota} ${period}`);
    else {
      fs.writeFileSync(path.join(this.dir, "cpu.cfs_period_us"), String(period));
      fs.writeFileSync(path.join(this.dir, "cpu.cfs_quota_us"), String(quota));
    }
  }
  procsFile(): string {
    return path.join(this.dir, "cgroup.procs");
  }
  stat(): CpuStat {
    return parseCpuStat(fs.readFileSync(path.join(this.dir, "cpu.stat"), "utf8"));
  }
  remove(): void {
    for (let i = 0; i < 50; i++) {
      try {
        fs.rmdirSync(this.dir);
        return;
      } catch {
        spawnSync("sleep", ["0.1"]);
      }
    }
    process.stderr.write(`warning: could not remove cgroup ${this.dir}\n`);
  }
}

function answers(port: number, urlPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get({ host: "127.0.0.1", port, path: urlPath, timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on("error", () => resolve(false));
    req.on("timeout", () => req.destroy());
  });
}

async function waitForAnswer(port: number, urlPath: string, nginxLog: () => string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (await answers(port, urlPath)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nginx did not answer on 127.0.0.1:${port}${urlPath} within 10 s:\n${nginxLog()}`);
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once("exit", () => resolve());
    // QUIT: graceful shutdown, as the pod's preStop leads to.
    child.kill("SIGQUIT");
    setTimeout(() => child.kill("SIGKILL"), 5000).unref();
  });
}

async function runVariant(
  variant: NginxVariant,
  round: number,
  o: Options,
  dir: string,
  port: number,
  tools: { nginx: string; wrk: string },
): Promise<VariantResult> {
  const prefix = path.join(dir, variant.name);
  fs.mkdirSync(prefix, { recursive: true });
  const conf = path.join(prefix, "nginx.conf");
  fs.writeFileSync(conf, variant.conf);
  const cg = new QuotaCgroup(
    `private-cloud-bench-nginx-${process.pid}-${variant.name}-${round}`,
    o.cpuLimitMillis,
  );
  let log = "";
  // The shell moves itself into the cgroup, then becomes nginx: master and
  // workers are all inside it from their first instruction.
  const child = spawn(
    "sh",
    [
      "-c",
      'echo $$ > "$1" && exec "$2" -p "$3" -c "$4" -g "daemon off;"',
      "sh",
      cg.procsFile(),
      tools.nginx,
      prefix,
      conf,
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  child.stdout?.on("data", (c: Buffer) => (log += c.toString()));
  child.stderr?.on("data", (c: Buffer) => (log += c.toString()));
  try {
    await waitForAnswer(port, "/lb-health", () => log);
    const before = cg.stat();
    const lua = path.join(dir, "report.lua");
    fs.writeFileSync(lua, WRK_REPORT_LUA);
    const wrk = spawnSync(
      tools.wrk,
      [
        "-t1",
        `-c${o.connections}`,
        `-d${o.durationSeconds}s`,
        "--timeout",
        "10s",
        "-s",
        lua,
        `http://127.0.0.1:${port}/lb-health`,
      ],
      { encoding: "utf8", timeout: (o.durationSeconds + 30) * 1000 },
    );
    const after = cg.stat();
    if (wrk.status !== 0) throw new Error(`wrk failed (exit ${wrk.status}): ${wrk.stderr}${wrk.stdout}`);
    const load = parseWrkReport(wrk.stdout);
    return {
      ...load,
      variant: variant.name,
      workerProcesses: variant.workerProcesses,
      round,
      throttle: cpuStatDelta(before, after),
    };
  } finally {
    await stop(child);
    cg.remove();
  }
}

async function main(): Promise<void> {
  const o = options();
  const tools = { nginx: need("nginx"), wrk: need("wrk") };
  const gnuplot = o.png ? need("gnuplot") : undefined;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pc-bench-nginx-"));
  // Workers drop to an unprivileged user when nginx starts as root.
  fs.chmodSync(dir, 0o755);
  try {
    const port = await freePort();
    const model = loadStackFile(o.stack);
    const cores = os.cpus().length;
    const variants = nginxVariants(
      model,
      o.business,
      o.cpuLimitMillis,
      cores,
      { drainFile: path.join(dir, "draining"), logDir: path.join(dir, "logs"), lbHealthPort: port },
      dir,
    );
    fs.mkdirSync(path.join(dir, "logs"));
    const load = os.loadavg().map((l) => l.toFixed(2));
    const all: VariantResult[] = [];
    for (let round = 1; round <= o.rounds; round++) {
      // Alternate which variant goes first, so a neighbour's burst does not always hit the same one.
      const order = round % 2 ? variants : [...variants].reverse();
      for (const v of order) {
        const r = await runVariant(v, round, o, dir, port, tools);
        all.push(r);
        process.stderr.write(
          `round ${round} ${v.name.padEnd(6)} ${String(v.workerProcesses).padStart(2)} workers: ${r.requestsPerSecond} req/s, p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms, max ${r.maxMs} ms, throttled ${r.throttle.nrThrottled}/${r.throttle.nrPeriods} periods\n`,
        );
      }
    }
    const medians = variants.map((v) => medianOf(all.filter((r) => r.variant === v.name)));
    const summary = {
      cpuLimitMillis: o.cpuLimitMillis,
      business: o.business,
      stack: path.relative(repo, o.stack),
      hostCores: cores,
      connections: o.connections,
      durationSeconds: o.durationSeconds,
      rounds: o.rounds,
      loadAverageBefore: load.join(" "),
      medians,
      runs: all,
    };
    if (o.json) process.stdout.write(JSON.stringify(summary, null, 2) + "\n");
    else {
      process.stdout.write(
        `nginx, ${o.cpuLimitMillis}m CPU quota, ${cores}-core machine, wrk 1 thread ${o.connections} connections ${o.durationSeconds}s, median of ${o.rounds} (load average before: ${load.join(" ")})\n`,
      );
      process.stdout.write(
        "| worker_processes | requests/s | p50 ms | p99 ms | max ms | throttled periods | throttled ms |\n",
      );
      process.stdout.write("| --- | ---: | ---: | ---: | ---: | ---: | ---: |\n");
      for (const m of medians)
        process.stdout.write(
          `| ${m.workerProcesses} (${m.variant === "limit" ? "from the CPU limit" : "auto on a 24-core host"}) | ${m.requestsPerSecond} | ${m.p50Ms} | ${m.p99Ms} | ${m.maxMs} | ${m.throttle.nrThrottled} of ${m.throttle.nrPeriods} | ${m.throttle.throttledMs} |\n`,
        );
    }
    if (o.png && gnuplot) {
      fs.mkdirSync(path.dirname(o.png), { recursive: true });
      const script = gnuplotScript(medians, {
        cpuLimitMillis: o.cpuLimitMillis,
        pngPath: o.png,
        title: `nginx under a ${o.cpuLimitMillis}m CPU quota: worker_processes from the limit vs auto on 24 cores (wrk, ${o.connections} connections, median of ${o.rounds})`,
      });
      const g = spawnSync(gnuplot, [], { input: script, encoding: "utf8" });
      if (g.status !== 0) throw new Error(`gnuplot failed: ${g.stderr}`);
      process.stderr.write(`chart: ${path.relative(repo, o.png)}\n`);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`bench:nginx: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
