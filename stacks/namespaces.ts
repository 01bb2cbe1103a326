/**
 * The one registry of namespaces the platform owns. Components take their
 * namespace names from here, config validation refuses a business named like
 * any of them (a business's app namespace is its own name), and the policy
 * pack's default list of privileged namespaces is the `privileged` entries.
 * A namespace added to a component without an entry here is a namespace a
 * business could take over.
 */

export type PodSecurityLevel = "privileged" | "baseline" | "restricted";

export interface PlatformNamespace {
  readonly name: string;
  /** Pod Security admission level its pods need. */
  readonly level: PodSecurityLevel;
}

/** Namespaces the platform's components create, by the component that owns them. */
export const platformNamespaces = {
  /** CalicoBGP: BGP on the host network, routes, iptables. */
  calico: { name: "calico-system", level: "privileged" },
  /** FullnatLVS: the director sync reaches the directors' kernels. */
  lvs: { name: "lvs-system", level: "privileged" },
  /** MinionPool: the tuning agent writes sysctls and IRQ affinity. */
  nodeTuning: { name: "node-tuning", level: "privileged" },
  /** MonitoringStack: node-exporter reads the host's /proc and /sys. */
  nodeExporter: { name: "node-exporter", level: "privileged" },
  /** MonitoringStack: Prometheus, Alertmanager, Grafana, kube-state-metrics. */
  monitoring: { name: "monitoring", level: "restricted" },
  /** LoggingStack: Elasticsearch and its exporters. */
  logging: { name: "logging", level: "restricted" },
} as const satisfies Record<string, PlatformNamespace>;

/**
 * Namespaces Kubernetes and Calico create themselves, and one we keep for
 * the platform's own tools: no business may be named like them either.
 */
export const systemNamespaces = [
  "default",
  "kube-system",
  "kube-public",
  "kube-node-lease",
  "calico-apiserver",
  "private-cloud",
] as const;

/** Every name a business may not take, in a stable order for messages. */
export const RESERVED_NAMESPACES: readonly string[] = [
  ...systemNamespaces,
  ...Object.values(platformNamespaces).map((n) => n.name),
];

/** Namespaces whose pods may use the host: the policy pack's default `privilegedNamespaces`. */
export const PRIVILEGED_NAMESPACES: readonly string[] = Object.values(platformNamespaces)
  .filter((n) => n.level === "privileged")
  .map((n) => n.name);

/** Prefixes of generated namespaces: a business name starting with one could collide with another's. */
export const RESERVED_PREFIXES = ["ingress-", "kube-"] as const;

/** The two namespaces of one business: its nginx tier and its application. */
export interface BusinessNamespaces {
  /** The ingress tier (nginx), `ingress-<business>`. */
  readonly tier: string;
  /** The business's Jetty pods, upstream Service and Ingress: the business name itself. */
  readonly app: string;
}

export function businessNamespaces(business: string): BusinessNamespaces {
  return { tier: `ingress-${business}`, app: business };
}

/** Kubernetes namespace names are DNS labels: at most 63 characters. */
export const MAX_BUSINESS_NAME = 63 - businessNamespaces("").tier.length;
