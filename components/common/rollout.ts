/**
 * How long a DaemonSet takes to roll one change over the nodes it selects,
 * and whether `pulumi up` should wait for it. pulumi-kubernetes awaits a
 * DaemonSet's rollout (since provider 4.18) for at most 10 minutes by
 * default, then fails the update. The fleet-wide DaemonSets roll one node at
 * a time (`maxUnavailable: 1`: a bad tuning profile or Calico release shows
 * on one node before it spreads), so on a large site their rollout takes
 * hours: calico-node over 996 nodes at ~30 s a node is ~8 h, and already
 * over dc-a's 123 nodes ~1 h. An `up` that waited would fail every such
 * change after 10 minutes with the rollout still running fine. Those
 * DaemonSets are applied without the await (`pulumi.com/skipAwait`); their
 * progress is what KubeDaemonSetNotScheduled and `kubectl rollout status`
 * watch. DaemonSets small enough to roll within the await keep it, so a
 * broken profile on a handful of machines still fails the `up`.
 */
import type * as k8s from "@pulumi/kubernetes";
import { nodeLabels } from "../../stacks/model";
import type { Host } from "../../stacks/schema";

/** pulumi-kubernetes' default await timeout for a DaemonSet rollout, seconds. */
export const PROVIDER_AWAIT_SECONDS = 600;

/**
 * Seconds one node's pod takes to be replaced and Ready again: a tuning
 * agent applies its profile and idles; node-exporter starts at once;
 * calico-node re-establishes BGP with its ToR and programs routes (estimates
 * for real hosts; on kwok pods start at once).
 */
export const POD_REPLACE_SECONDS = { tuning: 10, nodeExporter: 10, calicoNode: 30 } as const;

type DaemonSet = k8s.types.input.apps.v1.DaemonSet;
type Requirement = k8s.types.input.core.v1.NodeSelectorRequirement;

/** Whether a DaemonSet's nodeSelector and required node affinity select a host. */
export function selects(ds: DaemonSet, host: Host): boolean {
  const labels: Record<string, string> = { ...nodeLabels(host), "kubernetes.io/hostname": host.hostname };
  const spec = ds.spec as k8s.types.input.apps.v1.DaemonSetSpec;
  const template = spec.template as k8s.types.input.core.v1.PodTemplateSpec;
  const pod = template.spec as k8s.types.input.core.v1.PodSpec;
  const sel = (pod.nodeSelector ?? {}) as Record<string, string>;
  if (!Object.entries(sel).every(([k, v]) => labels[k] === v)) return false;
  const affinity = pod.affinity as k8s.types.input.core.v1.Affinity | undefined;
  const nodeAffinity = affinity?.nodeAffinity as k8s.types.input.core.v1.NodeAffinity | undefined;
  const required = nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution as
    k8s.types.input.core.v1.NodeSelector | undefined;
  if (!required) return true;
  const match = (r: Requirement) => {
    const v = labels[r.key as string];
    const values = (r.values ?? []) as string[];
    switch (r.operator) {
      case "In":
        return v !== undefined && values.includes(v);
      case "NotIn":
        return v === undefined || !values.includes(v);
      case "Exists":
        return v !== undefined;
      case "DoesNotExist":
        return v === undefined;
      default:
        throw new Error(
          `node affinity operator ${String(r.operator)} is not handled (expected In, NotIn, Exists, DoesNotExist)`,
        );
    }
  };
  const terms = required.nodeSelectorTerms as k8s.types.input.core.v1.NodeSelectorTerm[];
  return terms.some((t) => ((t.matchExpressions ?? []) as Requirement[]).every(match));
}

/** Pods replaced at once: maxUnavailable as a count, or a percentage of `nodes` rounded down with a floor of 1 (as the DaemonSet controller does). */
export function podsAtOnce(maxUnavailable: number | string | undefined, nodes: number): number {
  if (maxUnavailable === undefined) return 1;
  if (typeof maxUnavailable === "number") return Math.max(1, maxUnavailable);
  const pct = /^(\d+)%$/.exec(maxUnavailable);
  if (!pct) throw new Error(`maxUnavailable ${JSON.stringify(maxUnavailable)} (expected a count or "N%")`);
  return Math.max(1, Math.floor((nodes * Number(pct[1])) / 100));
}

export interface RolloutEstimate {
  readonly nodes: number;
  /** Pods replaced at once. */
  readonly atOnce: number;
  readonly steps: number;
  /** Estimated time to roll one change over every node, seconds. */
  readonly seconds: number;
  /** Whether an `up` that changes it can wait for it within the provider's await. */
  readonly withinAwait: boolean;
}

export function rolloutEstimate(
  ds: DaemonSet,
  hosts: readonly Host[],
  perPodSeconds: number,
): RolloutEstimate {
  const nodes = hosts.filter((h) => selects(ds, h)).length;
  const strategy = (ds.spec as k8s.types.input.apps.v1.DaemonSetSpec).updateStrategy as
    k8s.types.input.apps.v1.DaemonSetUpdateStrategy | undefined;
  const rolling = strategy?.rollingUpdate as k8s.types.input.apps.v1.RollingUpdateDaemonSet | undefined;
  const atOnce = podsAtOnce(rolling?.maxUnavailable as number | string | undefined, nodes);
  const steps = Math.ceil(nodes / atOnce);
  const seconds = steps * perPodSeconds;
  return { nodes, atOnce, steps, seconds, withinAwait: seconds <= PROVIDER_AWAIT_SECONDS };
}

/** The DaemonSet, with `pulumi.com/skipAwait` when its rollout over `hosts` cannot finish within the provider's await. */
export function withRolloutAwait(ds: DaemonSet, hosts: readonly Host[], perPodSeconds: number): DaemonSet {
  if (rolloutEstimate(ds, hosts, perPodSeconds).withinAwait) return ds;
  const metadata = (ds.metadata ?? {}) as k8s.types.input.meta.v1.ObjectMeta;
  return {
    ...ds,
    metadata: {
      ...metadata,
      annotations: {
        ...((metadata.annotations ?? {}) as Record<string, string>),
        "pulumi.com/skipAwait": "true",
      },
    },
  };
}
