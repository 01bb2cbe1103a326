/**
 * What an ingress tier used, as PromQL: the queries `npm run rightsize` reads
 * back from the datacenter's Prometheus (seed part 5: "CPU requests and HPA
 * are tuned continuously from monitoring"). They select the same series as
 * the tier's alert rules in `alerts.ts` — nginx's own metrics by
 * `controller_namespace` (business instance), cAdvisor's container series of
 * the `controller` container by `namespace` (infra instance) — so a rename of
 * a series or a label breaks both places in one review.
 */
import { ingressNamespace, NGINX_CONTAINER } from "./alerts";

/** Which Prometheus instance holds a query's series (the seed splits Prometheus by target type). */
export type PrometheusInstance = "business" | "infra";

export interface UsageQuery {
  readonly instance: PrometheusInstance;
  /** PromQL; evaluated over a range with the step the caller picks. */
  readonly expr: string;
}

/** The named queries a tier's evidence is read from; absent means "no such series" (a worker has no latency). */
export type EvidenceQueries = Record<
  | "cpuCoresPerPod"
  | "throttledPeriods"
  | "cfsPeriods"
  | "memoryWorkingSetBytesPerPod"
  | "requestsPerSecond"
  | "latencyP99Seconds",
  UsageQuery | undefined
>;

/**
 * cAdvisor's view of one container of a workload (infra instance): CPU per
 * pod, CFS throttling of the whole workload, and memory per pod. Rates use a
 * 5m window, like the alerts: shorter windows make p99s out of a handful of
 * scrapes.
 */
export function containerUsageQueries(
  namespace: string,
  container: string,
): Record<"cpuCoresPerPod" | "throttledPeriods" | "cfsPeriods" | "memoryWorkingSetBytesPerPod", UsageQuery> {
  const sel = `namespace="${namespace}", container="${container}"`;
  return {
    // One series per pod: the distribution over pods and time is what a request is sized from.
    cpuCoresPerPod: {
      instance: "infra",
      expr: `sum by (pod) (rate(container_cpu_usage_seconds_total{${sel}}[5m]))`,
    },
    // Counters summed over the workload: their increase over the window gives the throttled share.
    throttledPeriods: {
      instance: "infra",
      expr: `sum(rate(container_cpu_cfs_throttled_periods_total{${sel}}[5m]))`,
    },
    cfsPeriods: { instance: "infra", expr: `sum(rate(container_cpu_cfs_periods_total{${sel}}[5m]))` },
    memoryWorkingSetBytesPerPod: {
      instance: "infra",
      expr: `max by (pod) (container_memory_working_set_bytes{${sel}})`,
    },
  };
}

/** The evidence for one business's ingress tier: its nginx container, and nginx's own request and latency series (business instance). */
export function ingressUsageQueries(business: string): Record<keyof EvidenceQueries, UsageQuery> {
  const ns = ingressNamespace(business);
  return {
    ...containerUsageQueries(ns, NGINX_CONTAINER),
    requestsPerSecond: {
      instance: "business",
      expr: `sum(rate(nginx_ingress_controller_requests{controller_namespace="${ns}"}[5m]))`,
    },
    latencyP99Seconds: {
      instance: "business",
      expr: `histogram_quantile(0.99, sum by (le) (rate(nginx_ingress_controller_request_duration_seconds_bucket{controller_namespace="${ns}"}[5m])))`,
    },
  };
}
