/**
 * control-plane-flags. The control plane runs as static Pods (seed part 1)
 * that MasterHA renders and installs over SSH with remote commands, so they
 * are not Kubernetes resources: they travel as files in the install script
 * (quoted heredocs). This policy reads them there, and from any Pod resource
 * labelled `tier: control-plane`, and checks the CIS Kubernetes Benchmark
 * control-plane settings that can be read from a manifest (sections 1.2-1.4
 * and 2), leader election for the controllers that run on every master, and
 * the probe floors: kubelet restarts these components on liveness failure, and
 * a restarted API server moves its load onto the other masters.
 */
import { parseAllDocuments } from "yaml";
import {
  asK8s,
  configOf,
  configSchema,
  type ConfigOf,
  type EnforcementLevel,
  type ResourceValidationPolicy,
} from "./common";
import { kindOf, type Container, type K8sResource, type PodSpec, type Workload } from "./k8s";
import { flagValue } from "./parsers";
import { probeProblems, probeSettings } from "./probes";

export const controlPlaneSettings = {
  minAuditLogMaxAgeDays: { default: 30, description: "Shortest audit log retention, days (CIS 1.2.18)." },
  minAuditLogMaxBackup: { default: 10, description: "Fewest rotated audit log files kept (CIS 1.2.19)." },
  minAuditLogMaxSizeMB: {
    default: 100,
    description: "Smallest audit log file size before rotation, MB (CIS 1.2.20).",
  },
  ...probeSettings,
} as const;

type Config = ConfigOf<typeof controlPlaneSettings>;

/** A static Pod found in a resource, with where it was found. */
export interface StaticPod {
  readonly name: string;
  readonly namespace: string;
  readonly spec: PodSpec;
  readonly labels: Readonly<Record<string, string>>;
  /** Where it came from, e.g. `command master-a-install file /etc/kubernetes/manifests/etcd.yaml`. */
  readonly source: string;
}

/** Quoted heredocs (`cat > "<path>" <<'EOF'` … `EOF`) in a shell script: target path → content. */
export function heredocs(script: string): { target: string; content: string }[] {
  const out: { target: string; content: string }[] = [];
  const re =
    /(?:>\s*"?([^"\s]*)"?\s*)?<<-?\s*(['"]?)([A-Za-z_][A-Za-z0-9_]*)\2[^\n]*\n([\s\S]*?)\n\3(?=\n|$)/g;
  for (const m of script.matchAll(re)) out.push({ target: m[1] ?? "", content: m[4] });
  return out;
}

/** The Pods (kind: Pod) among the YAML documents of a text; anything else is ignored. */
function podsIn(text: string, source: string): StaticPod[] {
  const out: StaticPod[] = [];
  if (!/^kind:\s*Pod\s*$/m.test(text)) return out;
  for (const doc of parseAllDocuments(text)) {
    if (!("errors" in doc) || doc.errors.length > 0) continue;
    const v = doc.toJS() as {
      kind?: string;
      metadata?: { name?: string; namespace?: string; labels?: Record<string, string> };
      spec?: PodSpec;
    } | null;
    if (v?.kind !== "Pod") continue;
    out.push({
      name: v.metadata?.name ?? "?",
      namespace: v.metadata?.namespace ?? "kube-system",
      spec: v.spec ?? {},
      labels: v.metadata?.labels ?? {},
      source,
    });
  }
  return out;
}

/** Every static Pod a resource carries: in a remote/local command's scripts, or a control-plane Pod resource. */
export function staticPodsOf(r: K8sResource): StaticPod[] {
  if (/^command:(remote|local):Command$/.test(r.type)) {
    const out: StaticPod[] = [];
    for (const field of ["create", "update"] as const) {
      const script = r.props[field];
      if (typeof script !== "string") continue;
      for (const h of heredocs(script))
        out.push(
          ...podsIn(
            h.content,
            `command ${r.name}${h.target ? ` file ${h.target.replace(/^\$stage\/files/, "")}` : ""}`,
          ),
        );
    }
    return out;
  }
  if (kindOf(r.type) === "Pod") {
    const meta = (r.props.metadata ?? {}) as {
      name?: string;
      namespace?: string;
      labels?: Record<string, string>;
    };
    if (meta.labels?.tier !== "control-plane") return [];
    return [
      {
        name: meta.name ?? r.name,
        namespace: meta.namespace ?? "kube-system",
        spec: (r.props.spec ?? {}) as PodSpec,
        labels: meta.labels,
        source: `Pod resource ${r.name}`,
      },
    ];
  }
  return [];
}

type Check = (argv: readonly string[]) => string | undefined;

const equals =
  (flag: string, want: string, cis: string): Check =>
  (argv) => {
    const v = flagValue(argv, flag);
    return v === want ? undefined : `${flag} is ${v ?? "unset"} — set ${flag}=${want} (${cis})`;
  };
const notEquals =
  (flag: string, bad: string, fix: string, cis: string): Check =>
  (argv) =>
    flagValue(argv, flag) === bad ? `${flag} is ${bad} — ${fix} (${cis})` : undefined;
/**
 * CIS 1.3.7 / 1.4.2 ask for 127.0.0.1. We bind the controller-manager and
 * scheduler to the master's own address instead, so Prometheus can scrape
 * their (authenticated, authorized) secure port; what the benchmark guards
 * against, listening on every interface, is still refused.
 */
const notWildcard =
  (flag: string, cis: string): Check =>
  (argv) => {
    const v = flagValue(argv, flag);
    return v && !["0.0.0.0", "::", "[::]"].includes(v)
      ? undefined
      : `${flag} is ${v ?? "unset (all interfaces)"} — bind to 127.0.0.1 or the master's own address (${cis})`;
  };
const present =
  (flag: string, cis: string): Check =>
  (argv) =>
    flagValue(argv, flag) ? undefined : `${flag} is unset — set it (${cis})`;
const absent =
  (flag: string, cis: string): Check =>
  (argv) =>
    flagValue(argv, flag) === undefined ? undefined : `${flag} is set — remove it (${cis})`;
const listHas =
  (flag: string, want: readonly string[], bad: readonly string[], cis: string): Check =>
  (argv) => {
    const items = (flagValue(argv, flag) ?? "").split(",").filter(Boolean);
    const missing = want.filter((w) => !items.includes(w));
    const forbidden = bad.filter((b) => items.includes(b));
    if (missing.length === 0 && forbidden.length === 0) return undefined;
    return `${flag} is ${items.join(",") || "unset"} — ${[
      missing.length ? `include ${missing.join(", ")}` : "",
      forbidden.length ? `remove ${forbidden.join(", ")}` : "",
    ]
      .filter(Boolean)
      .join(" and ")} (${cis})`;
  };
const atLeast =
  (flag: string, min: number, cis: string): Check =>
  (argv) => {
    const v = Number(flagValue(argv, flag));
    return Number.isFinite(v) && v >= min
      ? undefined
      : `${flag} is ${flagValue(argv, flag) ?? "unset"} — set ${flag} >= ${min} (${cis})`;
  };

/** The checks per component, keyed by the binary the container runs. */
export function controlPlaneChecks(cfg: Config): Record<string, readonly Check[]> {
  return {
    "kube-apiserver": [
      // KEP-4633's --authentication-config may allow anonymous on health paths only; then --anonymous-auth is not set.
      (argv) =>
        flagValue(argv, "--anonymous-auth") === "false" ||
        (flagValue(argv, "--authentication-config") && flagValue(argv, "--anonymous-auth") === undefined)
          ? undefined
          : `--anonymous-auth is ${flagValue(argv, "--anonymous-auth") ?? "unset (true)"} — set --anonymous-auth=false or restrict anonymous to health paths with --authentication-config (CIS 1.2.1)`,
      absent("--token-auth-file", "CIS 1.2.2"),
      present("--kubelet-client-certificate", "CIS 1.2.4"),
      present("--kubelet-certificate-authority", "CIS 1.2.5"),
      listHas("--authorization-mode", ["Node", "RBAC"], ["AlwaysAllow"], "CIS 1.2.6-1.2.8"),
      listHas("--enable-admission-plugins", ["NodeRestriction"], ["AlwaysAdmit"], "CIS 1.2.9, 1.2.15"),
      equals("--profiling", "false", "CIS 1.2.16"),
      present("--audit-log-path", "CIS 1.2.17"),
      atLeast("--audit-log-maxage", cfg.minAuditLogMaxAgeDays, "CIS 1.2.18"),
      atLeast("--audit-log-maxbackup", cfg.minAuditLogMaxBackup, "CIS 1.2.19"),
      atLeast("--audit-log-maxsize", cfg.minAuditLogMaxSizeMB, "CIS 1.2.20"),
      notEquals("--service-account-lookup", "false", "set --service-account-lookup=true", "CIS 1.2.22"),
      present("--service-account-key-file", "CIS 1.2.23"),
      present("--etcd-certfile", "CIS 1.2.24"),
      present("--tls-cert-file", "CIS 1.2.25"),
      present("--client-ca-file", "CIS 1.2.26"),
      present("--etcd-cafile", "CIS 1.2.27"),
      present("--encryption-provider-config", "CIS 1.2.28"),
    ],
    "kube-controller-manager": [
      present("--terminated-pod-gc-threshold", "CIS 1.3.1"),
      equals("--profiling", "false", "CIS 1.3.2"),
      equals("--use-service-account-credentials", "true", "CIS 1.3.3"),
      present("--service-account-private-key-file", "CIS 1.3.4"),
      present("--root-ca-file", "CIS 1.3.5"),
      notWildcard("--bind-address", "CIS 1.3.7"),
      notEquals(
        "--leader-elect",
        "false",
        "every master runs one; without leader election they all act",
        "seed part 1",
      ),
    ],
    "kube-scheduler": [
      equals("--profiling", "false", "CIS 1.4.1"),
      notWildcard("--bind-address", "CIS 1.4.2"),
      notEquals(
        "--leader-elect",
        "false",
        "every master runs one; without leader election they all act",
        "seed part 1",
      ),
    ],
    etcd: [
      present("--cert-file", "CIS 2.1"),
      equals("--client-cert-auth", "true", "CIS 2.2"),
      notEquals("--auto-tls", "true", "set --auto-tls=false", "CIS 2.3"),
      present("--peer-cert-file", "CIS 2.4"),
      equals("--peer-client-cert-auth", "true", "CIS 2.5"),
      notEquals("--peer-auto-tls", "true", "set --peer-auto-tls=false", "CIS 2.6"),
    ],
  };
}

const componentOf = (c: Container): string | undefined => {
  const bin = (c.command?.[0] ?? c.args?.[0] ?? "").split("/").pop() ?? "";
  return ["kube-apiserver", "kube-controller-manager", "kube-scheduler", "etcd"].includes(bin)
    ? bin
    : undefined;
};

/** Every CIS flag and probe problem of one static Pod. */
export function staticPodProblems(pod: StaticPod, cfg: Config): string[] {
  const checks = controlPlaneChecks(cfg);
  const out: string[] = [];
  const w: Workload = {
    kind: "static Pod",
    namespace: pod.namespace,
    name: pod.name,
    urn: "",
    metadata: { name: pod.name, namespace: pod.namespace, labels: pod.labels },
    template: { metadata: { labels: pod.labels }, spec: pod.spec },
    spec: pod.spec,
    workloadSpec: {},
  };
  for (const c of pod.spec.containers ?? []) {
    const component = componentOf(c);
    const argv = [...(c.command ?? []), ...(c.args ?? [])];
    for (const check of component ? checks[component] : []) {
      const p = check(argv);
      if (p) out.push(`static Pod ${pod.namespace}/${pod.name} container ${c.name} (${pod.source}): ${p}`);
    }
    for (const p of probeProblems(w, c, cfg)) out.push(p.replace(/^([^:]+):/, `$1 (${pod.source}):`));
  }
  return out;
}

export function controlPlaneFlags(
  enforcementLevel: EnforcementLevel = "mandatory",
): ResourceValidationPolicy {
  return {
    name: "control-plane-flags",
    description:
      "Static control-plane Pods (found in MasterHA's install commands) carry the CIS Kubernetes Benchmark settings readable from a manifest, leader election on every master, and probes above the floors.",
    enforcementLevel,
    configSchema: configSchema(controlPlaneSettings),
    validateResource: (args, reportViolation) => {
      const pods = staticPodsOf(asK8s(args));
      if (pods.length === 0) return;
      const cfg = configOf(args, controlPlaneSettings);
      for (const pod of pods) for (const m of staticPodProblems(pod, cfg)) reportViolation(m);
    },
  };
}
