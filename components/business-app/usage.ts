/**
 * What a business's Jetty pods used, as PromQL for `npm run rightsize`: the
 * app container's cAdvisor series (infra instance) and, for a template behind
 * the business's nginx tier, that tier's latency — the same series the
 * business's p99 alert reads (`alerts.ts`). A worker template has no request
 * latency to read, so its HPA target keeps its scale-out point.
 */
import { containerUsageQueries, ingressUsageQueries, type EvidenceQueries } from "../ingress-tier/usage";
import { businessNamespaces } from "../../stacks/namespaces";
import { appNames } from "./manifests";

export function businessUsageQueries(business: string, behindIngress: boolean): EvidenceQueries {
  const n = appNames(business, businessNamespaces(business).app);
  const tier = ingressUsageQueries(business);
  return {
    ...containerUsageQueries(n.namespace, n.container),
    requestsPerSecond: behindIngress ? tier.requestsPerSecond : undefined,
    latencyP99Seconds: behindIngress ? tier.latencyP99Seconds : undefined,
  };
}
