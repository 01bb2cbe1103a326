/**
 * The BGP topology and address plan of one datacenter as Calico resources:
 * pure functions from the model to plain objects (seed part 3: hosts peer
 * over BGP with the core routers or through route reflectors, no
 * node-to-node mesh, plain L3 routing, no encapsulation).
 */
import type { DatacenterModel } from "../../stacks/model";
import { labelKeys } from "../../stacks/labels";
import { CALICO_API_VERSION } from "./crds";

export { carvePools, type CarvedPool, type CarveIssue } from "../../stacks/derive/pools";

/** A Calico custom resource as applied through `k8s.apiextensions.CustomResource`. */
export interface CalicoObject<S = Record<string, unknown>> {
  readonly apiVersion: typeof CALICO_API_VERSION;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly labels?: Record<string, string> };
  readonly spec: S;
}

const calico = <S>(kind: string, name: string, spec: S): CalicoObject<S> => ({
  apiVersion: CALICO_API_VERSION,
  kind,
  metadata: { name },
  spec,
});

/** Node label that marks a route reflector (set by a NodePatch on the RR nodes). */
export const ROUTE_REFLECTOR_LABEL = "network.private-cloud.io/route-reflector";
/** Kubernetes Node annotation calico-node reads as the node's RR cluster ID (libcalico-go's KDD node mapping). */
export const RR_CLUSTER_ID_ANNOTATION = "projectcalico.org/RouteReflectorClusterID";

/** A Kubernetes name fragment from an IPv4 address: 10.16.1.1 → 10-16-1-1. */
const ipName = (ip: string) => ip.replace(/\./g, "-");
const quote = (v: string) => `'${v}'`;

// --- BGP ---------------------------------------------------------------------

export interface BgpConfigurationSpec {
  readonly asNumber: number;
  readonly nodeToNodeMeshEnabled: false;
  readonly logSeverityScreen: "Info";
  readonly listenPort: number;
  readonly bindMode: "NodeIP";
}

/**
 * The cluster-wide `default` BGPConfiguration. The mesh is off: the seed ran
 * both and found peering with the routers (or RRs) more stable than a full
 * mesh, whose session count grows with the square of the node count.
 * `bindMode: NodeIP` keeps BIRD off every other address of the host (the LVS
 * directors' speakers, when a director is also a node, and the pods).
 */
export function bgpConfiguration(model: DatacenterModel): CalicoObject<BgpConfigurationSpec> {
  return calico("BGPConfiguration", "default", {
    asNumber: model.config.bgp.asNumber,
    nodeToNodeMeshEnabled: false,
    logSeverityScreen: "Info",
    listenPort: 179,
    bindMode: "NodeIP",
  });
}

export interface BgpPeerSpec {
  readonly nodeSelector: string;
  readonly peerIP?: string;
  readonly peerSelector?: string;
  readonly asNumber?: number;
  readonly sourceAddress?: "UseNodeIP";
}

/**
 * Who peers with whom.
 *
 * `tor`: one BGPPeer per configured router, selecting the nodes of its rack
 * by the CMDB rack label, so each node peers only with its own rack's ToR.
 *
 * `routeReflector`: the RR nodes (labelled by `routeReflectorNodePatches`)
 * peer with each other and with the core routers; every other node peers
 * with every RR (selected by label, not by address, so replacing an RR is a
 * config change only).
 */
export function bgpPeers(model: DatacenterModel): CalicoObject<BgpPeerSpec>[] {
  const bgp = model.config.bgp;
  if (bgp.mode === "tor") {
    return bgp.peers.map((p) =>
      calico("BGPPeer", `tor-${p.rack}-${ipName(p.peerIp)}`, {
        nodeSelector: `${labelKeys.rack} == ${quote(p.rack)}`,
        peerIP: p.peerIp,
        asNumber: p.asNumber,
        sourceAddress: "UseNodeIP",
      }),
    );
  }
  const rr = `has(${ROUTE_REFLECTOR_LABEL})`;
  return [
    calico("BGPPeer", "rr-clients", { nodeSelector: `!${rr}`, peerSelector: rr }),
    calico("BGPPeer", "rr-mesh", { nodeSelector: rr, peerSelector: rr }),
    ...bgp.peers.map((p) =>
      calico("BGPPeer", `rr-core-${ipName(p.peerIp)}`, {
        nodeSelector: rr,
        peerIP: p.peerIp,
        asNumber: p.asNumber,
        sourceAddress: "UseNodeIP" as const,
      }),
    ),
  ];
}

/** Labels and annotation that make a node a route reflector (applied with a NodePatch). */
export function routeReflectorNodePatches(
  model: DatacenterModel,
): { node: string; labels: Record<string, string>; annotations: Record<string, string> }[] {
  if (model.config.bgp.mode !== "routeReflector") return [];
  return model.config.bgp.routeReflectors.map((rr) => ({
    node: rr.hostname,
    labels: { [ROUTE_REFLECTOR_LABEL]: "true" },
    annotations: { [RR_CLUSTER_ID_ANNOTATION]: rr.clusterId },
  }));
}

// --- IP pools --------------------------------------------------------------

export interface IpPoolSpec {
  readonly cidr: string;
  readonly blockSize: number;
  readonly ipipMode: "Never";
  readonly vxlanMode: "Never";
  readonly natOutgoing: boolean;
  readonly nodeSelector: string;
  readonly allowedUses: readonly ["Workload"];
}

/**
 * Calico IPPools: no encapsulation at all (the fabric routes pod prefixes
 * learned over BGP: pure L3, seed part 3), block size and NAT from config.
 */
export function ipPools(model: DatacenterModel): CalicoObject<IpPoolSpec>[] {
  return model.ipPools.map((p) =>
    calico("IPPool", p.name, {
      cidr: p.cidr,
      blockSize: p.blockSize,
      ipipMode: "Never",
      vxlanMode: "Never",
      natOutgoing: p.natOutgoing,
      nodeSelector: p.racks
        ? p.racks.length === 1
          ? `${labelKeys.rack} == ${quote(p.racks[0])}`
          : `${labelKeys.rack} in { ${p.racks.map(quote).join(", ")} }`
        : "all()",
      allowedUses: ["Workload"] as const,
    }),
  );
}
