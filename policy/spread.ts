/**
 * spread. The seed labels every node with its rack from the CMDB because the
 * rack is the failure domain (one ToR switch, one power feed): a multi-replica
 * workload whose pods share a rack goes down with it. And node maintenance
 * (kernel upgrades: the seed rebuilt its own 3.16 kernel) drains nodes, which
 * only works if each workload's PodDisruptionBudget still lets one pod go.
 */
import { labelKeys } from "../stacks/labels";
import {
  stackResources,
  configOf,
  configSchema,
  type ConfigOf,
  type EnforcementLevel,
  type StackValidationPolicy,
} from "./common";
import {
  kindOf,
  metadataOf,
  namespaceOf,
  objectName,
  selects,
  subject,
  workloadOf,
  type LabelSelector,
  type Workload,
} from "./k8s";

export const spreadSettings = {
  rackTopologyKey: {
    default: labelKeys.rack,
    description: "Node label that names the rack (the failure domain).",
  },
} as const;

type Config = ConfigOf<typeof spreadSettings>;

export interface Pdb {
  readonly namespace: string;
  readonly name: string;
  readonly selector?: LabelSelector;
  readonly minAvailable?: number | string;
  readonly maxUnavailable?: number | string;
}

/** An IntOrString against a total, rounded up as the disruption controller does. */
function scaled(v: number | string, total: number): number {
  if (typeof v === "number") return v;
  const m = /^([0-9]+)%$/.exec(v.trim());
  return m ? Math.ceil((Number(m[1]) * total) / 100) : Number(v);
}

/** How many pods a PDB lets a drain evict out of `replicas` healthy ones. */
export function allowedDisruptions(pdb: Pdb, replicas: number): number {
  if (pdb.maxUnavailable !== undefined) return Math.max(0, scaled(pdb.maxUnavailable, replicas));
  if (pdb.minAvailable !== undefined) return Math.max(0, replicas - scaled(pdb.minAvailable, replicas));
  // Neither set: the API defaults minAvailable to 1.
  return Math.max(0, replicas - 1);
}

/** Whether the pod template is spread over racks (anti-affinity or topology spread on the rack key). */
export function spreadsOverRacks(w: Workload, rackKey: string): boolean {
  const anti = w.spec.affinity?.podAntiAffinity;
  const terms = [
    ...(anti?.requiredDuringSchedulingIgnoredDuringExecution ?? []),
    ...(anti?.preferredDuringSchedulingIgnoredDuringExecution ?? []).map((p) => p.podAffinityTerm ?? {}),
  ];
  const labels = w.template.metadata?.labels ?? {};
  if (terms.some((t) => t.topologyKey === rackKey && selects(t.labelSelector, labels))) return true;
  return (w.spec.topologySpreadConstraints ?? []).some(
    (t) => t.topologyKey === rackKey && selects(t.labelSelector, labels),
  );
}

export function spreadProblems(w: Workload, replicas: number, pdbs: readonly Pdb[], cfg: Config): string[] {
  if (replicas < 2) return [];
  const who = subject(w);
  const out: string[] = [];
  if (!spreadsOverRacks(w, cfg.rackTopologyKey))
    out.push(
      `${who}: ${replicas} replicas with no pod anti-affinity or topology spread on ${cfg.rackTopologyKey} — one rack failure can take every replica; spread them over racks`,
    );
  const labels = w.template.metadata?.labels ?? {};
  const mine = pdbs.filter((p) => p.namespace === w.namespace && selects(p.selector, labels));
  if (mine.length === 0)
    out.push(
      `${who}: ${replicas} replicas and no PodDisruptionBudget — a drain may evict them all at once; add one with maxUnavailable: 1`,
    );
  for (const p of mine)
    if (allowedDisruptions(p, replicas) < 1)
      out.push(
        `${who}: PodDisruptionBudget ${p.namespace}/${p.name} allows 0 of ${replicas} pods to be evicted, so every node drain blocks — set maxUnavailable >= 1 or minAvailable <= ${replicas - 1}`,
      );
  return out;
}

export function spread(enforcementLevel: EnforcementLevel = "advisory"): StackValidationPolicy {
  return {
    name: "spread",
    description:
      "Multi-replica workloads spread over racks (pod anti-affinity or topology spread on the rack label) and have a PodDisruptionBudget that still allows a drain.",
    enforcementLevel,
    configSchema: configSchema(spreadSettings),
    validateStack: (args, reportViolation) => {
      const cfg = configOf(args, spreadSettings);
      const resources = stackResources(args);
      const pdbs: Pdb[] = [];
      // The HPA's minReplicas is the replica count a Deployment without `replicas` runs with.
      const hpaMin = new Map<string, number>();
      for (const r of resources) {
        const kind = kindOf(r.type);
        const spec = (r.props.spec ?? {}) as Record<string, unknown>;
        const ns = namespaceOf(metadataOf(r));
        if (kind === "PodDisruptionBudget")
          pdbs.push({
            namespace: ns,
            name: objectName(r),
            selector: spec.selector as LabelSelector | undefined,
            minAvailable: spec.minAvailable as number | string | undefined,
            maxUnavailable: spec.maxUnavailable as number | string | undefined,
          });
        if (kind === "HorizontalPodAutoscaler") {
          const ref = (spec.scaleTargetRef ?? {}) as { kind?: string; name?: string };
          hpaMin.set(
            `${ref.kind}/${ns}/${ref.name}`,
            typeof spec.minReplicas === "number" ? spec.minReplicas : 1,
          );
        }
      }
      for (const r of resources) {
        const w = workloadOf(r);
        if (!w || w.replicas === undefined) continue;
        const fromHpa = hpaMin.get(`${w.kind}/${w.namespace}/${w.name}`);
        const replicas =
          fromHpa !== undefined && w.workloadSpec.replicas === undefined ? fromHpa : w.replicas;
        for (const m of spreadProblems(w, Math.max(replicas, fromHpa ?? 0), pdbs, cfg))
          reportViolation(m, r.urn);
      }
    },
  };
}
