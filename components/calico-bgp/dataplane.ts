/**
 * Felix and kube-controllers configuration, and the conntrack bypass for the
 * traffic the LVS tier sends to business pods (seed part 3: "most traffic
 * comes from the external LVS, which is trusted; by default it creates a
 * huge number of conntrack entries, so bypass conntrack for it").
 */
import type { DatacenterModel } from "../../stacks/model";
import { labelKeys } from "../../stacks/labels";
import { CALICO_API_VERSION } from "./crds";
import type { CalicoObject } from "./topology";

/** Ports the Calico processes listen on (host network). */
export const calicoPorts = {
  felixHealth: 9099,
  felixMetrics: 9091,
  kubeControllersMetrics: 9094,
  birdExporter: 9324,
} as const;

const calico = <S>(kind: string, name: string, spec: S): CalicoObject<S> => ({
  apiVersion: CALICO_API_VERSION,
  kind,
  metadata: { name },
  spec,
});

interface ProtoPort {
  readonly protocol: "TCP" | "UDP";
  readonly port: number;
}

/**
 * Ports Felix keeps open whatever a policy says (its failsafe lists), so a
 * bad policy cannot cut the host off from what repairs it: SSH on the port
 * this datacenter really uses (dc-c runs sshd on 2222, outside Felix's
 * default list), BGP, DHCP, etcd, the API server and kubelet.
 */
export function failsafePorts(model: DatacenterModel): { inbound: ProtoPort[]; outbound: ProtoPort[] } {
  const c = model.config;
  const tcp = (port: number): ProtoPort => ({ protocol: "TCP", port });
  const udp = (port: number): ProtoPort => ({ protocol: "UDP", port });
  const uniq = (ps: ProtoPort[]) =>
    ps.filter((p, i) => ps.findIndex((q) => q.protocol === p.protocol && q.port === p.port) === i);
  return {
    inbound: uniq([
      tcp(c.hostAccess.sshPort),
      tcp(179),
      udp(68),
      tcp(2379),
      tcp(2380),
      tcp(c.apiServer.port),
      tcp(10250),
    ]),
    outbound: uniq([udp(53), udp(67), tcp(179), tcp(2379), tcp(2380), tcp(c.apiServer.port)]),
  };
}

/** Whether the conntrack bypass applies: only where an LVS tier sends traffic. */
export const bypassesConntrack = (model: DatacenterModel): boolean => model.config.lvs !== undefined;

export function felixConfiguration(model: DatacenterModel): CalicoObject {
  const { inbound, outbound } = failsafePorts(model);
  return calico("FelixConfiguration", "default", {
    logSeverityScreen: "Info",
    reportingInterval: "0s",
    healthEnabled: true,
    healthPort: calicoPorts.felixHealth,
    prometheusMetricsEnabled: true,
    prometheusMetricsPort: calicoPorts.felixMetrics,
    // Pure L3: no tunnel devices at all.
    ipipEnabled: false,
    vxlanEnabled: false,
    bpfEnabled: false,
    iptablesBackend: "Auto",
    // The doNotTrack bypass only covers the LVS → pod direction (raw
    // PREROUTING). The pod's reply is forwarded from its cali* interface,
    // where no untracked policy applies, so conntrack sees a reply with no
    // connection and marks it INVALID; Felix's per-workload "ctstate INVALID
    // → DROP" rule would then drop every reply. Calico's answer is to turn
    // that check off (projectcalico/calico#2609, felix#2021). It is a
    // deliberate trade: the check only guards against out-of-window TCP
    // packets, anti-spoofing is separate (RPF and the workload IP sets).
    disableConntrackInvalidCheck: bypassesConntrack(model),
    defaultEndpointToHostAction: "Accept",
    failsafeInboundHostPorts: inbound,
    failsafeOutboundHostPorts: outbound,
  });
}

/**
 * kube-controllers' `default` configuration. Auto host endpoints: one
 * all-interfaces (`*`) HostEndpoint per node carrying the node's labels and
 * the built-in allow-all profile, so the untracked policy below has an
 * endpoint to attach to without turning any host's default to deny (a named
 * interface endpoint with no profile would cut every port but the failsafes).
 */
export function kubeControllersConfiguration(): CalicoObject {
  return calico("KubeControllersConfiguration", "default", {
    logSeverityScreen: "Info",
    healthChecks: "Enabled",
    prometheusMetricsPort: calicoPorts.kubeControllersMetrics,
    controllers: {
      node: {
        reconcilerPeriod: "5m",
        leakGracePeriod: "15m",
        hostEndpoint: { autoCreate: "Enabled" },
      },
    },
  });
}

export const LVS_UNTRACKED_POLICY = "lvs-untracked";

/**
 * The conntrack bypass: a stateless (`doNotTrack`) policy on every node's
 * host endpoint, applied to forwarded traffic (`applyOnForward`), allowing
 * LIP → pod addresses and its mirror pod → LIP. Untracked policy has no
 * connection state, so both directions are written out (Calico's docs: rules
 * must be symmetric). Traffic it does not match continues to the normal,
 * tracked path, so nothing else changes. Both TCP and UDP (the LVS tier
 * carries both). Returns undefined where there is no LVS tier.
 *
 * Accepted untracked packets skip the pods' own (tracked) policies: the LVS
 * tier is trusted, as the seed says, and LIPs are addresses only directors hold.
 */
export function lvsUntrackedPolicy(model: DatacenterModel): CalicoObject | undefined {
  const lvs = model.config.lvs;
  if (!lvs) return undefined;
  const lips = [...lvs.localAddressRanges];
  const pods = model.ipPools.map((p) => p.cidr);
  return calico("GlobalNetworkPolicy", LVS_UNTRACKED_POLICY, {
    order: 10,
    // Directors run no calico-node; every other node may hold a real server.
    selector: `has(${labelKeys.function}) && ${labelKeys.function} != 'lvs'`,
    doNotTrack: true,
    applyOnForward: true,
    types: ["Ingress", "Egress"],
    ingress: [{ action: "Allow", source: { nets: lips }, destination: { nets: pods } }],
    egress: [{ action: "Allow", source: { nets: pods }, destination: { nets: lips } }],
  });
}
