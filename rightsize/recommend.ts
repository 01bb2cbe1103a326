/**
 * Rightsizing maths (seed part 5: "CPU requests and HPA are tuned
 * continuously from monitoring"). Pure functions over what Prometheus saw;
 * no I/O, tested with tables (tests/unit/rightsize.test.ts).
 *
 * Where we differ from the Vertical Pod Autoscaler's recommender, on purpose:
 *  - VPA never touches HPA settings and fights an HPA on CPU. Here the CPU
 *    request and the HPA's target are decided together, in absolute cores, so
 *    a lower request does not silently move the point where the tier scales out.
 *  - VPA changes a limit without knowing that the process inside sizes its
 *    thread pools from it. Here a CPU limit is a whole number of cores and the
 *    worker count (nginx `worker_processes`, JVM `ActiveProcessorCount`)
 *    follows it through `components/common/sizing.ts`, the functions the
 *    components and the policy pack use.
 *  - A usage sample of a throttled container is capped by its limit, so a
 *    percentile of usage cannot show the demand hidden behind the cap. When the
 *    tier was throttled above the target share, the limit grows by one bounded
 *    step and the next run looks again — never "p99 of usage", which would
 *    confirm the starving limit (the seed's incident: many workers on few cores).
 */
import { jvmActiveProcessors, nginxWorkerProcesses } from "../components/common/sizing";

/** What a tier's worker count follows: nginx workers or JVM processors. */
export type WorkerKind = "nginx" | "jvm";

/** The sizing a tier has today (stack config or catalog entry), in the units the config uses. */
export interface Sizing {
  readonly cpuRequestMillis: number;
  readonly cpuLimitMillis: number;
  readonly memoryLimitMiB: number;
  readonly minReplicas: number;
  readonly maxReplicas: number;
  readonly targetCpuUtilizationPercent: number;
}

/** What Prometheus saw for one tier over the window. Arrays are samples at `stepSeconds`. */
export interface Evidence {
  readonly stepSeconds: number;
  /** CPU use of the tier's container, cores, every pod × every step pooled. */
  readonly cpuCoresPerPod: readonly number[];
  /** Total CPU use of the tier per step, cores. */
  readonly totalCpuCores: readonly number[];
  /** Per step: average cores per pod and the tier's p99 latency, seconds (NaN where unknown). */
  readonly loadLatency: readonly { readonly coresPerPod: number; readonly p99Seconds: number }[];
  /** Throttled CFS periods / all CFS periods of the tier over the window; undefined when not scraped. */
  readonly throttledRatio: number | undefined;
  /** Highest working set of any pod over the window, MiB; undefined when not scraped. */
  readonly memoryPeakMiB: number | undefined;
  /** Peak of the tier's request rate, requests/s (reported, not used in the maths). */
  readonly peakRequestsPerSecond: number | undefined;
  /** Seconds of the window for which CPU samples exist. */
  readonly coveredSeconds: number;
}

/** The knobs of the maths. Defaults in `defaultRules`; every one is reported with the recommendation. */
export interface Rules {
  /** Percentile of per-pod CPU use a request covers. */
  readonly requestPercentile: number;
  /** Headroom on top of that percentile, fraction. */
  readonly cpuHeadroom: number;
  /** Percentile of per-pod CPU use the limit covers when the tier was not throttled. */
  readonly limitPercentile: number;
  /** Headroom on top of that, fraction. */
  readonly limitHeadroom: number;
  /** Throttled share of CFS periods a limit should keep under. */
  readonly throttledTarget: number;
  /** Headroom on the peak working set, fraction. */
  readonly memoryHeadroom: number;
  /** No value moves by more than this factor in one run (up or down). */
  readonly maxStepFactor: number;
  /** Samples needed before anything is recommended, seconds (one daily cycle: online load follows the day). */
  readonly minCoveredSeconds: number;
  /** The tier's p99 latency objective, seconds. */
  readonly latencyObjectiveSeconds: number;
  /** Latency counts as "rising" above this share of the objective. */
  readonly kneeFraction: number;
  /** The HPA target sits this far below the load at which latency rose, fraction. */
  readonly kneeMargin: number;
  /** Total load p99/p50 above which the tier is "spiky" (load outruns an HPA sync plus warm-up). */
  readonly spikyRatio: number;
  /** Lowest replica count: one rack failure or one drain never takes the whole tier, and the PDB can still allow one down. */
  readonly minReplicasFloor: number;
  /** Lowest CPU request the schema accepts, millicores. */
  readonly minCpuRequestMillis: number;
  /** Lowest memory limit, MiB. */
  readonly minMemoryLimitMiB: number;
  /** HPA target bounds the schema accepts, percent. */
  readonly targetBoundsPercent: readonly [number, number];
  /**
   * The scale-out point stays at or below this share of the CPU limit: a pod
   * never averages more than its limit, so a target above it never fires, and
   * near it the pods are already throttled when the HPA reacts.
   */
  readonly maxTargetOfLimit: number;
  /**
   * The least memory the workers that follow the CPU limit can run in, MiB
   * (for nginx: `nginxMemoryFloorMiB`, the floor validation and the policy
   * pack enforce). Absent: no floor beyond `minMemoryLimitMiB`.
   */
  readonly memoryFloorMiB?: (workers: number) => number;
}

export const defaultRules: Rules = {
  requestPercentile: 0.95,
  cpuHeadroom: 0.15,
  limitPercentile: 0.99,
  limitHeadroom: 0.25,
  throttledTarget: 0.05,
  memoryHeadroom: 0.2,
  maxStepFactor: 2,
  minCoveredSeconds: 24 * 3600,
  latencyObjectiveSeconds: 1,
  kneeFraction: 0.8,
  kneeMargin: 0.2,
  spikyRatio: 2,
  minReplicasFloor: 2,
  minCpuRequestMillis: 100,
  minMemoryLimitMiB: 128,
  targetBoundsPercent: [10, 95],
  maxTargetOfLimit: 0.8,
};

/** A number field of a JSON Schema (TypeBox) with the bounds validation enforces. */
interface Bounded {
  readonly minimum?: unknown;
  readonly maximum?: unknown;
}

/**
 * Rules whose floors are the bounds the owning schema (stack config or
 * release catalog) enforces on the same fields, so a recommendation can never
 * fall below what validation accepts.
 */
export function rulesFromSchema(
  fields: {
    readonly minReplicas: Bounded;
    readonly cpuRequestMillis: Bounded;
    readonly memoryLimitMiB: Bounded;
    readonly targetCpuUtilizationPercent: Bounded;
  },
  overrides: Partial<Rules>,
): Rules {
  const n = (x: unknown, fallback: number) => (typeof x === "number" ? x : fallback);
  const d = defaultRules;
  return {
    ...d,
    minReplicasFloor: n(fields.minReplicas.minimum, d.minReplicasFloor),
    minCpuRequestMillis: n(fields.cpuRequestMillis.minimum, d.minCpuRequestMillis),
    minMemoryLimitMiB: n(fields.memoryLimitMiB.minimum, d.minMemoryLimitMiB),
    targetBoundsPercent: [
      n(fields.targetCpuUtilizationPercent.minimum, d.targetBoundsPercent[0]),
      n(fields.targetCpuUtilizationPercent.maximum, d.targetBoundsPercent[1]),
    ],
    ...overrides,
  };
}

export type Recommendation =
  | {
      readonly status: "insufficient-data";
      /** Why nothing is recommended, with how much data there is and how much is needed. */
      readonly reason: string;
    }
  | {
      readonly status: "ok";
      readonly current: Sizing;
      readonly recommended: Sizing;
      readonly workers: { readonly current: number; readonly recommended: number };
      /** The numbers each decision came from, for the person reviewing the patch. */
      readonly evidence: {
        readonly cpuP50Cores: number;
        readonly cpuP95Cores: number;
        readonly cpuP99Cores: number;
        readonly throttledRatio: number | undefined;
        readonly memoryPeakMiB: number | undefined;
        readonly p99LatencySeconds: number | undefined;
        readonly latencyKneeCoresPerPod: number | undefined;
        readonly peakRequestsPerSecond: number | undefined;
        readonly spiky: boolean;
      };
      /** One sentence per decision that is not a plain percentile. */
      readonly notes: readonly string[];
    };

/** The q-quantile (0..1) of finite values, linear interpolation between ranks; undefined for no values. */
export function quantile(values: readonly number[], q: number): number | undefined {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return undefined;
  const pos = (v.length - 1) * Math.min(1, Math.max(0, q));
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return v[lo] + (v[hi] - v[lo]) * (pos - lo);
}

/** Keeps `next` within one step of `current` (factor `f` either way). */
export function boundStep(current: number, next: number, f: number): number {
  return Math.min(current * f, Math.max(current / f, next));
}

const ceilTo = (x: number, unit: number) => Math.ceil(x / unit) * unit;
const workersFor = (kind: WorkerKind, limitMillis: number) =>
  kind === "nginx" ? nginxWorkerProcesses(limitMillis) : jvmActiveProcessors(limitMillis);
const fmtHours = (s: number) => `${Math.round((s / 3600) * 10) / 10} h`;

/**
 * The load at which the tier's p99 latency rises: the average CPU per pod of
 * the lowest load band (20 equal bands up to the highest load) in which most
 * samples were slow (above `kneeFraction` × objective); undefined when no band
 * was (then the data say nothing about where latency rises).
 *
 * A band must hold at least 5 % of the window's samples (and 10): a p99 over
 * a 5-minute window turns slow within a minute of a burst, while the
 * 5-minute CPU rate is still climbing, so the minutes around every burst
 * show high latency at middling average load (measured on the spiky test
 * shape: 2 % of its samples). Counting those as a knee would put the HPA
 * target far below the load the tier really handles. A tier that is slow
 * for less than 5 % of the window gets no knee, and keeps its scale-out point.
 */
export function latencyKnee(
  loadLatency: Evidence["loadLatency"],
  objectiveSeconds: number,
  kneeFraction: number,
): number | undefined {
  const known = loadLatency.filter(
    (p) => Number.isFinite(p.coresPerPod) && p.coresPerPod > 0 && Number.isFinite(p.p99Seconds),
  );
  const top = known.reduce((m, p) => Math.max(m, p.coresPerPod), 0);
  if (known.length === 0 || top <= 0) return undefined;
  const BANDS = 20;
  const minCount = Math.max(10, known.length * 0.05);
  const bands: { load: number; slow: boolean }[][] = Array.from({ length: BANDS }, () => []);
  for (const p of known) {
    const i = Math.min(BANDS - 1, Math.floor((p.coresPerPod / top) * BANDS));
    bands[i].push({ load: p.coresPerPod, slow: p.p99Seconds > objectiveSeconds * kneeFraction });
  }
  const knee = bands.find((b) => b.length >= minCount && b.filter((x) => x.slow).length / b.length >= 0.5);
  return knee
    ? quantile(
        knee.map((x) => x.load),
        0.5,
      )
    : undefined;
}

/**
 * Recommends the sizing of one tier. Nothing is recommended from less than
 * `rules.minCoveredSeconds` of samples; every value moves by at most
 * `rules.maxStepFactor` and stays above the floors.
 */
export function recommend(
  kind: WorkerKind,
  current: Sizing,
  e: Evidence,
  rules: Rules = defaultRules,
): Recommendation {
  if (e.coveredSeconds < rules.minCoveredSeconds || e.cpuCoresPerPod.length === 0)
    return {
      status: "insufficient-data",
      reason: `only ${fmtHours(e.coveredSeconds)} of CPU samples in the window; at least ${fmtHours(rules.minCoveredSeconds)} are needed (one daily cycle)`,
    };
  const notes: string[] = [];
  const f = rules.maxStepFactor;
  const p50 = quantile(e.cpuCoresPerPod, 0.5) ?? 0;
  const p95 = quantile(e.cpuCoresPerPod, rules.requestPercentile) ?? 0;
  const p99 = quantile(e.cpuCoresPerPod, rules.limitPercentile) ?? 0;

  // --- CPU limit: whole cores, so the worker count that follows it wastes nothing.
  let limitMillis: number;
  const throttled = e.throttledRatio !== undefined && e.throttledRatio > rules.throttledTarget;
  if (throttled) {
    const grown = Math.max(current.cpuLimitMillis * 1.5, current.cpuLimitMillis + 1000);
    limitMillis = boundStep(current.cpuLimitMillis, grown, f);
    notes.push(
      `throttled in ${pct(e.throttledRatio ?? 0)} of CFS periods (target under ${pct(rules.throttledTarget)}): usage is capped by the limit and hides the demand, so the limit grows one step; run again after a day`,
    );
  } else {
    limitMillis = boundStep(current.cpuLimitMillis, p99 * 1000 * (1 + rules.limitHeadroom), f);
  }
  limitMillis = Math.max(1000, ceilTo(limitMillis, 1000));

  const workers = workersFor(kind, limitMillis);

  // --- CPU request: a high percentile plus headroom, never above the limit.
  let requestMillis = boundStep(current.cpuRequestMillis, p95 * 1000 * (1 + rules.cpuHeadroom), f);
  requestMillis = Math.min(limitMillis, Math.max(rules.minCpuRequestMillis, ceilTo(requestMillis, 50)));

  // --- Memory limit: the peak working set plus headroom.
  let memoryLimitMiB = current.memoryLimitMiB;
  if (e.memoryPeakMiB !== undefined) {
    memoryLimitMiB = boundStep(current.memoryLimitMiB, e.memoryPeakMiB * (1 + rules.memoryHeadroom), f);
    memoryLimitMiB = Math.max(rules.minMemoryLimitMiB, ceilTo(memoryLimitMiB, 64));
  }
  const memoryFloor = rules.memoryFloorMiB?.(workers);
  if (memoryFloor !== undefined && memoryLimitMiB < memoryFloor) {
    memoryLimitMiB = ceilTo(memoryFloor, 64);
    notes.push(
      `memory stays at ${memoryLimitMiB} MiB, the least ${workers} workers and their connections need (the peak working set alone would allow less)`,
    );
  }

  // --- HPA target, in absolute cores per pod: scale out before latency rises.
  const requestCores = requestMillis / 1000;
  const knee = latencyKnee(e.loadLatency, rules.latencyObjectiveSeconds, rules.kneeFraction);
  let targetCores: number;
  if (knee !== undefined) {
    targetCores = knee * (1 - rules.kneeMargin);
    notes.push(
      `p99 latency rose above ${pct(rules.kneeFraction)} of the ${rules.latencyObjectiveSeconds}s objective from ${round2(knee)} cores per pod: the HPA scales out ${pct(rules.kneeMargin)} below that`,
    );
  } else {
    // Keep the absolute scale-out point the tier has today.
    targetCores = (current.cpuRequestMillis / 1000) * (current.targetCpuUtilizationPercent / 100);
  }
  if (targetCores > (limitMillis / 1000) * rules.maxTargetOfLimit) {
    targetCores = (limitMillis / 1000) * rules.maxTargetOfLimit;
    notes.push(
      `the HPA scales out at ${round2(targetCores)} cores per pod, ${pct(rules.maxTargetOfLimit)} of the limit: above that the pods are throttled before the HPA reacts`,
    );
  }
  const [tMin, tMax] = rules.targetBoundsPercent;
  const targetPercent = Math.round(Math.min(tMax, Math.max(tMin, (targetCores / requestCores) * 100)));
  const perPodAtTarget = requestCores * (targetPercent / 100);

  // --- Replicas: the floor carries the quiet hours (or, for spiky load, most
  // of the day: load that doubles faster than an HPA sync plus the warm-up
  // lands on the pods that are already there); the ceiling carries the peak.
  const totalP50 = quantile(e.totalCpuCores, 0.5) ?? 0;
  const totalP99 = quantile(e.totalCpuCores, 0.99) ?? 0;
  const spiky = totalP50 > 0 && totalP99 / totalP50 > rules.spikyRatio;
  const floorLoad = quantile(e.totalCpuCores, spiky ? 0.9 : 0.05) ?? 0;
  if (spiky)
    notes.push(
      `spiky load (p99/p50 of the tier's CPU ${round2(totalP99 / totalP50)} > ${rules.spikyRatio}): min replicas carry the p90 load, as scale-out lags a spike by an HPA sync plus the warm-up`,
    );
  let minReplicas = Math.ceil(boundStep(current.minReplicas, Math.ceil(floorLoad / perPodAtTarget), f));
  minReplicas = Math.max(rules.minReplicasFloor, minReplicas);
  const peak = e.totalCpuCores.reduce((m, x) => (Number.isFinite(x) && x > m ? x : m), 0);
  let maxReplicas = Math.ceil(boundStep(current.maxReplicas, Math.ceil((peak * 1.5) / perPodAtTarget), f));
  maxReplicas = Math.max(minReplicas, maxReplicas);

  const p99Latency = quantile(
    e.loadLatency.map((p) => p.p99Seconds),
    0.99,
  );
  return {
    status: "ok",
    current,
    recommended: {
      cpuRequestMillis: requestMillis,
      cpuLimitMillis: limitMillis,
      memoryLimitMiB,
      minReplicas,
      maxReplicas,
      targetCpuUtilizationPercent: targetPercent,
    },
    workers: {
      current: workersFor(kind, current.cpuLimitMillis),
      recommended: workersFor(kind, limitMillis),
    },
    evidence: {
      cpuP50Cores: round2(p50),
      cpuP95Cores: round2(p95),
      cpuP99Cores: round2(p99),
      throttledRatio: e.throttledRatio,
      memoryPeakMiB: e.memoryPeakMiB === undefined ? undefined : Math.round(e.memoryPeakMiB),
      p99LatencySeconds: p99Latency === undefined ? undefined : round3(p99Latency),
      latencyKneeCoresPerPod: knee === undefined ? undefined : round2(knee),
      peakRequestsPerSecond: e.peakRequestsPerSecond,
      spiky,
    },
    notes,
  };
}

const round2 = (x: number) => Math.round(x * 100) / 100;
const round3 = (x: number) => Math.round(x * 1000) / 1000;
const pct = (x: number) => `${Math.round(x * 1000) / 10}%`;
