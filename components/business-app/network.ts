/**
 * A release in the network matrix: its own NetworkPolicy (Prometheus may
 * scrape its metrics port, `metricsPolicy` in manifests.ts) and its pods as
 * an endpoint. Everything else about the business namespace's traffic is
 * the platform's (ingress-tier/network.ts: default deny both ways, the tier
 * → upstream flow, filebeat, DNS, egress outside the datacenter), so a
 * release cannot open its namespace wider than the platform team set it up.
 */
import type { AppSpec, Template } from "../../release/catalog/schema";
import type { NetworkContribution } from "../common/network-policy";
import { appManifests } from "./manifests";
import type { ReleaseContext } from "./platform";

export function businessAppNetwork(
  spec: AppSpec,
  template: Template,
  ctx: ReleaseContext,
): NetworkContribution {
  const m = appManifests(spec, template, ctx);
  return {
    policies: [m.metricsPolicy],
    endpoints: [
      {
        name: `${m.names.namespace}/${m.names.deployment}`,
        namespace: m.names.namespace,
        labels: m.labels,
        ports: [{ port: spec.ports.http }, { port: spec.ports.metrics }],
      },
    ],
  };
}
