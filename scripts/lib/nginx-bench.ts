/**
 * The pure half of `npm run bench:nginx` (scripts/bench-nginx.ts): the two
 * nginx configurations compared, the cgroup CPU counters, wrk's report, and
 * the chart. Kept apart from the runner so tests can check each piece without
 * nginx, wrk or a cgroup.
 *
 * The lesson measured is the seed's (part 5): nginx's `worker_processes auto`
 * counts the host's cores (24 on the seed's minions), not the container's CPU
 * quota, so 24 workers share a 5–6 core limit, the CFS quota throttles them in
 * turn and latency explodes. The ingress tier sets worker_processes from the
 * CPU limit instead (components/common/sizing.ts).
 */
import {
  nginxTuning,
  renderNginxConf,
  type NginxPaths,
  type NginxTuning,
} from "../../components/ingress-tier/nginx";
import { nginxCpuAffinity, stableOffset } from "../../components/common/sizing";
import type { DatacenterModel } from "../../stacks/model";

/** What `worker_processes auto` gives on the seed's minions (24 cores with HT). */
export const AUTO_WORKERS_ON_24_CORES = 24;

export interface NginxVariant {
  /** `limit` (as the ingress tier renders it) or `auto24` (the same config, 24 workers). */
  readonly name: "limit" | "auto24";
  readonly workerProcesses: number;
  readonly conf: string;
}

/**
 * The configuration the ingress tier renders for `business` at `cpuLimitMillis`,
 * and the same configuration with the worker count a 24-core host's `auto`
 * gives. Affinity masks are computed for the cores of the machine the bench
 * runs on (`benchCores`): a mask naming a core the machine lacks makes
 * sched_setaffinity() fail and would measure something else.
 */
export function nginxVariants(
  model: DatacenterModel,
  businessName: string,
  cpuLimitMillis: number,
  benchCores: number,
  paths: NginxPaths,
  prefix: string,
): NginxVariant[] {
  const biz = model.config.businesses.find((b) => b.name === businessName);
  if (!biz)
    throw new Error(
      `--business: ${JSON.stringify(businessName)} is not a business of ${model.name} (expected one of ${model.config.businesses.map((b) => b.name).join(", ")})`,
    );
  const rendered = nginxTuning(model, { ...biz, cpuLimitMillis, cpuRequestMillis: cpuLimitMillis });
  const offset = stableOffset(biz.name, benchCores);
  const here = (workers: number): NginxTuning => ({
    ...rendered,
    hostCores: benchCores,
    affinityOffset: offset,
    cpuAffinity: nginxCpuAffinity(workers, benchCores, offset),
  });
  const limit = renderNginxConf(here(rendered.workerProcesses), paths, prefix);
  // Only the worker count (and so one affinity mask per worker) differs:
  // connections, descriptors, logs and the health server stay as rendered.
  const auto = withWorkers(
    renderNginxConf(here(AUTO_WORKERS_ON_24_CORES), paths, prefix),
    AUTO_WORKERS_ON_24_CORES,
  ).replace(/^(# Rendered by .*)$/m, `$1\n# bench: worker_processes as \`auto\` sets it on a 24-core host.`);
  return [
    { name: "limit", workerProcesses: rendered.workerProcesses, conf: limit },
    {
      name: "auto24",
      workerProcesses: AUTO_WORKERS_ON_24_CORES,
      conf: withConnectionsOf(auto, limit),
    },
  ];
}

function withWorkers(conf: string, workers: number): string {
  return conf.replace(/^worker_processes \S+;$/m, `worker_processes ${workers};`);
}

/** Keeps the per-worker connection and descriptor limits of `from` (they follow the CPU limit, not the worker count). */
function withConnectionsOf(conf: string, from: string): string {
  const take = (re: RegExp) => {
    const m = re.exec(from);
    if (!m) throw new Error(`rendered nginx.conf has no line matching ${re}`);
    return m[0];
  };
  const conns = /^\s*worker_connections \S+;$/m;
  const nofile = /^worker_rlimit_nofile \S+;$/m;
  return conf.replace(conns, take(conns)).replace(nofile, take(nofile));
}

/** CFS counters of a cgroup (v1 `cpu.stat`, or v2 `cpu.stat` with `*_usec`). */
export interface CpuStat {
  readonly nrPeriods: number;
  readonly nrThrottled: number;
  /** Total time throttled, ms. */
  readonly throttledMs: number;
}

export function parseCpuStat(text: string): CpuStat {
  const kv = new Map<string, number>();
  for (const line of text.split("\n")) {
    const [k, v] = line.trim().split(/\s+/);
    if (k && v !== undefined && /^\d+$/.test(v)) kv.set(k, Number(v));
  }
  const need = (k: string) => {
    const v = kv.get(k);
    if (v === undefined) throw new Error(`cpu.stat has no ${k} (got: ${JSON.stringify(text.slice(0, 200))})`);
    return v;
  };
  const throttledMs = kv.has("throttled_time")
    ? need("throttled_time") / 1e6 // v1: nanoseconds
    : need("throttled_usec") / 1e3; // v2: microseconds
  return { nrPeriods: need("nr_periods"), nrThrottled: need("nr_throttled"), throttledMs };
}

export function cpuStatDelta(before: CpuStat, after: CpuStat): CpuStat {
  return {
    nrPeriods: after.nrPeriods - before.nrPeriods,
    nrThrottled: after.nrThrottled - before.nrThrottled,
    throttledMs: Math.round((after.throttledMs - before.throttledMs) * 10) / 10,
  };
}

/**
 * wrk's Lua `done` hook, printing one JSON line (latencies in µs). wrk's own
 * text report rounds and changes units; this gives exact numbers to parse.
 */
export const WRK_REPORT_LUA = [
  "done = function(summary, latency, requests)",
  '  io.write(string.format(\'WRKJSON {"requests":%d,"durationUs":%d,"errors":%d,"non2xx":%d,"p50":%d,"p99":%d,"max":%d}\\n\',',
  "    summary.requests, summary.duration,",
  "    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,",
  "    summary.errors.status, latency:percentile(50), latency:percentile(99), latency.max))",
  "end",
  "",
].join("\n");

export interface LoadResult {
  readonly requests: number;
  readonly requestsPerSecond: number;
  readonly errors: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

export function parseWrkReport(stdout: string): LoadResult {
  const line = stdout.split("\n").find((l) => l.startsWith("WRKJSON "));
  if (!line) throw new Error(`wrk printed no report line (output: ${JSON.stringify(stdout.slice(0, 400))})`);
  const r = JSON.parse(line.slice("WRKJSON ".length)) as Record<string, number>;
  const ms = (us: number) => Math.round(us) / 1000;
  return {
    requests: r.requests,
    requestsPerSecond: Math.round((r.requests / r.durationUs) * 1e6),
    errors: r.errors + r.non2xx,
    p50Ms: ms(r.p50),
    p99Ms: ms(r.p99),
    maxMs: ms(r.max),
  };
}

export interface VariantResult extends LoadResult {
  readonly variant: NginxVariant["name"];
  readonly workerProcesses: number;
  readonly round: number;
  readonly throttle: CpuStat;
}

/** Median of each number over a variant's rounds. */
export function medianOf(results: readonly VariantResult[]): VariantResult {
  if (results.length === 0) throw new Error("no results");
  const med = (f: (r: VariantResult) => number) => {
    const s = results.map(f).sort((a, b) => a - b);
    const m = Math.floor(s.length / 2);
    return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
  };
  return {
    ...results[0],
    round: 0,
    requests: med((r) => r.requests),
    requestsPerSecond: med((r) => r.requestsPerSecond),
    errors: med((r) => r.errors),
    p50Ms: med((r) => r.p50Ms),
    p99Ms: med((r) => r.p99Ms),
    maxMs: med((r) => r.maxMs),
    throttle: {
      nrPeriods: med((r) => r.throttle.nrPeriods),
      nrThrottled: med((r) => r.throttle.nrThrottled),
      throttledMs: med((r) => r.throttle.throttledMs),
    },
  };
}

/**
 * A gnuplot script drawing both variants side by side: latency (p50, p99,
 * max, log scale), requests/s, and CFS throttling (periods and time).
 */
export function gnuplotScript(
  results: readonly VariantResult[],
  opts: { cpuLimitMillis: number; title: string; pngPath: string },
): string {
  const [limit, auto] = ["limit", "auto24"].map((v) => {
    const r = results.find((x) => x.variant === v);
    if (!r) throw new Error(`no result for variant ${v}`);
    return r;
  });
  const label = (r: VariantResult) =>
    `${r.workerProcesses} worker${r.workerProcesses === 1 ? "" : "s"}${r.variant === "auto24" ? " (auto on 24 cores)" : " (from the limit)"}`;
  const q = (s: string) => JSON.stringify(s);
  return [
    `set terminal pngcairo size 1400,480 font "sans,10" noenhanced`,
    `set output ${q(opts.pngPath)}`,
    `set multiplot layout 1,3 title ${q(opts.title)}`,
    `set style data histograms`,
    `set style histogram clustered gap 1`,
    `set style fill solid 0.85 border -1`,
    `set boxwidth 0.9`,
    `set key below`,
    `set grid ytics`,
    `set logscale y`,
    `set ylabel "latency, ms (log scale)"`,
    `set yrange [0.05:*]`,
    `$lat << EOD`,
    `metric ${q(label(limit))} ${q(label(auto))}`,
    `p50 ${limit.p50Ms} ${auto.p50Ms}`,
    `p99 ${limit.p99Ms} ${auto.p99Ms}`,
    `max ${limit.maxMs} ${auto.maxMs}`,
    `EOD`,
    `plot $lat using 2:xtic(1) title columnheader(2) lc rgb "#2e7d32", '' using 3 title columnheader(3) lc rgb "#c62828"`,
    `unset logscale y`,
    `set yrange [0:*]`,
    `set ylabel "requests/s"`,
    `$rps << EOD`,
    `metric ${q(label(limit))} ${q(label(auto))}`,
    `"requests/s" ${limit.requestsPerSecond} ${auto.requestsPerSecond}`,
    `EOD`,
    `plot $rps using 2:xtic(1) title columnheader(2) lc rgb "#2e7d32", '' using 3 title columnheader(3) lc rgb "#c62828"`,
    `set ylabel "CFS throttling"`,
    `$thr << EOD`,
    `metric ${q(label(limit))} ${q(label(auto))}`,
    `"throttled periods" ${limit.throttle.nrThrottled} ${auto.throttle.nrThrottled}`,
    `"throttled ms" ${limit.throttle.throttledMs} ${auto.throttle.throttledMs}`,
    `EOD`,
    `plot $thr using 2:xtic(1) title columnheader(2) lc rgb "#2e7d32", '' using 3 title columnheader(3) lc rgb "#c62828"`,
    `unset multiplot`,
    ``,
  ].join("\n");
}
