/**
 * Reads a tier's evidence from Prometheus's HTTP API (`/api/v1/query_range`).
 * Plain `fetch` (Node 20 has it): the API is two GET parameters and a JSON
 * matrix, and a client library would add a dependency for no behaviour we use.
 */
import type { EvidenceQueries, PrometheusInstance, UsageQuery } from "../components/ingress-tier/usage";
import type { Evidence } from "./recommend";

/** One range-query series: timestamps (s) and values. */
export interface RangeSeries {
  readonly metric: Record<string, string>;
  readonly points: readonly (readonly [number, number])[];
}

export class PrometheusError extends Error {}

/** Where each instance answers, e.g. `{ business: "http://127.0.0.1:9090", infra: "http://127.0.0.1:9091" }`. */
export type Endpoints = Record<PrometheusInstance, string>;

/** Prometheus refuses a range query of more than 11,000 points per series. */
const MAX_POINTS = 11_000;

/** A step that keeps a window under Prometheus's point limit, at least `minStep` seconds (a scrape or two). */
export function stepFor(windowSeconds: number, minStep = 60): number {
  return Math.max(minStep, Math.ceil(windowSeconds / (MAX_POINTS - 1) / 60) * 60);
}

export async function queryRange(
  base: string,
  expr: string,
  start: number,
  end: number,
  step: number,
  timeoutMs = 60_000,
): Promise<RangeSeries[]> {
  const url = new URL("api/v1/query_range", base.endsWith("/") ? base : base + "/");
  url.searchParams.set("query", expr);
  url.searchParams.set("start", String(start));
  url.searchParams.set("end", String(end));
  url.searchParams.set("step", String(step));
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  } catch (e) {
    throw new PrometheusError(`cannot reach Prometheus at ${base}: ${(e as Error).message}`);
  }
  const body = (await res.json().catch(() => undefined)) as
    | {
        status?: string;
        error?: string;
        data?: {
          resultType?: string;
          result?: { metric: Record<string, string>; values: [number, string][] }[];
        };
      }
    | undefined;
  if (!res.ok || body?.status !== "success")
    throw new PrometheusError(
      `Prometheus at ${base} refused ${JSON.stringify(expr)}: HTTP ${res.status} ${body?.error ?? res.statusText}`,
    );
  if (body.data?.resultType !== "matrix")
    throw new PrometheusError(
      `Prometheus at ${base} answered ${body.data?.resultType} to a range query (expected matrix)`,
    );
  return (body.data.result ?? []).map((s) => ({
    metric: s.metric,
    points: s.values.map(([t, v]) => [Number(t), Number(v)] as const),
  }));
}

/** Named queries in, evidence out: the shape `recommend` takes. */
export async function collectEvidence(
  endpoints: Endpoints,
  queries: EvidenceQueries,
  window: { start: number; end: number; step: number },
): Promise<Evidence> {
  // An absent query (a worker has no request latency) reads as no series.
  const run = async (q: UsageQuery | undefined): Promise<RangeSeries[]> =>
    q ? queryRange(endpoints[q.instance], q.expr, window.start, window.end, window.step) : [];
  const [cpu, throttled, periods, memory, rps, latency] = await Promise.all([
    run(queries.cpuCoresPerPod),
    run(queries.throttledPeriods),
    run(queries.cfsPeriods),
    run(queries.memoryWorkingSetBytesPerPod),
    run(queries.requestsPerSecond),
    run(queries.latencyP99Seconds),
  ]);
  return evidenceFrom(window.step, { cpu, throttled, periods, memory, rps, latency });
}

/** The pure half of `collectEvidence`: range series → evidence (tested without a Prometheus). */
export function evidenceFrom(
  step: number,
  s: {
    cpu: readonly RangeSeries[];
    throttled: readonly RangeSeries[];
    periods: readonly RangeSeries[];
    memory: readonly RangeSeries[];
    rps: readonly RangeSeries[];
    latency: readonly RangeSeries[];
  },
): Evidence {
  const cpuCoresPerPod: number[] = [];
  const total = new Map<number, { cores: number; pods: number }>();
  for (const series of s.cpu)
    for (const [t, v] of series.points) {
      if (!Number.isFinite(v)) continue;
      cpuCoresPerPod.push(v);
      const x = total.get(t) ?? { cores: 0, pods: 0 };
      total.set(t, { cores: x.cores + v, pods: x.pods + 1 });
    }
  const latencyAt = new Map<number, number>((s.latency[0]?.points ?? []).map(([t, v]) => [t, v]));
  const times = [...total.keys()].sort((a, b) => a - b);
  // A range query's step-aligned output has one point per covered step.
  const coveredSeconds = times.length * step;
  const sum = (xs: readonly RangeSeries[]) =>
    xs.reduce((a, x) => a + x.points.reduce((b, [, v]) => (Number.isFinite(v) ? b + v : b), 0), 0);
  const allPeriods = sum(s.periods);
  const memPeak = maxOf(s.memory.flatMap((x) => x.points.map(([, v]) => v)));
  const rpsPeak = maxOf((s.rps[0]?.points ?? []).map(([, v]) => v));
  return {
    stepSeconds: step,
    cpuCoresPerPod,
    totalCpuCores: times.map((t) => total.get(t)?.cores ?? 0),
    loadLatency: times.map((t) => {
      const x = total.get(t) ?? { cores: 0, pods: 1 };
      return { coresPerPod: x.cores / x.pods, p99Seconds: latencyAt.get(t) ?? Number.NaN };
    }),
    // Rates sampled at the same steps: their ratio of sums is the throttled share over the window.
    throttledRatio: allPeriods > 0 ? sum(s.throttled) / allPeriods : undefined,
    memoryPeakMiB: Number.isFinite(memPeak) ? memPeak / 2 ** 20 : undefined,
    peakRequestsPerSecond: Number.isFinite(rpsPeak) ? Math.round(rpsPeak) : undefined,
    coveredSeconds,
  };
}

/** Largest finite value, -Infinity for none (no spread: a week of samples overflows the call stack). */
function maxOf(xs: readonly number[]): number {
  return xs.reduce((m, v) => (Number.isFinite(v) && v > m ? v : m), -Infinity);
}
