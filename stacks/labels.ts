/**
 * Label keys, in one place. The CMDB fields of a host become node labels under
 * one platform domain; the room is also published as the well-known zone label
 * so that stock Kubernetes features (topology spread, zone-aware routing) see it.
 * Every affinity rule and selector in the program uses these constants.
 */
export const LABEL_DOMAIN = "cmdb.private-cloud.io";

export const labelKeys = {
  /** What the host is for: web, ingress, monitoring, logging, lvs, master. */
  function: `${LABEL_DOMAIN}/function`,
  /** Physical room (also mirrored to topology.kubernetes.io/zone). */
  room: `${LABEL_DOMAIN}/room`,
  /** Rack: the failure domain for anti-affinity and the BGP peering unit. */
  rack: `${LABEL_DOMAIN}/rack`,
  /** Machine type from the CMDB: selects the tuning profile. */
  machineType: `${LABEL_DOMAIN}/machine-type`,
  zone: "topology.kubernetes.io/zone",
  hostname: "kubernetes.io/hostname",
} as const;

/** Labels put on every object the platform creates. */
export const managedBy = { "app.kubernetes.io/managed-by": "private-cloud" } as const;

/** Pod Security admission labels for a namespace (https://kubernetes.io/docs/concepts/security/pod-security-admission/). */
export function podSecurityLabels(level: "privileged" | "baseline" | "restricted"): Record<string, string> {
  return {
    "pod-security.kubernetes.io/enforce": level,
    "pod-security.kubernetes.io/audit": level,
    "pod-security.kubernetes.io/warn": level,
  };
}
