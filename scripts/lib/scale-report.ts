/**
 * The pure parts of `npm run bench:scale` (scripts/bench-scale.ts): the
 * objects the baseline gives kubectl, what a CLI run's output says, when
 * every DaemonSet is rolled out, the ratios to kubectl, the goals, the
 * report table and the CPU-profile summary. Tested in
 * tests/unit/scale-report.test.ts without the toolchain.
 */
import { stringify } from "yaml";
import type { Role } from "./proc-peak";

/** Goals at 1,000 nodes (issue 16), checked by the bench, never by tests. */
export const GOALS = { previewSeconds: 30, noopUpSeconds: 20, maxRatioToKubectl: 3 } as const;

/** Row names of the measurements, one home for the table, the ratios and the goals. */
export const STEP = {
  simUp: "sim up",
  preview: "preview from empty",
  previewPolicy: "preview --policy-pack from empty",
  up: "up --policy-pack from empty",
  rollout: "every DaemonSet rolled out (from up start)",
  noopPreview: "no-op preview --policy-pack",
  noopUp: "no-op up",
  kubectlDryRun: "kubectl apply --server-side --dry-run=server",
  kubectlApply: "kubectl apply --server-side (objects exist)",
  refresh: "refresh",
  destroy: "destroy",
} as const;

export interface SizeResult {
  nodes: number;
  stack: string;
  /** Resources the preview counts (`N to create`). */
  resources?: number;
  kubernetesObjects: number;
  daemonSets: number;
  daemonSetPods: number;
  seconds: Record<string, number>;
  /** 1-minute load average when each step started. */
  load: Record<string, string>;
  peaksMiB: Record<string, Record<Role, number>>;
  ratios: Record<string, number>;
}

/** a / b to one decimal; undefined when either side is missing or b is 0. */
export function ratio(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined || b === undefined || !(b > 0)) return undefined;
  return Math.round((a / b) * 10) / 10;
}

/**
 * Pulumi against kubectl doing the same work: a preview against the server's
 * dry-run of every object, an `up` against an apply of every object. The
 * no-op pair is the like-for-like one (both send every object, the server
 * changes nothing); from-empty `up` also waits for workloads to be ready,
 * which `kubectl apply` does not.
 */
export function ratiosOf(s: Record<string, number>): Record<string, number> {
  const pairs: [string, string, string][] = [
    ["no-op preview --policy-pack / kubectl dry-run", STEP.noopPreview, STEP.kubectlDryRun],
    ["preview from empty / kubectl dry-run", STEP.preview, STEP.kubectlDryRun],
    ["no-op up / kubectl apply", STEP.noopUp, STEP.kubectlApply],
    ["up from empty / kubectl apply", STEP.up, STEP.kubectlApply],
  ];
  const out: Record<string, number> = {};
  for (const [name, a, b] of pairs) {
    const r = ratio(s[a], s[b]);
    if (r !== undefined) out[name] = r;
  }
  return out;
}

/** The goals a 1,000-node result misses, each as one sentence (empty when all are met). */
export function goalMisses(r: SizeResult): string[] {
  const fails: string[] = [];
  const s = r.seconds;
  const check = (what: string, v: number | undefined, bound: number, unit: string) => {
    if (v === undefined) fails.push(`${what}: not measured`);
    else if (v > bound) fails.push(`${what} ${v}${unit} > ${bound}${unit}`);
  };
  check("no-op preview", s[STEP.noopPreview], GOALS.previewSeconds, " s");
  check("no-op up", s[STEP.noopUp], GOALS.noopUpSeconds, " s");
  for (const k of ["no-op preview --policy-pack / kubectl dry-run", "no-op up / kubectl apply"])
    check(k, r.ratios[k], GOALS.maxRatioToKubectl, "×");
  return fails;
}

/** The README table: one column per size, seconds with the load average at the start of each step. */
export function reportTable(results: readonly SizeResult[]): string {
  const lines: string[] = [];
  const row = (cells: string[]) => lines.push(`| ${cells.join(" | ")} |`);
  row(["seconds (1-min load average at start)", ...results.map((r) => `${r.nodes} nodes (\`${r.stack}\`)`)]);
  row(["---", ...results.map(() => "---:")]);
  row([
    "resources / Kubernetes objects / DaemonSets (pods)",
    ...results.map(
      (r) => `${r.resources ?? "?"} / ${r.kubernetesObjects} / ${r.daemonSets} (${r.daemonSetPods})`,
    ),
  ]);
  const steps = [...new Set(results.flatMap((r) => Object.keys(r.seconds)))];
  for (const step of steps)
    row([
      step,
      ...results.map((r) =>
        step in r.seconds ? `${r.seconds[step]}${r.load[step] ? ` (${r.load[step]})` : ""}` : "—",
      ),
    ]);
  const ratios = [...new Set(results.flatMap((r) => Object.keys(r.ratios)))];
  for (const k of ratios)
    row([`ratio: ${k}`, ...results.map((r) => (k in r.ratios ? `${r.ratios[k]}×` : "—"))]);
  const roles: [Role, string][] = [
    ["cli", "CLI"],
    ["languageHost", "language host + program"],
    ["kubernetesProvider", "kubernetes provider"],
    ["policyPack", "policy pack"],
  ];
  for (const [role, label] of roles)
    row([
      `peak RSS MiB, ${label} (up from empty / no-op preview)`,
      ...results.map(
        (r) => `${r.peaksMiB[STEP.up]?.[role] ?? "?"} / ${r.peaksMiB[STEP.noopPreview]?.[role] ?? "?"}`,
      ),
    ]);
  return lines.join("\n") + "\n";
}

/** `N to create` of a preview or `N created` of an up. */
export function resourceCount(stdout: string): number | undefined {
  const m = /(\d+) (?:to create|created)/.exec(stdout);
  return m ? Number(m[1]) : undefined;
}

/**
 * The resources a CLI run names in its Diagnostics with an error, and the
 * first error line of each: what the first 1,000-node `up` did not keep.
 */
export function failedResources(stdout: string): { resource: string; error: string }[] {
  const out: { resource: string; error: string }[] = [];
  const diag = stdout.indexOf("Diagnostics:");
  if (diag < 0) return out;
  let current: string | undefined;
  for (const line of stdout.slice(diag).split("\n")) {
    const head = /^ {2}(\S+ \([^)]*\)):\s*$/.exec(line);
    if (head) {
      current = head[1];
      continue;
    }
    const err = /^\s+error: (.*)$/.exec(line);
    if (err && current && !out.some((o) => o.resource === current))
      out.push({ resource: current, error: err[1].trim() });
  }
  return out;
}

export interface DaemonSetStatus {
  metadata: { namespace: string; name: string };
  status?: {
    desiredNumberScheduled?: number;
    numberReady?: number;
    updatedNumberScheduled?: number;
  };
}

/**
 * Whether `expected` DaemonSets exist and each has a pod updated and ready on
 * every node it selects, and how many pods that is.
 */
export function daemonSetRollout(
  items: readonly DaemonSetStatus[],
  expected: number,
): { done: boolean; pods: number; daemonSets: number; behind: string[] } {
  const behind = items
    .filter((d) => {
      const s = d.status ?? {};
      const want = s.desiredNumberScheduled ?? 0;
      return !(want > 0 && s.numberReady === want && s.updatedNumberScheduled === want);
    })
    .map(
      (d) =>
        `${d.metadata.namespace}/${d.metadata.name} ${d.status?.numberReady ?? 0}/${d.status?.desiredNumberScheduled ?? 0}`,
    );
  return {
    done: items.length >= expected && behind.length === 0,
    pods: items.reduce((a, d) => a + (d.status?.desiredNumberScheduled ?? 0), 0),
    daemonSets: items.length,
    behind,
  };
}

interface StateResource {
  type: string;
  inputs?: Record<string, unknown>;
}

/** Pulumi's marker of a secret value in a state export (`"4dabf18193072939515e22adad3e2": SECRET_SIG`). */
const SECRET_KEY = "4dabf18193072939515e22adad3e2";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

/**
 * The plain value of every secret in an exported state (`--show-secrets`
 * keeps each as `{<sig key>: <sig>, plaintext: "<JSON>"}`). Left wrapped,
 * a Secret's `data` reached kubectl as a data key named after the marker,
 * and the next refresh of the stack failed on it ("malformed secret").
 */
export function unwrapSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(unwrapSecrets);
  if (value === null || typeof value !== "object") return value;
  const o = value as Record<string, unknown>;
  if (o[SECRET_KEY] === SECRET_SIG) {
    if (typeof o.plaintext !== "string")
      throw new Error(
        "a secret in the state export has no plaintext (expected `pulumi stack export --show-secrets`)",
      );
    return unwrapSecrets(JSON.parse(o.plaintext));
  }
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, unwrapSecrets(v)]));
}

/** The Kubernetes objects Pulumi applied (their inputs in the state), as one multi-document YAML. */
export function objectsFromState(exported: string): { yaml: string; count: number; daemonSets: number } {
  const state = unwrapSecrets(JSON.parse(exported)) as { deployment: { resources?: StateResource[] } };
  const objects: Record<string, unknown>[] = [];
  for (const r of state.deployment.resources ?? []) {
    if (!r.type.startsWith("kubernetes:") || !r.inputs) continue;
    const { apiVersion, kind, metadata } = r.inputs as {
      apiVersion?: string;
      kind?: string;
      metadata?: unknown;
    };
    if (!apiVersion || !kind || !metadata) continue;
    objects.push(kind === "Secret" ? secretForKubectl(r.inputs) : withoutPulumiAnnotations(r.inputs));
  }
  // CRDs first, namespaces next, as an ordered apply needs them.
  const rank = (o: Record<string, unknown>) =>
    o.kind === "CustomResourceDefinition" ? 0 : o.kind === "Namespace" ? 1 : 2;
  objects.sort((a, b) => rank(a) - rank(b));
  return {
    yaml: objects.map((o) => stringify(o, { lineWidth: 0 })).join("---\n"),
    count: objects.length,
    daemonSets: objects.filter((o) => o.kind === "DaemonSet").length,
  };
}

/** The provider's own bookkeeping keys in the inputs (`__fieldManager` …) are not object fields. */
function withoutPulumiAnnotations(inputs: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(inputs).filter(([k]) => !k.startsWith("__")));
}

/**
 * A Secret as kubectl sends it. The kubernetes provider keeps what the
 * program gave: `data` values the program did not base64-encode go to
 * `stringData`, where the API server takes plain text.
 */
export function secretForKubectl(inputs: Record<string, unknown>): Record<string, unknown> {
  const data = (inputs.data ?? {}) as Record<string, string>;
  const base64 = /^[A-Za-z0-9+/]*={0,2}$/;
  const keep: Record<string, string> = {};
  const plain: Record<string, string> = { ...((inputs.stringData ?? {}) as Record<string, string>) };
  for (const [k, v] of Object.entries(data)) {
    if (typeof v === "string" && v.length % 4 === 0 && base64.test(v)) keep[k] = v;
    else plain[k] = String(v);
  }
  const out: Record<string, unknown> = { ...withoutPulumiAnnotations(inputs), data: keep };
  if (Object.keys(plain).length) out.stringData = plain;
  return out;
}

/** A V8 CPU profile (`node --cpu-prof`), the fields read here. */
export interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  samples: number[];
  timeDeltas: number[];
}

/** Where a profiled function lives: an npm package, our source tree, Node.js itself, or V8's bookkeeping. */
export function codeOwner(url: string, functionName: string): string {
  if (!url) return functionName.startsWith("(") ? functionName : "(native)";
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1];
  if (url.startsWith("node:")) return "node:internal";
  const ours = /\/(stacks|components|policy|scripts|apps|index\.ts)/.exec(url);
  return ours ? `program: ${ours[1]}` : url;
}

/** Self time of a profile, ms, per owner (package / our code) and per function, largest first. */
export function summariseCpuProfile(
  p: CpuProfile,
  top = 10,
): {
  totalMs: number;
  byOwner: { owner: string; ms: number }[];
  byFunction: { fn: string; ms: number }[];
} {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const owner = new Map<string, number>();
  const fn = new Map<string, number>();
  let total = 0;
  p.samples.forEach((id, i) => {
    const ms = (p.timeDeltas[i] ?? 0) / 1000;
    const n = byId.get(id);
    if (!n) return;
    total += ms;
    const { functionName, url, lineNumber } = n.callFrame;
    const o = codeOwner(url, functionName);
    owner.set(o, (owner.get(o) ?? 0) + ms);
    const where = url ? `${url.replace(/^.*node_modules\//, "")}:${lineNumber + 1}` : "";
    const key = `${functionName || "(anonymous)"}${where ? ` ${where}` : ""}`;
    fn.set(key, (fn.get(key) ?? 0) + ms);
  });
  const sorted = <K extends string>(m: Map<string, number>, k: K) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, ms]) => ({ [k]: name, ms: Math.round(ms) }) as { [P in K]: string } & { ms: number });
  return { totalMs: Math.round(total), byOwner: sorted(owner, "owner"), byFunction: sorted(fn, "fn") };
}
