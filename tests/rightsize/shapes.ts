/**
 * Recorded-looking series for the rightsizing tests: what cAdvisor and
 * ingress-nginx would have exported for one ingress tier, as OpenMetrics text
 * that `promtool tsdb create-blocks-from openmetrics` backfills into a real
 * Prometheus. Each shape is a pure function of time, so the tests can assert
 * exact recommendations.
 */
import { ingressNamespace, NGINX_CONTAINER } from "../../components/ingress-tier/alerts";

export interface Shape {
  readonly business: string;
  /** The pods' namespace and container; default: the business's ingress tier (nginx). */
  readonly workload?: { readonly namespace: string; readonly container: string };
  readonly pods: number;
  /** Seconds of data before the end. */
  readonly seconds: number;
  /** CPU use of one pod at time t (seconds before the end), cores. */
  readonly cpuCores: (t: number, pod: number) => number;
  /** Share of CFS periods throttled at time t. */
  readonly throttled: (t: number) => number;
  readonly memoryMiB: (t: number, pod: number) => number;
  readonly requestsPerSecond: (t: number) => number;
  /** The tier's p99 latency at time t, seconds (the histogram is built so Prometheus computes about this). */
  readonly p99Seconds: (t: number) => number;
}

const DAY = 86400;
/** A daily wave between lo and hi, peaking mid-day. */
const diurnal = (t: number, lo: number, hi: number) =>
  lo + ((hi - lo) * (1 + Math.sin((2 * Math.PI * t) / DAY))) / 2;

/** Over-provisioned: 6 cores each, using well under one. */
export const roomy: Shape = {
  business: "roomy",
  pods: 3,
  seconds: 2 * DAY,
  cpuCores: (t) => diurnal(t, 0.2, 0.6),
  throttled: () => 0,
  memoryMiB: () => 300,
  requestsPerSecond: (t) => diurnal(t, 200, 600) * 3,
  p99Seconds: () => 0.04,
};

/**
 * The seed's incident: the tier's CPU limit binds (every sample at the cap,
 * 40 % of periods throttled) and p99 latency climbs past the objective when
 * the load peaks.
 */
export const starved: Shape = {
  business: "starved",
  pods: 3,
  seconds: 2 * DAY,
  cpuCores: (t) => Math.min(1.95, diurnal(t, 1.2, 2.6)),
  throttled: (t) => (diurnal(t, 1.2, 2.6) > 1.9 ? 0.6 : 0.1),
  memoryMiB: () => 900,
  requestsPerSecond: (t) => diurnal(t, 1000, 2200) * 3,
  p99Seconds: (t) => (diurnal(t, 1.2, 2.6) > 1.9 ? 1.6 : 0.08),
};

/** Quiet most of the time, with 15-minute bursts of five times the load every 90 minutes. */
export const spiky: Shape = {
  business: "spiky",
  pods: 4,
  seconds: 2 * DAY,
  cpuCores: (t) => (t % 5400 < 900 ? 2.5 : 0.5),
  throttled: () => 0.01,
  memoryMiB: (t) => (t % 5400 < 900 ? 700 : 500),
  requestsPerSecond: (t) => (t % 5400 < 900 ? 5000 : 1000),
  p99Seconds: (t) => (t % 5400 < 900 ? 1.2 : 0.05),
};

/** A tier created three hours ago: too little data to say anything. */
export const fresh: Shape = {
  business: "fresh",
  pods: 2,
  seconds: 3 * 3600,
  cpuCores: () => 0.3,
  throttled: () => 0,
  memoryMiB: () => 200,
  requestsPerSecond: () => 100,
  p99Seconds: () => 0.03,
};

/**
 * The Jetty pods behind the throttled tier, throttled in turn: a 2-core limit
 * with the JVM sized for 2 processors. (Its latency is the tier's, above.)
 */
export const starvedJetty: Shape = {
  ...starved,
  workload: { namespace: "starved", container: "app" },
  memoryMiB: () => 1200,
};

export const SHAPES: readonly Shape[] = [roomy, starved, spiky, fresh, starvedJetty];

const BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/**
 * Cumulative latency-bucket shares for a wanted p99: 98 % of requests are fast
 * and 2 % land in the bucket holding `p99`, so the 0.99 quantile falls inside it.
 */
function bucketShares(p99: number): number[] {
  const slowIdx = BUCKETS.findIndex((le) => p99 <= le);
  return BUCKETS.map((_, i) => {
    if (p99 <= BUCKETS[0]) return 1;
    if (i >= slowIdx && slowIdx !== -1) return 1;
    return 0.98;
  });
}

/** OpenMetrics text for the shapes, every series sampled each `step` seconds up to `end` (Unix seconds). */
export function openMetrics(shapes: readonly Shape[], end: number, step = 60): string {
  const families = new Map<string, string[]>();
  const add = (name: string, labels: Record<string, string>, points: [number, number][]) => {
    const l = Object.entries(labels)
      .map(([k, v]) => `${k}="${v}"`)
      .join(",");
    const lines = families.get(name) ?? [];
    for (const [t, v] of points) lines.push(`${name}{${l}} ${v} ${t}`);
    families.set(name, lines);
  };
  for (const s of shapes) {
    const ns = s.workload?.namespace ?? ingressNamespace(s.business);
    const times: number[] = [];
    for (let t = end - s.seconds; t <= end; t += step) times.push(t);
    const ago = (t: number) => end - t;
    for (let pod = 0; pod < s.pods; pod++) {
      const labels = {
        namespace: ns,
        container: s.workload?.container ?? NGINX_CONTAINER,
        pod: `${s.business}-${s.workload?.container ?? "nginx"}-${pod}`,
      };
      let cpu = 0;
      let periods = 0;
      let throttled = 0;
      const cpuPts: [number, number][] = [];
      const perPts: [number, number][] = [];
      const thrPts: [number, number][] = [];
      const memPts: [number, number][] = [];
      for (const t of times) {
        cpu += s.cpuCores(ago(t), pod) * step;
        periods += 10 * step; // CFS period 100 ms
        throttled += 10 * step * s.throttled(ago(t));
        cpuPts.push([t, round(cpu)]);
        perPts.push([t, periods]);
        thrPts.push([t, round(throttled)]);
        memPts.push([t, Math.round(s.memoryMiB(ago(t), pod) * 2 ** 20)]);
      }
      add("container_cpu_usage_seconds_total", labels, cpuPts);
      add("container_cpu_cfs_periods_total", labels, perPts);
      add("container_cpu_cfs_throttled_periods_total", labels, thrPts);
      add("container_memory_working_set_bytes", labels, memPts);
    }
    // nginx's own series exist once per tier, not for the pods behind it.
    if (s.workload) continue;
    let requests = 0;
    const reqPts: [number, number][] = [];
    const buckets = BUCKETS.map(() => 0);
    let inf = 0;
    const bucketPts: [number, number][][] = BUCKETS.map(() => []);
    const infPts: [number, number][] = [];
    for (const t of times) {
      const n = s.requestsPerSecond(ago(t)) * step;
      requests += n;
      reqPts.push([t, round(requests)]);
      const shares = bucketShares(s.p99Seconds(ago(t)));
      shares.forEach((share, i) => {
        buckets[i] += n * share;
        bucketPts[i].push([t, round(buckets[i])]);
      });
      inf += n;
      infPts.push([t, round(inf)]);
    }
    add("nginx_ingress_controller_requests", { controller_namespace: ns, status: "200" }, reqPts);
    BUCKETS.forEach((le, i) =>
      add(
        "nginx_ingress_controller_request_duration_seconds_bucket",
        { controller_namespace: ns, le: String(le) },
        bucketPts[i],
      ),
    );
    add(
      "nginx_ingress_controller_request_duration_seconds_bucket",
      { controller_namespace: ns, le: "+Inf" },
      infPts,
    );
  }
  // Type `unknown`: the families keep their exposition names (OpenMetrics
  // would strip `_total` from a counter family), and rate() and
  // histogram_quantile() do not look at metadata.
  const out: string[] = [];
  for (const [name, lines] of families) out.push(`# TYPE ${name} unknown`, ...lines);
  out.push("# EOF", "");
  return out.join("\n");
}

const round = (x: number) => Math.round(x * 1000) / 1000;
