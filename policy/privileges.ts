/**
 * privileged-only-where-needed. Only the systems that must touch the host run
 * with host privileges: Calico (BGP on the host's network, iptables, routes),
 * the LVS directors' sync, node tuning (sysctls, IRQ affinity) and
 * node-exporter (host /proc and /sys). Everything else runs without them, and
 * every namespace carries Pod Security admission labels so the API server
 * enforces the same thing at admission.
 *
 * As a stack policy it also checks each workload against its namespace's
 * enforce level: a pod the namespace's level would reject fails here, at
 * preview, instead of as a ReplicaSet that never creates a pod after `up`.
 */
import {
  stackResources,
  configOf,
  configSchema,
  type ConfigOf,
  type EnforcementLevel,
  type StackValidationPolicy,
} from "./common";
import {
  allContainers,
  kindOf,
  metadataOf,
  objectName,
  subject,
  workloadOf,
  type Container,
  type PodSpec,
  type Workload,
} from "./k8s";
import { PRIVILEGED_NAMESPACES } from "../stacks/namespaces";

export const privilegeSettings = {
  privilegedNamespaces: {
    // The platform's one registry of namespaces: a namespace a component
    // creates as privileged is privileged here, and no other.
    default: [...PRIVILEGED_NAMESPACES],
    description:
      "Namespaces whose pods may use the host (network, PID, IPC, paths, ports, privileged, capabilities).",
  },
  requireAuditAndWarn: {
    default: true,
    description: "Namespaces must also carry the audit and warn Pod Security labels (same level as enforce).",
  },
} as const;

type Config = ConfigOf<typeof privilegeSettings>;

export const PSA_LEVELS = ["privileged", "baseline", "restricted"] as const;
export type PsaLevel = (typeof PSA_LEVELS)[number];
const PSA = "pod-security.kubernetes.io";

/** Capabilities the Baseline Pod Security Standard allows a container to add. */
const BASELINE_CAPS = new Set([
  "AUDIT_WRITE",
  "CHOWN",
  "DAC_OVERRIDE",
  "FOWNER",
  "FSETID",
  "KILL",
  "MKNOD",
  "NET_BIND_SERVICE",
  "SETFCAP",
  "SETGID",
  "SETPCAP",
  "SETUID",
  "SYS_CHROOT",
]);

const capName = (c: string) => c.toUpperCase().replace(/^CAP_/, "");

/** What a pod does that the Baseline standard forbids: its use of the host. */
export function hostAccess(spec: PodSpec): string[] {
  const out: string[] = [];
  if (spec.hostNetwork) out.push("hostNetwork");
  if (spec.hostPID) out.push("hostPID");
  if (spec.hostIPC) out.push("hostIPC");
  for (const v of spec.volumes ?? [])
    if (v.hostPath) out.push(`hostPath volume ${v.name} (${v.hostPath.path ?? "?"})`);
  for (const c of allContainers(spec)) {
    if (c.securityContext?.privileged) out.push(`privileged container ${c.name}`);
    const extra = (c.securityContext?.capabilities?.add ?? [])
      .map(capName)
      .filter((x) => !BASELINE_CAPS.has(x));
    if (extra.length > 0) out.push(`container ${c.name} adds capabilities ${extra.join(", ")}`);
    for (const p of c.ports ?? []) if (p.hostPort) out.push(`container ${c.name} hostPort ${p.hostPort}`);
  }
  return out;
}

/** What a pod lacks that the Restricted standard requires (on top of Baseline). */
export function restrictedGaps(spec: PodSpec): string[] {
  const out: string[] = [];
  const pod = spec.securityContext ?? {};
  const each = (c: Container) => {
    const sc = c.securityContext ?? {};
    if (sc.allowPrivilegeEscalation !== false)
      out.push(`container ${c.name} does not set allowPrivilegeEscalation: false`);
    if (!(sc.runAsNonRoot ?? pod.runAsNonRoot))
      out.push(`container ${c.name} does not set runAsNonRoot: true`);
    if ((sc.runAsUser ?? pod.runAsUser) === 0) out.push(`container ${c.name} runs as UID 0`);
    const sec = sc.seccompProfile?.type ?? pod.seccompProfile?.type;
    if (sec !== "RuntimeDefault" && sec !== "Localhost")
      out.push(`container ${c.name} has no RuntimeDefault/Localhost seccomp profile`);
    if (!(sc.capabilities?.drop ?? []).map(capName).includes("ALL"))
      out.push(`container ${c.name} does not drop ALL capabilities`);
    const add = (sc.capabilities?.add ?? []).map(capName).filter((x) => x !== "NET_BIND_SERVICE");
    if (add.length > 0)
      out.push(`container ${c.name} adds ${add.join(", ")} (only NET_BIND_SERVICE is allowed)`);
  };
  allContainers(spec).forEach(each);
  return out;
}

/** What the namespace's enforce level would reject in this pod. */
export function admissionProblems(spec: PodSpec, level: PsaLevel): string[] {
  if (level === "privileged") return [];
  const base = hostAccess(spec);
  return level === "baseline" ? base : [...base, ...restrictedGaps(spec)];
}

interface NamespaceInfo {
  readonly name: string;
  readonly urn: string;
  readonly labels: Readonly<Record<string, string>>;
}

/** Problems of a Namespace's Pod Security labels. */
export function namespaceProblems(ns: NamespaceInfo, cfg: Config): string[] {
  const out: string[] = [];
  const who = `Namespace ${ns.name}`;
  const modes = cfg.requireAuditAndWarn ? (["enforce", "audit", "warn"] as const) : (["enforce"] as const);
  for (const mode of modes) {
    const v = ns.labels[`${PSA}/${mode}`];
    if (v === undefined)
      out.push(
        `${who}: has no ${PSA}/${mode} label — label it with a Pod Security level (${PSA_LEVELS.join(", ")})`,
      );
    else if (!(PSA_LEVELS as readonly string[]).includes(v))
      out.push(
        `${who}: ${PSA}/${mode} ${JSON.stringify(v)} is not a Pod Security level — use one of ${PSA_LEVELS.join(", ")}`,
      );
    else if (v === "privileged" && !cfg.privilegedNamespaces.includes(ns.name))
      out.push(
        `${who}: ${PSA}/${mode} is privileged, but only ${cfg.privilegedNamespaces.join(", ")} may be — use baseline or restricted`,
      );
  }
  return out;
}

/** Host access by a workload outside the namespaces that need it. */
export function hostAccessProblems(w: Workload, cfg: Config): string[] {
  if (cfg.privilegedNamespaces.includes(w.namespace)) return [];
  return hostAccess(w.spec).map(
    (what) =>
      `${subject(w)}: uses ${what} in namespace ${w.namespace} — host access is only for ${cfg.privilegedNamespaces.join(", ")}`,
  );
}

export function privilegedOnlyWhereNeeded(
  enforcementLevel: EnforcementLevel = "mandatory",
): StackValidationPolicy {
  return {
    name: "privileged-only-where-needed",
    description:
      "Host network/PID/IPC, privileged containers, extra capabilities, host paths and host ports only in the namespaces that need them (Calico, LVS, node tuning, node-exporter); every namespace has Pod Security labels, and every pod passes its namespace's level.",
    enforcementLevel,
    configSchema: configSchema(privilegeSettings),
    validateStack: (args, reportViolation) => {
      const cfg = configOf(args, privilegeSettings);
      const resources = stackResources(args);
      const namespaces = new Map<string, NamespaceInfo>();
      for (const r of resources) {
        if (kindOf(r.type) !== "Namespace") continue;
        const ns = { name: objectName(r), urn: r.urn, labels: metadataOf(r).labels ?? {} };
        namespaces.set(ns.name, ns);
        for (const m of namespaceProblems(ns, cfg)) reportViolation(m, r.urn);
      }
      for (const r of resources) {
        const w = workloadOf(r);
        if (!w) continue;
        for (const m of hostAccessProblems(w, cfg)) reportViolation(m, r.urn);
        const ns = namespaces.get(w.namespace);
        const level = ns?.labels[`${PSA}/enforce`];
        if (!ns || !(PSA_LEVELS as readonly string[]).includes(level ?? "")) continue;
        // Host access outside the allowed namespaces is reported above already.
        const allowed = cfg.privilegedNamespaces.includes(w.namespace);
        const rejected = allowed
          ? admissionProblems(w.spec, level as PsaLevel)
          : level === "restricted"
            ? restrictedGaps(w.spec)
            : [];
        for (const what of rejected)
          reportViolation(
            `${subject(w)}: ${what}, which namespace ${w.namespace}'s Pod Security level ${level} rejects — the pods would never be created; fix the pod or the namespace's level`,
            r.urn,
          );
      }
    },
  };
}
