/**
 * headless-upstreams. The seed: every packet goes through the host's
 * netfilter and is conntracked; a ClusterIP Service adds kube-proxy's
 * iptables rules on every node and a DNAT per connection. Business upstreams
 * (the Jetty pods behind each nginx tier) are reached by nginx directly, so
 * their Services should be headless: fewer rules, fewer conntrack entries, and
 * nginx balances over the pod IPs itself. A business that really needs a
 * ClusterIP says why (private-cloud:businesses[].nonHeadlessReason).
 */
import {
  stackResources,
  configOf,
  configSchema,
  type ConfigOf,
  type EnforcementLevel,
  type StackValidationPolicy,
} from "./common";
import { kindOf, metadataOf, namespaceOf, objectName, type K8sResource } from "./k8s";

export const upstreamSettings = {
  upstreamMarker: {
    default: "private-cloud.io/upstream",
    description:
      "Label or annotation key that marks a Service as a business upstream (besides being an Ingress backend).",
  },
  reasonAnnotation: {
    default: "private-cloud.io/non-headless-reason",
    description: "Annotation whose presence (with a reason) exempts an upstream Service from being headless.",
  },
} as const;

type Config = ConfigOf<typeof upstreamSettings>;

/** `namespace/name` of every Service an Ingress routes to. */
export function ingressBackends(resources: readonly K8sResource[]): Set<string> {
  const out = new Set<string>();
  for (const r of resources) {
    if (kindOf(r.type) !== "Ingress") continue;
    const ns = namespaceOf(metadataOf(r));
    const spec = (r.props.spec ?? {}) as {
      defaultBackend?: { service?: { name?: string } };
      rules?: { http?: { paths?: { backend?: { service?: { name?: string } } }[] } }[];
    };
    const names = [
      spec.defaultBackend?.service?.name,
      ...(spec.rules ?? []).flatMap((rule) => (rule.http?.paths ?? []).map((p) => p.backend?.service?.name)),
    ];
    for (const n of names) if (n) out.add(`${ns}/${n}`);
  }
  return out;
}

export function upstreamProblems(r: K8sResource, backends: ReadonlySet<string>, cfg: Config): string[] {
  if (kindOf(r.type) !== "Service") return [];
  const meta = metadataOf(r);
  const ns = namespaceOf(meta);
  const name = objectName(r);
  const marked =
    meta.labels?.[cfg.upstreamMarker] !== undefined || meta.annotations?.[cfg.upstreamMarker] !== undefined;
  if (!marked && !backends.has(`${ns}/${name}`)) return [];
  const spec = (r.props.spec ?? {}) as { clusterIP?: string; type?: string };
  if (spec.clusterIP === "None") return [];
  if ((meta.annotations?.[cfg.reasonAnnotation] ?? "").trim().length > 0) return [];
  return [
    `Service ${ns}/${name}: business upstream with clusterIP ${spec.clusterIP ?? "(allocated)"} — set clusterIP: None (headless: no kube-proxy rules or DNAT conntrack entries per connection), or give the reason in the ${cfg.reasonAnnotation} annotation`,
  ];
}

export function headlessUpstreams(enforcementLevel: EnforcementLevel = "advisory"): StackValidationPolicy {
  return {
    name: "headless-upstreams",
    description:
      "Business upstream Services (Ingress backends, or marked as upstreams) are headless, so conntrack and iptables stay small (the seed's conntrack lesson).",
    enforcementLevel,
    configSchema: configSchema(upstreamSettings),
    validateStack: (args, reportViolation) => {
      const cfg = configOf(args, upstreamSettings);
      const resources = stackResources(args);
      const backends = ingressBackends(resources);
      for (const r of resources)
        for (const m of upstreamProblems(r, backends, cfg)) reportViolation(m, r.urn);
    },
  };
}
