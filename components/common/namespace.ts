import type * as k8s from "@pulumi/kubernetes";
import { managedBy, podSecurityLabels } from "../../stacks/labels";

/**
 * A namespace with Pod Security admission labels. Only the systems that must
 * touch the host (Calico, LVS, node tuning, node-exporter) ask for `privileged`.
 */
export function namespaceSpec(
  name: string,
  level: "privileged" | "baseline" | "restricted",
  system: string,
): k8s.types.input.core.v1.Namespace {
  return {
    metadata: {
      name,
      labels: { ...managedBy, "private-cloud.io/system": system, ...podSecurityLabels(level) },
    },
  };
}
