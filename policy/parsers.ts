/**
 * Parsers for the values the policies compare: CPU quantities, worker counts
 * in the forms nginx, ingress-nginx, Elasticsearch and the JVM accept them,
 * durations, preStop waits and command-line flags. Pure functions, tested with
 * tables. CPU and memory quantities come from components/common/sizing.ts so
 * that the pack and the components read a quantity the same way.
 */
import { cpuMillis, memoryMiB } from "../components/common/sizing";
import type { Container, EnvVar, Handler } from "./k8s";

export { cpuMillis, memoryMiB };

/** A worker/processor count as written: a number, `auto`, or something neither. */
export type WorkerValue =
  | { readonly kind: "count"; readonly count: number }
  | { readonly kind: "auto" }
  | { readonly kind: "invalid"; readonly text: string };

/** Parses `4`, ` 4 `, 4, `auto` (nginx's and ingress-nginx's spellings). */
export function parseWorkers(value: string | number | undefined): WorkerValue | undefined {
  if (value === undefined) return undefined;
  if (typeof value === "number")
    return Number.isInteger(value) && value > 0
      ? { kind: "count", count: value }
      : { kind: "invalid", text: String(value) };
  const t = value.trim();
  if (t === "auto") return { kind: "auto" };
  if (/^[0-9]+$/.test(t) && Number(t) > 0) return { kind: "count", count: Number(t) };
  return { kind: "invalid", text: value };
}

/** Strips `#` comments from nginx configuration text (nginx has no other comment form). */
function stripNginxComments(text: string): string {
  return text
    .split("\n")
    .map((l) => l.replace(/(^|\s)#.*$/, "$1"))
    .join("\n");
}

/**
 * The value of a main-context directive in an nginx.conf (or snippet):
 * `worker_processes 4;` → "4". Only directives outside any `{ }` block count,
 * which is where nginx accepts `worker_processes` and `worker_shutdown_timeout`.
 */
export function nginxMainDirective(conf: string, directive: string): string | undefined {
  const text = stripNginxComments(conf);
  let depth = 0;
  let statement = "";
  for (const ch of text) {
    if (ch === "{") {
      depth++;
      statement = "";
    } else if (ch === "}") {
      depth = Math.max(0, depth - 1);
      statement = "";
    } else if (ch === ";") {
      if (depth === 0) {
        const parts = statement.trim().split(/\s+/);
        if (parts[0] === directive) return parts.slice(1).join(" ");
      }
      statement = "";
    } else statement += ch;
  }
  return undefined;
}

/** Whether a text looks like nginx main configuration (so a ConfigMap key is read as one). */
export function looksLikeNginxConf(text: string): boolean {
  return /(^|[;{}\s])(worker_processes|events\s*\{|http\s*\{)/.test(stripNginxComments(text));
}

const DURATION_UNITS: Record<string, number> = {
  ms: 0.001,
  s: 1,
  m: 60,
  h: 3600,
  d: 86400,
  w: 604800,
};

/**
 * nginx / Go-style durations in seconds: `30s`, `5m`, `1h 30m`, `1m30s`,
 * `500ms`, and a bare number (nginx reads it as seconds). Undefined when it is not one.
 */
export function durationSeconds(text: string | number | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (typeof text === "number") return Number.isFinite(text) && text >= 0 ? text : undefined;
  const t = text.trim();
  if (/^[0-9]+(\.[0-9]+)?$/.test(t)) return Number(t);
  const re = /([0-9]+(?:\.[0-9]+)?)\s*(ms|s|m|h|d|w)/gy;
  let total = 0;
  let pos = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(t)) !== null) {
    total += Number(m[1]) * DURATION_UNITS[m[2]];
    pos = re.lastIndex;
    while (t[pos] === " ") pos++;
    re.lastIndex = pos;
  }
  return pos === t.length && pos > 0 ? total : undefined;
}

/**
 * The flat settings of an elasticsearch.yml: both `node.processors: 4` and the
 * nested form (`node:` / `  processors: 4`) give `node.processors` → "4".
 * Enough YAML for settings files (scalars and maps); lists are ignored.
 */
export function flatYamlSettings(text: string): Map<string, string> {
  const out = new Map<string, string>();
  const stack: { indent: number; key: string }[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.replace(/\s+#.*$/, "");
    if (/^\s*(#|$)/.test(line)) continue;
    const m = /^(\s*)([A-Za-z0-9_.-]+)\s*:\s*(.*)$/.exec(line);
    if (!m) continue;
    const indent = m[1].length;
    while (stack.length > 0 && stack[stack.length - 1].indent >= indent) stack.pop();
    const key = [...stack.map((s) => s.key), m[2]].join(".");
    const value = m[3].trim();
    if (value === "") stack.push({ indent, key: m[2] });
    else out.set(key, value.replace(/^(["'])(.*)\1$/, "$2"));
  }
  return out;
}

/** `-XX:ActiveProcessorCount=N` in a JVM options string (the last one wins, as in the JVM). */
export function jvmActiveProcessorCount(opts: string): number | undefined {
  const all = [...opts.matchAll(/-XX:ActiveProcessorCount=([0-9]+)/g)];
  return all.length > 0 ? Number(all[all.length - 1][1]) : undefined;
}

/**
 * `-XX:-UseContainerSupport` turns off the JVM's cgroup awareness: it then
 * sizes GC and JIT threads and `availableProcessors()` from the host's cores.
 */
export function jvmContainerSupportDisabled(opts: string): boolean {
  const all = [...opts.matchAll(/-XX:([+-])UseContainerSupport/g)];
  return all.length > 0 && all[all.length - 1][1] === "-";
}

/** `--flag=value` or `--flag value` in an argument list (the last one wins, as with Go's flag package). */
export function flagValue(args: readonly string[] | undefined, flag: string): string | undefined {
  let found: string | undefined;
  const list = args ?? [];
  for (let i = 0; i < list.length; i++) {
    const a = list[i];
    if (a.startsWith(`${flag}=`)) found = a.slice(flag.length + 1);
    else if (a === flag && i + 1 < list.length && !list[i + 1].startsWith("--")) found = list[i + 1];
    else if (a === flag) found = "true";
  }
  return found;
}

/** Command and args of a container as one list (flags may be in either). */
export function argvOf(c: Container): string[] {
  return [...(c.command ?? []), ...(c.args ?? [])];
}

/**
 * How long a preStop hook waits, seconds: the `sleep` action, or the `sleep N`
 * calls of an exec hook (summed: `sleep 5; nginx -s quit; sleep 10` waits 15
 * before the process may be gone). Undefined when there is no hook.
 */
export function preStopWaitSeconds(hook: Handler | undefined): number | undefined {
  if (!hook) return undefined;
  if (hook.sleep) return hook.sleep.seconds ?? 0;
  const argv = hook.exec?.command ?? [];
  if (argv.length === 0) return hook.httpGet ? 0 : undefined;
  if (argv[0] === "sleep" || argv[0] === "/bin/sleep") return durationSeconds(argv[1]) ?? 0;
  const script = argv.join(" ");
  let total = 0;
  for (const m of script.matchAll(/(?:^|[\s;&|(])(?:\/bin\/|\/usr\/bin\/)?sleep\s+([0-9.]+[smhd]?)/g))
    total += durationSeconds(m[1]) ?? 0;
  return total;
}

/** The literal value of an env var of a container (not the ConfigMap-sourced ones; see workers.ts). */
export function envValue(env: readonly EnvVar[] | undefined, name: string): string | undefined {
  const e = (env ?? []).find((x) => x.name === name);
  return e?.value;
}

/** An image reference split into its parts: `registry/path:tag@digest`. */
export interface ImageRef {
  readonly registry?: string;
  readonly repository: string;
  readonly tag?: string;
  readonly digest?: string;
}

/**
 * Parses an image reference the way the container runtime does: the first
 * path component is a registry when it has a `.` or `:` or is `localhost`.
 */
export function parseImage(ref: string): ImageRef {
  let rest = ref.trim();
  let digest: string | undefined;
  const at = rest.indexOf("@");
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf("/");
  const colon = rest.lastIndexOf(":");
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  const first = rest.split("/")[0];
  const hasRegistry =
    rest.includes("/") && (first.includes(".") || first.includes(":") || first === "localhost");
  return {
    registry: hasRegistry ? first : undefined,
    repository: hasRegistry ? rest.slice(first.length + 1) : rest,
    tag,
    digest,
  };
}

/**
 * Kubernetes' `$(VAR)` expansion of command and args from the container's env
 * (`$$(VAR)` stays literal; an undefined variable is left as written).
 */
export function expandVars(text: string, vars: ReadonlyMap<string, string>): string {
  return text.replace(
    /\$(\$)?\(([A-Za-z_][A-Za-z0-9_]*)\)/g,
    (all, escaped: string | undefined, name: string) => (escaped ? all.slice(1) : (vars.get(name) ?? all)),
  );
}
