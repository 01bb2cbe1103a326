/**
 * What a business's Jetty pods used, as PromQL for `npm run rightsize`: the
 * app container's cAdvisor series (infra instance) and, for a template behind
 * the business's nginx tier, that tier's latency — the same series the
 * business's p99 alert reads (`alerts.ts`). A worker template has no request
 * latency to read, so its HPA target keeps its scale-out point.
 */
import { ingressUsageQueries, type UsageQuery } from "../ingress-tier/usage";
import { businessNamespaces } from "../../stacks/namespaces";
import { appNames } from "./manifests";

export function businessUsageQueries(
  business: string,
  behindIngress: boolean,
): Record<
  | "cpuCoresPerPod"
  | "throttledPeriods"
  | "cfsPeriods"
  | "memoryWorkingSetBytesPerPod"
  | "requestsPerSecond"
  | "latencyP99Seconds",
  UsageQuery | undefined
> {
  const ns = businessNamespaces(business);
  const n = appNames(business, ns.app);
  const container = `namespace="${n.namespace}", container="${n.container}"`;
  const tier = ingressUsageQueries(business);
  return {
    cpuCoresPerPod: { instance: "infra", expr: `sum by (pod) (rate(container_cpu_usage_seconds_total{${container}}[5m]))` },
    throttledPeriods: {
      instance: "infra",
      expr: `sum(rate(container_cpu_cfs_throttled_periods_total{${container}}[5m]))`,
    },
    cfsPeriods: { instance: "infra", expr: `sum(rate(container_cpu_cfs_periods_total{${container}}[5m]))` },
    memoryWorkingSetBytesPerPod: {
      instance: "infra",
      expr: `max by (pod) (container_memory_working_set_bytes{${container}})`,
    },
    requestsPerSecond: behindIngress ? tier.requestsPerSecond : undefined,
    latencyP99Seconds: behindIngress ? tier.latencyP99Seconds : undefined,
  };
}
