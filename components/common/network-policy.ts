/**
 * NetworkPolicies as plain typed objects, the builders every component uses
 * to write its own, and the pure function that computes who may reach what
 * from them (the reachability matrix the tests assert and cyclonus confirms).
 *
 * The posture: every namespace the platform owns denies all ingress by
 * default; each component then allows exactly the flows its pods serve
 * (Prometheus scrapes, filebeat → Elasticsearch, Grafana → Prometheus,
 * Prometheus → Alertmanager, the ingress tier → its business's pods, the LVS
 * path to the tiers). Business namespaces also restrict egress, because what
 * a business pod must not reach includes programs that are not pods (the
 * LVS director agents and the control plane run on hosts).
 *
 * Host-network pods (calico-node, node-exporter, the tuning agents, the
 * static control-plane Pods) are outside NetworkPolicy: their traffic is the
 * host's, which a policy cannot select. They appear in the matrix by their
 * host address, and only other pods' egress rules can keep traffic from them.
 *
 * Kubernetes always admits traffic from a pod's own node (kubelet probes), so
 * no policy here allows the probes.
 */
import * as ipaddr from "ipaddr.js";

export type Protocol = "TCP" | "UDP";

/** A port a workload serves or a rule allows. Numbers only: a named port would need the pod spec to resolve. */
export interface PolicyPort {
  readonly port: number;
  /** Default: TCP. */
  readonly protocol?: Protocol;
}

export interface LabelSelector {
  readonly matchLabels?: Readonly<Record<string, string>>;
}

export interface IpBlock {
  readonly cidr: string;
  readonly except?: string[];
}

/** One `from`/`to` entry of a rule: pods (by namespace and labels) or addresses. */
export interface PolicyPeer {
  readonly podSelector?: LabelSelector;
  readonly namespaceSelector?: LabelSelector;
  readonly ipBlock?: IpBlock;
}

export interface RulePort {
  readonly port: number;
  readonly protocol: Protocol;
}

export interface IngressRule {
  readonly from?: PolicyPeer[];
  readonly ports?: RulePort[];
}

export interface EgressRule {
  readonly to?: PolicyPeer[];
  readonly ports?: RulePort[];
}

export type PolicyType = "Ingress" | "Egress";

/** A `networking.k8s.io/v1` NetworkPolicy, the fields the platform uses; assignable to the Pulumi input type. */
export interface NetworkPolicy {
  readonly apiVersion: "networking.k8s.io/v1";
  readonly kind: "NetworkPolicy";
  readonly metadata: {
    readonly name: string;
    readonly namespace: string;
    readonly labels: Readonly<Record<string, string>>;
  };
  readonly spec: {
    readonly podSelector: LabelSelector;
    readonly policyTypes: PolicyType[];
    readonly ingress?: IngressRule[];
    readonly egress?: EgressRule[];
  };
}

/**
 * Something that sends or receives traffic in the matrix: a pod (namespace
 * and labels), a host-network pod (`hostNetwork`: only its address counts),
 * or an address outside the cluster (no namespace).
 */
export interface Endpoint {
  /** Unique name in the matrix, e.g. `monitoring/prometheus-infra` or `lvs-director/sim-s1r01-03`. */
  readonly name: string;
  /** Namespace of a pod; absent for hosts and addresses outside the cluster. */
  readonly namespace?: string;
  readonly labels?: Readonly<Record<string, string>>;
  /** A host-network pod: its traffic is the host's, no policy selects it. Default: false. */
  readonly hostNetwork?: boolean;
  /** Its address: the host's for hosts and host-network pods; pods get one from the pod CIDR (`withPodAddresses`). */
  readonly ip?: string;
  /** The ports it serves (the matrix's columns). */
  readonly ports: readonly PolicyPort[];
}

/** A pod endpoint of namespace `ns`, named `<ns>/<name>` in the matrix. */
export function podEndpoint(
  ns: string,
  name: string,
  labels: Readonly<Record<string, string>>,
  ports: Endpoint["ports"],
): Endpoint {
  return { name: `${ns}/${name}`, namespace: ns, labels, ports };
}

/** What a component adds to the datacenter's network: its policies and the endpoints they concern. */
export interface NetworkContribution {
  readonly policies: readonly NetworkPolicy[];
  readonly endpoints: readonly Endpoint[];
}

/** The label the API server puts on every namespace (since Kubernetes 1.22): selects a namespace by name. */
export const NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name";

/** Marks every NetworkPolicy the platform writes (the policy pack and people can find them by it). */
export const POLICY_LABELS = {
  "app.kubernetes.io/managed-by": "private-cloud",
  "private-cloud.io/network-policy": "platform",
} as const;

// ---------------------------------------------------------------------------
// Builders
// ---------------------------------------------------------------------------

/** Pods with `labels` (every pod when omitted) in namespace `namespace`. */
export function podsIn(namespace: string, labels?: Readonly<Record<string, string>>): PolicyPeer {
  return {
    namespaceSelector: { matchLabels: { [NAMESPACE_NAME_LABEL]: namespace } },
    podSelector: labels ? { matchLabels: { ...labels } } : {},
  };
}

/** Pods with `labels` in any namespace. */
export function podsAnywhere(labels: Readonly<Record<string, string>>): PolicyPeer {
  return { namespaceSelector: {}, podSelector: { matchLabels: { ...labels } } };
}

/** Addresses in `cidr` but not in `except`. */
export function addresses(cidr: string, except: readonly string[] = []): PolicyPeer {
  return { ipBlock: except.length ? { cidr, except: [...except] } : { cidr } };
}

/** A single address (a host, a VIP). */
export function host(ip: string): PolicyPeer {
  return addresses(`${ip}/32`);
}

const rulePorts = (ports: readonly PolicyPort[]): RulePort[] =>
  ports.map((p) => ({ port: p.port, protocol: p.protocol ?? "TCP" }));

function policy(
  name: string,
  namespace: string,
  podLabels: Readonly<Record<string, string>> | undefined,
  spec: Omit<NetworkPolicy["spec"], "podSelector">,
): NetworkPolicy {
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: { name, namespace, labels: { ...POLICY_LABELS } },
    spec: { podSelector: podLabels ? { matchLabels: { ...podLabels } } : {}, ...spec },
  };
}

/** Every pod of `namespace` accepts nothing (and, with `egress`, sends nothing) that another policy does not allow. */
export function defaultDeny(
  namespace: string,
  directions: readonly PolicyType[] = ["Ingress"],
): NetworkPolicy {
  const name = directions.includes("Egress") ? "default-deny" : "default-deny-ingress";
  return policy(name, namespace, undefined, { policyTypes: [...directions] });
}

export interface FlowArgs {
  /** Object name, unique in the namespace (`allow-…`). */
  readonly name: string;
  readonly namespace: string;
  /** Labels of the pods the policy is about; every pod of the namespace when omitted. */
  readonly pods?: Readonly<Record<string, string>>;
  /** The other side of the flow. */
  readonly peers: readonly PolicyPeer[];
  /** Ports of the flow; an empty list means every port and protocol (used only for ICMP, which NetworkPolicy cannot name). */
  readonly ports: readonly PolicyPort[];
}

/** `pods` accept connections from `peers` on `ports`. */
export function allowIngress(a: FlowArgs): NetworkPolicy {
  if (a.peers.length === 0)
    throw new Error(`NetworkPolicy ${a.namespace}/${a.name}: no peers (expected who may connect)`);
  return policy(a.name, a.namespace, a.pods, {
    policyTypes: ["Ingress"],
    ingress: [{ from: [...a.peers], ...(a.ports.length ? { ports: rulePorts(a.ports) } : {}) }],
  });
}

/** `pods` may connect to `peers` on `ports`. */
export function allowEgress(a: FlowArgs): NetworkPolicy {
  if (a.peers.length === 0)
    throw new Error(`NetworkPolicy ${a.namespace}/${a.name}: no peers (expected where traffic may go)`);
  return policy(a.name, a.namespace, a.pods, {
    policyTypes: ["Egress"],
    egress: [{ to: [...a.peers], ...(a.ports.length ? { ports: rulePorts(a.ports) } : {}) }],
  });
}

/** Joins contributions; refuses two policies of one name in one namespace (the second would overwrite the first). */
export function mergeContributions(...parts: readonly NetworkContribution[]): NetworkContribution {
  const policies = parts.flatMap((p) => p.policies);
  const endpoints = parts.flatMap((p) => p.endpoints);
  const seen = new Set<string>();
  for (const p of policies) {
    const key = `${p.metadata.namespace}/${p.metadata.name}`;
    if (seen.has(key))
      throw new Error(`NetworkPolicy ${key} is built twice (expected one name per namespace)`);
    seen.add(key);
  }
  const names = new Set<string>();
  for (const e of endpoints) {
    if (names.has(e.name))
      throw new Error(`network endpoint ${e.name} is declared twice (expected unique names)`);
    names.add(e.name);
  }
  return { policies, endpoints };
}

// ---------------------------------------------------------------------------
// Reachability
// ---------------------------------------------------------------------------

const selects = (selector: LabelSelector, labels: Readonly<Record<string, string>>) =>
  Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v);

function inCidr(ip: string, cidr: string): boolean {
  const addr = ipaddr.parse(ip);
  const [net, bits] = ipaddr.parseCIDR(cidr);
  return addr.kind() === net.kind() && addr.match(net, bits);
}

const isPod = (e: Endpoint) => e.namespace !== undefined && !e.hostNetwork;

/** Does `peer` (in a policy of namespace `policyNs`) match endpoint `e`? */
function peerMatches(peer: PolicyPeer, policyNs: string, e: Endpoint): boolean {
  if (peer.ipBlock) {
    // Matched by address, pods included: Calico and cyclonus both do so.
    const ip = e.ip;
    if (ip === undefined)
      throw new Error(`network endpoint ${e.name} has no address (expected withPodAddresses first)`);
    return inCidr(ip, peer.ipBlock.cidr) && !(peer.ipBlock.except ?? []).some((x) => inCidr(ip, x));
  }
  if (!isPod(e)) return false;
  const ns = e.namespace as string;
  const nsOk = peer.namespaceSelector
    ? selects(peer.namespaceSelector, { [NAMESPACE_NAME_LABEL]: ns })
    : ns === policyNs;
  return nsOk && selects(peer.podSelector ?? {}, e.labels ?? {});
}

const portMatches = (ports: readonly RulePort[] | undefined, p: PolicyPort) =>
  !ports ||
  ports.length === 0 ||
  ports.some((r) => r.port === p.port && r.protocol === (p.protocol ?? "TCP"));

/** Whether `target`'s policies of `direction` let traffic with `other` on `port` through. */
function directionAllows(
  policies: readonly NetworkPolicy[],
  direction: PolicyType,
  target: Endpoint,
  other: Endpoint,
  port: PolicyPort,
): boolean {
  // Hosts and outside addresses: no NetworkPolicy applies to them.
  if (!isPod(target)) return true;
  const applying = policies.filter(
    (p) =>
      p.metadata.namespace === target.namespace &&
      p.spec.policyTypes.includes(direction) &&
      selects(p.spec.podSelector, target.labels ?? {}),
  );
  if (applying.length === 0) return true;
  return applying.some((p) => {
    const rules =
      direction === "Ingress"
        ? (p.spec.ingress ?? []).map((r) => ({ peers: r.from, ports: r.ports }))
        : (p.spec.egress ?? []).map((r) => ({ peers: r.to, ports: r.ports }));
    return rules.some(
      (r) =>
        portMatches(r.ports, port) &&
        (!r.peers ||
          r.peers.length === 0 ||
          r.peers.some((peer) => peerMatches(peer, p.metadata.namespace, other))),
    );
  });
}

/** Whether `from` may open a connection to `to` on `port` under `policies`. */
export function isAllowed(
  policies: readonly NetworkPolicy[],
  from: Endpoint,
  to: Endpoint,
  port: PolicyPort,
): boolean {
  return (
    directionAllows(policies, "Egress", from, to, port) &&
    directionAllows(policies, "Ingress", to, from, port)
  );
}

/** Gives every pod endpoint without an address one from `podCidr`, in order (the matrix only needs them distinct and inside it). */
export function withPodAddresses(podCidr: string, endpoints: readonly Endpoint[]): Endpoint[] {
  const [net] = ipaddr.parseCIDR(podCidr);
  const base = net.toByteArray().reduce((n, b) => n * 256 + b, 0);
  let next = 1;
  return endpoints.map((e) => {
    if (e.ip !== undefined) return e;
    const n = base + next++;
    return { ...e, ip: [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join(".") };
  });
}

/** `name:port/PROTO`, the matrix's column key. */
export const portKey = (e: Endpoint, p: PolicyPort) => `${e.name}:${p.port}/${p.protocol ?? "TCP"}`;

/**
 * The reachability matrix: source endpoint name → `destination:port/PROTO` →
 * allowed. Every endpoint is a source, and every port an endpoint serves is a
 * column (an endpoint never probes itself).
 */
export function reachability(
  policies: readonly NetworkPolicy[],
  endpoints: readonly Endpoint[],
): Record<string, Record<string, boolean>> {
  const out: Record<string, Record<string, boolean>> = {};
  for (const from of endpoints) {
    const row: Record<string, boolean> = {};
    for (const to of endpoints) {
      if (to === from) continue;
      for (const p of to.ports) row[portKey(to, p)] = isAllowed(policies, from, to, p);
    }
    out[from.name] = row;
  }
  return out;
}

// ---------------------------------------------------------------------------
// Peers every business namespace's egress names
// ---------------------------------------------------------------------------

/**
 * The cluster DNS: kube-system's pods labelled `k8s-app: kube-dns` (the label
 * kubeadm's CoreDNS carries, as the cluster DNS address follows kubeadm's
 * convention: master-ha/manifests.ts), on port 53 over UDP and TCP.
 */
export const CLUSTER_DNS = {
  namespace: "kube-system",
  labels: { "k8s-app": "kube-dns" },
  ports: [
    { port: 53, protocol: "UDP" },
    { port: 53, protocol: "TCP" },
  ],
} as const satisfies { namespace: string; labels: Record<string, string>; ports: readonly PolicyPort[] };

export function clusterDnsPeer(): PolicyPeer {
  return podsIn(CLUSTER_DNS.namespace, CLUSTER_DNS.labels);
}

/** The host a node-wide (host-network) pod is shown on in the matrix: the first web minion (not a director or master, whose addresses mean something else). */
export function sampleNode(model: {
  readonly minions: readonly { readonly ip: string; readonly function: string }[];
}): string {
  return (model.minions.find((h) => h.function === "web") ?? model.minions[0]).ip;
}
