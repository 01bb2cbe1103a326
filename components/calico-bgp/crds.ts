/**
 * The projectcalico.org CustomResourceDefinitions calico-node, Felix and
 * calico-kube-controllers read and write in Kubernetes-datastore mode
 * (group crd.projectcalico.org, version v1, Calico v3.30).
 *
 * Written here as typed builders, not copied manifests. For the kinds whose
 * fields this program sets (BGPConfiguration, BGPPeer, IPPool,
 * FelixConfiguration, GlobalNetworkPolicy, HostEndpoint,
 * KubeControllersConfiguration) the schema types and bounds every field we
 * set, so the API server itself refuses a bad value (a typo'd enum, an AS
 * number out of range, a block size Calico cannot use). Every spec also keeps
 * `x-kubernetes-preserve-unknown-fields`: Calico fills in fields of its own
 * (defaults on IPPools, per-node FelixConfigurations, status) and a
 * structural schema without it would silently PRUNE them. Kinds Calico alone
 * writes (IPAM blocks, affinities, handles, ClusterInformation, …) keep an
 * open spec: we set nothing there to validate.
 */
import type * as k8s from "@pulumi/kubernetes";
import { managedBy } from "../../stacks/labels";

type Schema = k8s.types.input.apiextensions.v1.JSONSchemaProps;
export type Crd = k8s.types.input.apiextensions.v1.CustomResourceDefinition & {
  metadata: { name: string };
};

export const CALICO_GROUP = "crd.projectcalico.org";
export const CALICO_API_VERSION = `${CALICO_GROUP}/v1`;

// --- schema helpers -------------------------------------------------------
const str = (description: string, extra: Partial<Schema> = {}): Schema => ({
  type: "string",
  description,
  ...extra,
});
const bool = (description: string): Schema => ({ type: "boolean", description });
const int = (description: string, minimum?: number, maximum?: number): Schema => ({
  type: "integer",
  description,
  ...(minimum !== undefined ? { minimum } : {}),
  ...(maximum !== undefined ? { maximum } : {}),
});
const oneOf = (description: string, values: readonly string[]): Schema => ({
  type: "string",
  description,
  enum: [...values],
});
const arrayOf = (items: Schema, description: string): Schema => ({ type: "array", description, items });
// The API server drops empty descriptions; rendering one would be a diff on every preview.
const obj = (properties: Record<string, Schema>, description = "", required?: string[]): Schema => ({
  type: "object",
  ...(description ? { description } : {}),
  properties,
  ...(required ? { required } : {}),
});
const intOrString = (description: string): Schema => ({
  description,
  x_kubernetes_int_or_string: true,
  anyOf: [{ type: "integer" }, { type: "string" }],
});
/** An object whose listed fields are validated and whose other fields Calico may set are kept. */
const openObj = (properties: Record<string, Schema>, description = "", required?: string[]): Schema => ({
  ...obj(properties, description, required),
  x_kubernetes_preserve_unknown_fields: true,
});

/** AS numbers as BGP carries them: 4-byte, 0 and 4294967295 reserved. */
const asNumber = (description: string) => int(description, 1, 4294967294);
const logSeverity = oneOf("Log level", ["Trace", "Debug", "Info", "Warning", "Error", "Fatal"]);
const duration = (description: string) => str(description, { pattern: "^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$" });
/** Calico selector expressions ("has(x) && y == 'z'", "all()"): free text, validated by Calico. */
const selector = (description: string) => str(description, { maxLength: 4096 });
const cidr = (description: string) =>
  str(description, { pattern: "^[0-9.]+/[0-9]{1,2}$|^[0-9a-fA-F:]+/[0-9]{1,3}$" });

const protoPort = obj(
  {
    protocol: oneOf("Protocol", ["TCP", "UDP", "SCTP"]),
    port: int("Port", 0, 65535),
    net: cidr("Restricts the failsafe port to this peer network"),
  },
  "A protocol/port pair Felix always allows, whatever the policy",
  ["protocol", "port"],
);

const entityRule = obj({
  nets: arrayOf(cidr("CIDR"), "Match packets whose address is in one of these CIDRs"),
  notNets: arrayOf(cidr("CIDR"), "Match packets whose address is in none of these CIDRs"),
  selector: selector("Endpoint selector"),
  namespaceSelector: selector("Namespace selector"),
  ports: arrayOf(intOrString('Port or range "from:to"'), "Ports"),
  notPorts: arrayOf(intOrString("Port or range"), "Ports not matched"),
});
const rule = openObj(
  {
    action: oneOf("What to do on a match", ["Allow", "Deny", "Log", "Pass"]),
    protocol: intOrString("TCP, UDP, ICMP, SCTP, UDPLite or a protocol number"),
    source: entityRule,
    destination: entityRule,
  },
  "A policy rule",
  ["action"],
);

// --- the specs we set ---------------------------------------------------
const specs: Record<string, Schema> = {
  BGPConfiguration: openObj({
    asNumber: asNumber("Default AS number of every node"),
    nodeToNodeMeshEnabled: bool("Full node-to-node BGP mesh (off here: the seed found no-mesh more stable)"),
    logSeverityScreen: logSeverity,
    listenPort: int("BGP port BIRD listens on", 1, 65535),
    bindMode: oneOf("Whether BIRD binds to the node IP only", ["None", "NodeIP"]),
    serviceClusterIPs: arrayOf(obj({ cidr: cidr("Service CIDR") }), "Service CIDRs to advertise"),
  }),
  BGPPeer: openObj({
    asNumber: asNumber("The peer's AS number"),
    peerIP: str("The peer's address (optionally :port)", {
      pattern: "^[0-9]{1,3}(\\.[0-9]{1,3}){3}(:[0-9]{1,5})?$",
    }),
    node: str("The one node that peers (empty: see nodeSelector)"),
    nodeSelector: selector("Nodes that peer"),
    peerSelector: selector("Calico nodes to peer with (instead of peerIP)"),
    sourceAddress: oneOf("Source address of the session", ["UseNodeIP", "None"]),
    maxRestartTime: duration("BGP graceful-restart time"),
    keepOriginalNextHop: bool("Keep the original next hop"),
  }),
  IPPool: openObj(
    {
      cidr: cidr("The pool"),
      blockSize: int("IPAM block prefix length", 20, 32),
      ipipMode: oneOf("IP-in-IP encapsulation", ["Never", "Always", "CrossSubnet"]),
      vxlanMode: oneOf("VXLAN encapsulation", ["Never", "Always", "CrossSubnet"]),
      natOutgoing: bool("SNAT traffic leaving the pool"),
      disabled: bool("No new allocations"),
      disableBGPExport: bool("Do not advertise the pool"),
      nodeSelector: selector("Nodes that allocate from the pool"),
      allowedUses: arrayOf(oneOf("Use", ["Workload", "Tunnel", "LoadBalancer"]), "What the pool is for"),
      assignmentMode: oneOf("Automatic or manual assignment", ["Automatic", "Manual"]),
    },
    "",
    ["cidr"],
  ),
  FelixConfiguration: openObj({
    logSeverityScreen: logSeverity,
    reportingInterval: duration("How often Felix reports status"),
    healthEnabled: bool("Health endpoint"),
    healthPort: int("Health port", 1, 65535),
    prometheusMetricsEnabled: bool("Prometheus metrics endpoint"),
    prometheusMetricsPort: int("Prometheus metrics port", 1, 65535),
    ipipEnabled: bool("IP-in-IP device"),
    vxlanEnabled: bool("VXLAN device"),
    bpfEnabled: bool("eBPF data plane"),
    iptablesBackend: oneOf("iptables backend", ["Legacy", "NFT", "Auto"]),
    disableConntrackInvalidCheck: bool("Do not drop conntrack-INVALID packets (needed by doNotTrack policy)"),
    defaultEndpointToHostAction: oneOf("Workload to host traffic", ["Drop", "Accept", "Return"]),
    failsafeInboundHostPorts: arrayOf(protoPort, "Always-open inbound host ports"),
    failsafeOutboundHostPorts: arrayOf(protoPort, "Always-open outbound host ports"),
    routeRefreshInterval: duration("Route table refresh"),
  }),
  GlobalNetworkPolicy: openObj({
    tier: str("Policy tier"),
    order: { type: "number", description: "Lower orders apply first" },
    selector: selector("Endpoints the policy applies to"),
    types: arrayOf(oneOf("Direction", ["Ingress", "Egress"]), "Directions"),
    doNotTrack: bool("Stateless: applied in the raw table, before conntrack"),
    applyOnForward: bool("Also apply to traffic forwarded through the host"),
    preDNAT: bool("Apply before DNAT"),
    ingress: arrayOf(rule, "Ingress rules"),
    egress: arrayOf(rule, "Egress rules"),
  }),
  HostEndpoint: openObj({
    node: str("Node the endpoint is on"),
    interfaceName: str("Interface, or * for all of the host's interfaces"),
    expectedIPs: arrayOf(str("IP"), "Addresses of the interface"),
    profiles: arrayOf(str("Profile"), "Profiles applied to the endpoint"),
  }),
  KubeControllersConfiguration: openObj({
    logSeverityScreen: logSeverity,
    healthChecks: oneOf("Health checks", ["Enabled", "Disabled"]),
    prometheusMetricsPort: int("Metrics port (0 disables)", 0, 65535),
    controllers: openObj({
      node: openObj({
        reconcilerPeriod: duration("Reconcile period"),
        syncLabels: oneOf("Copy node labels to Calico nodes", ["Enabled", "Disabled"]),
        leakGracePeriod: duration("How long an IPAM leak is tolerated"),
        hostEndpoint: openObj({
          autoCreate: oneOf("One all-interfaces host endpoint per node", ["Enabled", "Disabled"]),
        }),
      }),
    }),
  }),
};

interface Kind {
  readonly kind: string;
  readonly plural: string;
  readonly namespaced?: boolean;
  readonly status?: boolean;
}

/** Every kind Calico v3.30 uses in Kubernetes-datastore mode. */
export const CALICO_KINDS: readonly Kind[] = [
  { kind: "BGPConfiguration", plural: "bgpconfigurations" },
  { kind: "BGPFilter", plural: "bgpfilters" },
  { kind: "BGPPeer", plural: "bgppeers" },
  { kind: "BlockAffinity", plural: "blockaffinities" },
  { kind: "CalicoNodeStatus", plural: "caliconodestatuses", status: true },
  { kind: "ClusterInformation", plural: "clusterinformations" },
  { kind: "FelixConfiguration", plural: "felixconfigurations" },
  { kind: "GlobalNetworkPolicy", plural: "globalnetworkpolicies" },
  { kind: "GlobalNetworkSet", plural: "globalnetworksets" },
  { kind: "HostEndpoint", plural: "hostendpoints" },
  { kind: "IPAMBlock", plural: "ipamblocks" },
  { kind: "IPAMConfig", plural: "ipamconfigs" },
  { kind: "IPAMHandle", plural: "ipamhandles" },
  { kind: "IPPool", plural: "ippools" },
  { kind: "IPReservation", plural: "ipreservations" },
  { kind: "KubeControllersConfiguration", plural: "kubecontrollersconfigurations", status: true },
  { kind: "NetworkPolicy", plural: "networkpolicies", namespaced: true },
  { kind: "NetworkSet", plural: "networksets", namespaced: true },
  { kind: "StagedGlobalNetworkPolicy", plural: "stagedglobalnetworkpolicies" },
  { kind: "StagedKubernetesNetworkPolicy", plural: "stagedkubernetesnetworkpolicies", namespaced: true },
  { kind: "StagedNetworkPolicy", plural: "stagednetworkpolicies", namespaced: true },
  { kind: "Tier", plural: "tiers" },
];

/** Kinds whose spec schema is typed (the ones this program writes). */
export const TYPED_KINDS = Object.keys(specs);

export function calicoCrd(k: Kind): Crd {
  const spec: Schema = specs[k.kind] ?? {
    type: "object",
    description: "Written by Calico itself; kept as is",
    x_kubernetes_preserve_unknown_fields: true,
  };
  const status: Schema = { type: "object", x_kubernetes_preserve_unknown_fields: true };
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: `${k.plural}.${CALICO_GROUP}`, labels: { ...managedBy } },
    spec: {
      group: CALICO_GROUP,
      scope: k.namespaced ? "Namespaced" : "Cluster",
      names: {
        kind: k.kind,
        listKind: `${k.kind}List`,
        plural: k.plural,
        singular: k.kind.toLowerCase(),
      },
      versions: [
        {
          name: "v1",
          served: true,
          storage: true,
          schema: {
            openAPIV3Schema: {
              type: "object",
              properties: {
                apiVersion: { type: "string" },
                kind: { type: "string" },
                metadata: { type: "object" },
                spec,
                status,
              },
            },
          },
          ...(k.status ? { subresources: { status: {} } } : {}),
        },
      ],
    },
  };
}

export function calicoCrds(): Crd[] {
  return CALICO_KINDS.map(calicoCrd);
}
