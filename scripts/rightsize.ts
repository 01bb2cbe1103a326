/**
 * `npm run rightsize -- <dc> [--business b] [--window 7d] [--prometheus URL] [--json] [--patch FILE]`
 *
 * Reads what the datacenter's Prometheus saw and recommends CPU requests and
 * limits, memory limits and HPA settings for each business's ingress tier,
 * with the nginx worker count that follows the limit. Prints a table and a
 * patch to Pulumi.<dc>.yaml for review; nothing is applied.
 *
 * Exit codes: 0 recommendations printed (or nothing to change), 1 the patched
 * config failed validation or the policy pack (a recommender defect: the
 * patch is withheld), 2 bad input (unknown datacenter or business, bad
 * window or URL), 3 Prometheus could not be read.
 */
import * as fs from "fs";
import * as path from "path";
import { Command, InvalidArgumentError } from "commander";
import { objectNames } from "../components/monitoring-stack/names";
import type { RightsizeResult } from "../rightsize";

const repo = path.join(__dirname, "..");
const UNITS: Record<string, number> = { m: 60, h: 3600, d: 86400, w: 604800 };

/** "7d", "36h", "90m", "2w" → seconds. */
export function parseWindow(text: string): number {
  const m = /^([1-9][0-9]*)([mhdw])$/.exec(text.trim());
  if (!m)
    throw new InvalidArgumentError(
      `${JSON.stringify(text)} is not a window (expected a count and a unit m, h, d or w, e.g. 7d)`,
    );
  return Number(m[1]) * UNITS[m[2]];
}

function parseUrl(text: string): string {
  try {
    const u = new URL(text);
    if (u.protocol !== "http:" && u.protocol !== "https:") throw new Error();
    return u.toString();
  } catch {
    throw new InvalidArgumentError(
      `${JSON.stringify(text)} is not an http(s) URL (expected e.g. http://127.0.0.1:9090)`,
    );
  }
}

function parseEnd(text: string): number {
  const t = /^[0-9]+$/.test(text) ? Number(text) : Date.parse(text) / 1000;
  if (!Number.isFinite(t))
    throw new InvalidArgumentError(
      `${JSON.stringify(text)} is not a time (expected Unix seconds or an ISO 8601 date)`,
    );
  return Math.floor(t);
}

function stacks(): string[] {
  return fs
    .readdirSync(repo)
    .map((f) => /^Pulumi\.([a-z0-9-]+)\.yaml$/.exec(f)?.[1])
    .filter((x): x is string => !!x);
}

const pct = (x: number | undefined) => (x === undefined ? "-" : `${Math.round(x * 1000) / 10}%`);

/** The table a person reads: current → recommended, and the evidence. */
export function formatReport(r: RightsizeResult): string {
  const out: string[] = [];
  const days = (r.window.end - r.window.start) / 86400;
  out.push(
    `rightsize ${r.datacenter}: ${Math.round(days * 10) / 10} days to ${new Date(r.window.end * 1000).toISOString()} (step ${r.window.stepSeconds}s)`,
  );
  for (const t of r.tiers) {
    const rec = t.recommendation;
    out.push("", `${t.business} / ${t.tier}`);
    if (rec.status !== "ok") {
      out.push(`  no recommendation: ${rec.reason}`);
      continue;
    }
    const rows: [string, string, string][] = [
      [
        "CPU request (millicores)",
        String(rec.current.cpuRequestMillis),
        String(rec.recommended.cpuRequestMillis),
      ],
      ["CPU limit (millicores)", String(rec.current.cpuLimitMillis), String(rec.recommended.cpuLimitMillis)],
      [
        t.tier === "ingress" ? "nginx worker_processes" : "JVM ActiveProcessorCount",
        String(rec.workers.current),
        String(rec.workers.recommended),
      ],
      ["memory limit (MiB)", String(rec.current.memoryLimitMiB), String(rec.recommended.memoryLimitMiB)],
      ["HPA min replicas", String(rec.current.minReplicas), String(rec.recommended.minReplicas)],
      ["HPA max replicas", String(rec.current.maxReplicas), String(rec.recommended.maxReplicas)],
      [
        "HPA target CPU (% of request)",
        String(rec.current.targetCpuUtilizationPercent),
        String(rec.recommended.targetCpuUtilizationPercent),
      ],
    ];
    const w = Math.max(...rows.map((x) => x[0].length));
    for (const [k, a, b] of rows)
      out.push(`  ${k.padEnd(w)}  ${a.padStart(6)} -> ${b.padEnd(6)}${a === b ? "" : "  *"}`);
    const e = rec.evidence;
    out.push(
      `  evidence: CPU per pod p50 ${e.cpuP50Cores} / p95 ${e.cpuP95Cores} / p99 ${e.cpuP99Cores} cores; throttled ${pct(e.throttledRatio)} of periods; ` +
        `memory peak ${e.memoryPeakMiB ?? "-"} MiB; p99 latency ${e.p99LatencySeconds ?? "-"} s; peak ${e.peakRequestsPerSecond ?? "-"} req/s`,
    );
    for (const n of rec.notes) out.push(`  note: ${n}`);
  }
  out.push("");
  if (!r.patch) out.push("nothing to change.");
  else if (r.verdict && !r.verdict.ok)
    out.push(
      "the patched config FAILS validation or the policy pack; no patch is printed (this is a defect of the recommender: please report it):",
      ...r.verdict.problems.map((p) => `  - ${p}`),
    );
  return out.join("\n");
}

async function main(argv: string[]): Promise<number> {
  const program = new Command()
    .name("npm run rightsize --")
    .description(
      "Recommend CPU/memory and HPA settings for each business's ingress tier (stack config) and Jetty pods (release catalog) from what Prometheus saw; prints a patch to review, applies nothing.",
    )
    .argument("<dc>", `datacenter stack (one of: ${stacks().join(", ")})`)
    .option("--business <name>", "only this business")
    .option(
      "--window <duration>",
      "how far back to look: a count and m, h, d or w",
      parseWindow,
      parseWindow("7d"),
    )
    .option(
      "--prometheus <url>",
      `the business Prometheus (nginx series), e.g. a port-forward of svc/${objectNames.prometheus("business")} in namespace monitoring; default $PRIVATE_CLOUD_PROMETHEUS_URL`,
      parseUrl,
    )
    .option(
      "--infra-prometheus <url>",
      `the infra Prometheus (cAdvisor series: CPU, throttling, memory); default: --prometheus`,
      parseUrl,
    )
    .option("--end <time>", "end of the window (Unix seconds or ISO 8601); default now", parseEnd)
    .option(
      "--apps-dir <dir>",
      "the release catalog whose businesses' Jetty pods are rightsized too (default: apps/)",
    )
    .option(
      "--stack-file <path>",
      "read and patch this file instead of Pulumi.<dc>.yaml (e.g. a copy under review)",
    )
    .option("--json", "print the result as JSON (recommendations, evidence, patch, verdict)")
    .option("--patch <file>", "also write the patch to this file (apply with `git apply`)")
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });

  try {
    program.parse(argv, { from: "user" });
  } catch (e) {
    const code = (e as { exitCode?: number }).exitCode ?? 2;
    return code === 0 ? 0 : 2;
  }
  const [dc] = program.args;
  const o = program.opts<{
    business?: string;
    window: number;
    prometheus?: string;
    infraPrometheus?: string;
    end?: number;
    json?: boolean;
    patch?: string;
    stackFile?: string;
    appsDir?: string;
  }>();
  const file = o.stackFile ? path.resolve(o.stackFile) : path.join(repo, `Pulumi.${dc}.yaml`);
  if (!fs.existsSync(file)) {
    console.error(
      o.stackFile
        ? `error: --stack-file ${JSON.stringify(o.stackFile)} does not exist (expected a Pulumi.<stack>.yaml file)`
        : `error: datacenter ${JSON.stringify(dc)} has no stack file Pulumi.${dc}.yaml (expected one of: ${stacks().join(", ")})`,
    );
    return 2;
  }
  const business =
    o.prometheus ??
    (process.env.PRIVATE_CLOUD_PROMETHEUS_URL
      ? parseUrl(process.env.PRIVATE_CLOUD_PROMETHEUS_URL)
      : undefined);
  if (!business) {
    const { webPorts } = await import("../components/monitoring-stack/workloads");
    console.error(
      `error: no Prometheus to read: pass --prometheus http://HOST:PORT or set PRIVATE_CLOUD_PROMETHEUS_URL ` +
        `(from a workstation: kubectl -n monitoring port-forward svc/${objectNames.prometheus("business")} ${webPorts.prometheus})`,
    );
    return 2;
  }
  // The engine (stack model, program, policy pack) loads only now: bad flags
  // are answered before that, in a fraction of the time.
  const { rightsize, RightsizeInputError } = await import("../rightsize");
  const { PrometheusError } = await import("../rightsize/prometheus");
  const { ConfigError } = await import("../stacks/validate");
  let result: RightsizeResult;
  try {
    result = await rightsize({
      stackFile: file,
      business: o.business,
      windowSeconds: o.window,
      end: o.end,
      endpoints: { business, infra: o.infraPrometheus ?? business },
      patchPath: path.basename(file),
      appsDir: o.appsDir ? path.resolve(o.appsDir) : undefined,
    });
  } catch (e) {
    if (e instanceof RightsizeInputError || e instanceof ConfigError) {
      console.error(`error: ${e.message}`);
      return 2;
    }
    if (e instanceof PrometheusError) {
      console.error(`error: ${e.message}`);
      return 3;
    }
    throw e;
  }
  const failed = result.verdict !== undefined && !result.verdict.ok;
  if (o.json) console.log(JSON.stringify({ ...result, patch: failed ? "" : result.patch }, null, 2));
  else {
    console.log(formatReport(result));
    if (result.patch && !failed) console.log(`\npatch (review, then \`git apply\`):\n\n${result.patch}`);
  }
  if (o.patch && result.patch && !failed) fs.writeFileSync(o.patch, result.patch);
  return failed ? 1 : 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e) => {
      console.error(e instanceof Error ? e.stack : String(e));
      process.exit(1);
    },
  );
}
