/**
 * The scale limits of the design that are not about speed, computed from a
 * datacenter model and the objects the program builds for it (the same
 * builders the components use, so a changed rollout strategy or selector
 * shows here): BGP sessions per ToR, IPAM blocks per pool, how long the
 * fleet-wide DaemonSets take to roll one change, and the `infra`
 * Prometheus's targets and memory. `npm run bench:scale` prints them; the
 * README's "Scale limits" section quotes them for sim-1k.
 */
import type * as k8s from "@pulumi/kubernetes";
import { ipamHeadroom } from "../../components/calico-bgp/topology";
import { calicoNodeDaemonSet } from "../../components/calico-bgp/workloads";
import { tuningObjects } from "../../components/minion-pool/daemonset";
import { machineClasses, tuningProfile } from "../../components/minion-pool/tuning";
import { prometheusInstances } from "../../components/monitoring-stack/instances";
import { nodeExporterDaemonSet } from "../../components/monitoring-stack/workloads";
import {
  POD_REPLACE_SECONDS,
  PROVIDER_AWAIT_SECONDS,
  rolloutEstimate,
  selects,
  type RolloutEstimate,
} from "../../components/common/rollout";
import type { DatacenterModel } from "../../stacks/model";
import type { Host } from "../../stacks/schema";

/**
 * Active series per node the `infra` Prometheus holds: node-exporter ~1,000,
 * kubelet and cAdvisor ~1,200 for ~30 containers, Felix ~300.
 */
export const SERIES_PER_NODE = 2500;
/** Head memory per active series, KiB (Prometheus' rule of thumb is 3-4 KiB; the upper end). */
export const KIB_PER_SERIES = 4;
/** Share of the memory limit the head may take before the instance needs sharding (queries and compaction need the rest). */
export const PROMETHEUS_HEAD_SHARE = 0.8;

export interface RolloutLimit extends RolloutEstimate {
  readonly daemonSet: string;
}

export interface ScaleLimits {
  readonly nodes: number;
  readonly bgp: {
    readonly mode: string;
    readonly peers: number;
    /** Most BGP sessions one peer (ToR or reflector) carries. */
    readonly maxSessionsPerPeer: number;
    readonly fullMeshSessions: number;
  };
  readonly ipam: readonly {
    pool: string;
    blocks: number;
    nodes: number;
    fullNeed: number;
    ok: boolean;
  }[];
  readonly rollouts: readonly RolloutLimit[];
  readonly prometheusInfra: {
    readonly targets: number;
    readonly series: number;
    readonly headGiB: number;
    readonly memoryLimitGiB: number;
    /** Nodes at which the head reaches PROMETHEUS_HEAD_SHARE of the limit. */
    readonly maxNodes: number;
  };
}

function rollout(
  name: string,
  ds: k8s.types.input.apps.v1.DaemonSet,
  hosts: readonly Host[],
  perPodSeconds: number,
): RolloutLimit {
  return { daemonSet: name, ...rolloutEstimate(ds, hosts, perPodSeconds) };
}

export function scaleLimits(model: DatacenterModel): ScaleLimits {
  const hosts = model.inventory.hosts;
  const calicoDs = calicoNodeDaemonSet(model) as k8s.types.input.apps.v1.DaemonSet;
  const calicoHosts = hosts.filter((h) => selects(calicoDs, h));
  const perRack = new Map<string, number>();
  for (const h of calicoHosts) perRack.set(h.rack, (perRack.get(h.rack) ?? 0) + 1);
  const bgp = model.config.bgp;
  const reflectors = bgp.routeReflectors?.length ?? 0;
  const maxSessionsPerPeer =
    bgp.mode === "tor" ? Math.max(0, ...perRack.values()) : reflectors ? calicoHosts.length : 0;

  const rollouts: RolloutLimit[] = [
    rollout("calico-node", calicoDs, hosts, POD_REPLACE_SECONDS.calicoNode),
    rollout(
      "node-exporter",
      nodeExporterDaemonSet("monitoring", "x"),
      hosts,
      POD_REPLACE_SECONDS.nodeExporter,
    ),
    ...machineClasses(model.minions).map((c) => {
      const p = tuningProfile(c, model.config.minions.tuning[c.machineType]);
      return rollout(
        `tune-${p.machineType}`,
        tuningObjects(p, "x", "x").daemonSet,
        hosts,
        POD_REPLACE_SECONDS.tuning,
      );
    }),
  ];

  const infra = prometheusInstances(model).find((i) => i.name === "infra");
  if (!infra) throw new Error("no infra Prometheus instance");
  // node-exporter, kubelet, cAdvisor on every node; Felix where calico-node runs.
  const targets = hosts.length * 3 + calicoHosts.length;
  const series = hosts.length * SERIES_PER_NODE;
  const gib = (kib: number) => Math.round((kib / 1024 / 1024) * 10) / 10;
  const limitKiB = infra.memoryLimitMiB * 1024;
  return {
    nodes: hosts.length,
    bgp: {
      mode: bgp.mode,
      peers: bgp.peers.length,
      maxSessionsPerPeer,
      fullMeshSessions: (calicoHosts.length * (calicoHosts.length - 1)) / 2,
    },
    ipam: ipamHeadroom(model).map((p) => ({
      pool: p.pool,
      blocks: p.blocks,
      nodes: p.nodes,
      fullNeed: p.fullNeed,
      ok: p.blocks >= p.fullNeed,
    })),
    rollouts,
    prometheusInfra: {
      targets,
      series,
      headGiB: gib(series * KIB_PER_SERIES),
      memoryLimitGiB: gib(limitKiB),
      maxNodes: Math.floor((limitKiB * PROMETHEUS_HEAD_SHARE) / (SERIES_PER_NODE * KIB_PER_SERIES)),
    },
  };
}

/** One line per limit, for the bench's output and the README. */
export function describeLimits(l: ScaleLimits): string[] {
  const hours = (s: number) =>
    s >= 3600 ? `${(s / 3600).toFixed(1)} h` : s >= 60 ? `${Math.round(s / 60)} min` : `${s} s`;
  const poolsShort = l.ipam.filter((p) => !p.ok);
  return [
    `BGP (${l.bgp.mode}): ${l.bgp.peers} peers, at most ${l.bgp.maxSessionsPerPeer} sessions on one peer (a full mesh would be ${l.bgp.fullMeshSessions.toLocaleString("en")})`,
    `IPAM: ${l.ipam.length} pools of ${[...new Set(l.ipam.map((p) => p.blocks))].join("/")} blocks for at most ${Math.max(...l.ipam.map((p) => p.nodes))} nodes each; ${poolsShort.length ? `short when full: ${poolsShort.map((p) => `${p.pool} ${p.blocks} < ${p.fullNeed}`).join(", ")}` : "every pool holds its nodes' blocks when full"}`,
    ...l.rollouts.map(
      (r) =>
        `rollout ${r.daemonSet}: ${r.nodes} nodes, ${r.atOnce} at a time, ${r.steps} steps, ~${hours(r.seconds)}${r.withinAwait ? "" : ` (beyond the provider's ${PROVIDER_AWAIT_SECONDS / 60}-min await)`}`,
    ),
    `Prometheus infra: ${l.prometheusInfra.targets.toLocaleString("en")} targets, ~${(l.prometheusInfra.series / 1e6).toFixed(1)} M series, ~${l.prometheusInfra.headGiB} GiB head of a ${l.prometheusInfra.memoryLimitGiB} GiB limit; shard beyond ~${l.prometheusInfra.maxNodes.toLocaleString("en")} nodes`,
  ];
}
