/**
 * The data contract between the platform and lvs-director-agent, the agent
 * on every director (seed part 4: "VirtualServer → Endpoint IP mapping is
 * automatic"). Real servers are pods, so the VIP → pod-IP mapping has to
 * follow EndpointSlices as pods come and go; Pulumi cannot, an agent can.
 *
 * The contract, in full:
 *  - A Service takes part when it carries the label `LVS_SERVICE_LABEL: "true"`
 *    (the controller list-watches with that selector, never every Service).
 *  - Annotation `LVS_VIP_ANNOTATION` holds the VIP (IPv4). Each Service port
 *    becomes one virtual service `VIP:port/protocol`; its real servers are the
 *    ready endpoints of the Service's EndpointSlices at that port's target
 *    port (`endpoints[].conditions.ready == true`, so the network-health
 *    readiness gate applies to LVS as well).
 *  - Annotation `LVS_BUSINESS_ANNOTATION` names the business (metrics label).
 *  - Annotation `LVS_SCHEDULER_ANNOTATION` optionally overrides the scheduler
 *    (default `wrr`).
 *  - Annotations `LVS_HEALTH_PORT_ANNOTATION` (and `LVS_HEALTH_PATH_ANNOTATION`)
 *    name the port (and HTTP path, expecting 200) the directors check on every
 *    real server. Without them a TCP port is checked by connecting to its own
 *    target port; a UDP port needs the health port (nothing to connect to).
 *  - Each director's agent config (sync.ts `directorAgentConfig`) lists the
 *    VIP of every business: a Service claiming an address outside the pools
 *    or another business's VIP is ignored and reported with an Event (a
 *    typo must not hijack another business's address); a port clash on one
 *    VIP or UDP without a health-check port freezes that VIP (nothing is
 *    applied for it) and is reported; every other VIP keeps working.
 *  - Terminating or not-ready endpoints keep weight 0 for DRAIN_SECONDS,
 *    then go (graceful drain, seed part 5).
 *
 * The Service can be headless: the controller reads EndpointSlices, not the
 * ClusterIP, and headless keeps kube-proxy's rules out of the path (seed part 3).
 */
import type { DatacenterModel } from "../../stacks/model";
import { vipAssignments, type VipAssignment } from "./vips";

export const LVS_DOMAIN = "lvs.private-cloud.io";
/** Label that opts a Service in. Value: "true". */
export const LVS_SERVICE_LABEL = `${LVS_DOMAIN}/virtual-server`;
/** Annotation with the Service's VIP. */
export const LVS_VIP_ANNOTATION = `${LVS_DOMAIN}/vip`;
/** Annotation with the business name. */
export const LVS_BUSINESS_ANNOTATION = `${LVS_DOMAIN}/business`;
/** Optional annotation: IPVS scheduler (rr, wrr, lc, wlc, sh, …). Default: wrr. */
export const LVS_SCHEDULER_ANNOTATION = `${LVS_DOMAIN}/scheduler`;
export const DEFAULT_SCHEDULER = "wrr";
/** Optional annotation: TCP port the directors health-check on each pod. */
export const LVS_HEALTH_PORT_ANNOTATION = `${LVS_DOMAIN}/health-check-port`;
/** Optional annotation: HTTP path checked on the health port (200 expected); absent means a TCP connect check. */
export const LVS_HEALTH_PATH_ANNOTATION = `${LVS_DOMAIN}/health-check-path`;

/** How the directors check a Service's pods (the ingress tier's drain-aware health server, typically). */
export interface LvsHealthCheck {
  /** TCP port on the pod. */
  readonly port: number;
  /** HTTP path; absent means a TCP connect check. */
  readonly path?: string;
}

/** Labels and annotations the ingress tier puts on the Service that fronts a business's nginx pods. */
export function lvsServiceMetadata(
  model: DatacenterModel,
  business: string,
  health?: LvsHealthCheck,
): { labels: Record<string, string>; annotations: Record<string, string> } {
  const a = vipAssignments(model).find((x) => x.business === business);
  if (!a) throw new Error(`business ${JSON.stringify(business)} has no VIP in datacenter ${model.name}`);
  return serviceMetadataFor(a, health);
}

export function serviceMetadataFor(
  a: VipAssignment,
  health?: LvsHealthCheck,
): {
  labels: Record<string, string>;
  annotations: Record<string, string>;
} {
  return {
    labels: { [LVS_SERVICE_LABEL]: "true" },
    annotations: {
      [LVS_VIP_ANNOTATION]: a.vip,
      [LVS_BUSINESS_ANNOTATION]: a.business,
      ...(health ? { [LVS_HEALTH_PORT_ANNOTATION]: String(health.port) } : {}),
      ...(health?.path ? { [LVS_HEALTH_PATH_ANNOTATION]: health.path } : {}),
    },
  };
}
