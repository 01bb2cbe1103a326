/**
 * A release's own NetworkPolicy: Prometheus may scrape its metrics port.
 * Everything else about the business namespace's traffic is the platform's
 * (ingress-tier/network.ts: default deny both ways, the tier → upstream flow,
 * filebeat, DNS, egress outside the datacenter), so a release cannot open
 * its namespace wider than the platform team set it up.
 */
import type { AppSpec, Template } from "../../release/catalog/schema";
import { allowIngress, type NetworkContribution } from "../common/network-policy";
import { prometheusPeer } from "../monitoring-stack/contract";
import { appManifests, podSelector } from "./manifests";
import type { ReleaseContext } from "./platform";

export function businessAppNetwork(
  spec: AppSpec,
  template: Template,
  ctx: ReleaseContext,
): NetworkContribution {
  const m = appManifests(spec, template, ctx);
  const selector = podSelector(spec, template);
  return {
    policies: [
      allowIngress({
        name: `allow-${m.names.deployment}-metrics-scrape`,
        namespace: m.names.namespace,
        pods: selector,
        peers: [prometheusPeer()],
        ports: [{ port: spec.ports.metrics }],
      }),
    ],
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
