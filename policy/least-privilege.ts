/**
 * least-privilege. Two things a pod gets by default and rarely needs:
 *
 * - A service-account token. A pod that runs as the namespace's `default`
 *   service account has no RBAC of its own, so it never needs to call the
 *   API; a mounted token only hands an attacker who gets into the pod a
 *   credential (and the API server's address). Such pods must set
 *   `automountServiceAccountToken: false`. Pods with a service account of
 *   their own (Prometheus, kube-state-metrics, the ingress controllers,
 *   Calico, the LVS sync) are the API users the platform gave RBAC to.
 * - An unbounded `emptyDir`. It lives on the kubelet's partition (the seed
 *   gave logs a partition of their own), so one stalled log shipper or a
 *   runaway temporary file fills it and the kubelet evicts every pod on the
 *   node. Every emptyDir must carry a `sizeLimit`: past it, the kubelet evicts
 *   only the pod that wrote too much.
 */
import {
  asK8s,
  configOf,
  configSchema,
  type EnforcementLevel,
  type ResourceValidationPolicy,
} from "./common";
import { subject, workloadOf, type Workload } from "./k8s";

export const leastPrivilegeSettings = {
  requireEmptyDirSizeLimit: {
    default: true,
    description: "Every emptyDir volume must set sizeLimit (it otherwise can fill the kubelet's partition).",
  },
} as const;

/** A pod without a service account of its own must not mount a token. */
export function tokenProblems(w: Workload): string[] {
  const sa = w.spec.serviceAccountName ?? "default";
  if (sa !== "default" || w.spec.automountServiceAccountToken === false) return [];
  return [
    `${subject(w)}: runs as the default service account with its token mounted — set automountServiceAccountToken: false (the pod has no RBAC, so the token is only a credential to steal), or give it a service account of its own with the RBAC it needs`,
  ];
}

/** Every emptyDir has a size limit. */
export function emptyDirProblems(w: Workload): string[] {
  return (w.spec.volumes ?? [])
    .filter((v) => v.emptyDir !== undefined && !v.emptyDir.sizeLimit)
    .map(
      (v) =>
        `${subject(w)}: emptyDir volume ${v.name} has no sizeLimit — set one (an unbounded emptyDir can fill the kubelet's partition and get every pod on the node evicted)`,
    );
}

export function leastPrivilege(enforcementLevel: EnforcementLevel = "mandatory"): ResourceValidationPolicy {
  return {
    name: "least-privilege",
    description:
      "Pods without a service account of their own do not mount a service-account token; every emptyDir has a sizeLimit.",
    enforcementLevel,
    configSchema: configSchema(leastPrivilegeSettings),
    validateResource: (args, reportViolation) => {
      const w = workloadOf(asK8s(args));
      // A preview may not know the pod spec yet (unknown inputs): judge nothing then.
      if (!w || w.spec.containers === undefined) return;
      const cfg = configOf(args, leastPrivilegeSettings);
      for (const m of tokenProblems(w)) reportViolation(m);
      if (cfg.requireEmptyDirSizeLimit) for (const m of emptyDirProblems(w)) reportViolation(m);
    },
  };
}
