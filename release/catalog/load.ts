/**
 * Reads the catalog: `apps/<business>.yaml` plus its template
 * (`apps/templates/<name>.yaml`), and resolves one spec per target
 * datacenter. Precedence, lowest first: schema defaults < template defaults <
 * the entry < the entry's per-datacenter overrides < `--version` / `--set`.
 *
 * Every problem is collected with the file and path a user edits, and thrown
 * once as a ConfigError before anything is created (stacks/validate.ts gives
 * the same message shape as the platform's own config).
 */
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { ConfigError, schemaIssues, show, type ConfigIssue } from "../../stacks/validate";
import { jvmActiveProcessors } from "../../components/common/sizing";
import { JVM_ENV, JVM_NON_HEAP_FLOOR_MIB } from "../../components/common/jvm";
import { probeFloors } from "../../components/common/probes";
import {
  AppSpecSchema,
  CatalogEntrySchema,
  TemplateSchema,
  type AppSpec,
  type CatalogEntry,
  type Template,
} from "./schema";

/** The repository's catalog directory. */
export const DEFAULT_APPS_DIR = path.join(__dirname, "..", "..", "apps");
const TEMPLATES = "templates";

/** Business names in the catalog (one file each). */
export function listBusinesses(appsDir = DEFAULT_APPS_DIR): string[] {
  return fs
    .readdirSync(appsDir)
    .filter((f) => f.endsWith(".yaml"))
    .map((f) => f.slice(0, -".yaml".length))
    .sort();
}

export function listTemplates(appsDir = DEFAULT_APPS_DIR): string[] {
  return listBusinesses(path.join(appsDir, TEMPLATES));
}

function readYaml(file: string, rel: string): unknown {
  try {
    return parse(fs.readFileSync(file, "utf8"));
  } catch (e) {
    throw new ConfigError(
      [{ path: rel, message: `is not valid YAML (${(e as Error).message.split("\n")[0]})` }],
      "catalog",
    );
  }
}

export function loadTemplate(name: string, appsDir = DEFAULT_APPS_DIR): Template {
  const rel = `apps/${TEMPLATES}/${name}.yaml`;
  const file = path.join(appsDir, TEMPLATES, `${name}.yaml`);
  if (!fs.existsSync(file))
    throw new ConfigError(
      [
        {
          path: rel,
          message: `template ${show(name)} does not exist (expected one of: ${listTemplates(appsDir).join(", ")})`,
        },
      ],
      "catalog",
    );
  const { value, issues } = schemaIssues(TemplateSchema, readYaml(file, rel), rel);
  if (value.name !== name)
    issues.push({
      path: `${rel} name`,
      message: `${show(value.name)} is not the file's name (expected ${show(name)})`,
    });
  if (issues.length) throw new ConfigError(issues, "template");
  return value;
}

/** `a.b.c=value`: the value is read as YAML, so numbers and lists keep their type. */
export interface SetOverride {
  readonly path: readonly string[];
  readonly value: unknown;
}

export function parseSet(text: string): SetOverride {
  const i = text.indexOf("=");
  const key = i > 0 ? text.slice(0, i) : "";
  if (!/^[A-Za-z_][A-Za-z0-9_-]*(\.[A-Za-z0-9_-]+)*$/.test(key))
    throw new ConfigError(
      [
        {
          path: "--set",
          message: `${show(text)} is not valid (expected path=value, such as resources.cpuLimitMillis=4000)`,
        },
      ],
      "command line",
    );
  let value: unknown;
  try {
    value = parse(text.slice(i + 1));
  } catch {
    value = text.slice(i + 1);
  }
  return { path: key.split("."), value: value ?? "" };
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

/** Deep merge: objects merge key by key, anything else (lists included) replaces. */
export function deepMerge(...layers: unknown[]): Obj {
  const out: Obj = {};
  for (const layer of layers) {
    if (!isObj(layer)) continue;
    for (const [k, v] of Object.entries(layer))
      out[k] = isObj(v) && isObj(out[k]) ? deepMerge(out[k], v) : clone(v);
  }
  return out;
}
const clone = <T>(v: T): T => (v === undefined ? v : JSON.parse(JSON.stringify(v)));

function setPath(target: Obj, p: readonly string[], value: unknown): void {
  let o = target;
  for (const seg of p.slice(0, -1)) {
    if (!isObj(o[seg])) o[seg] = {};
    o = o[seg] as Obj;
  }
  o[p[p.length - 1]] = value;
}

export interface ResolveOptions {
  /** Catalog directory. Default: the repository's apps/. */
  readonly appsDir?: string;
  /** Only these datacenters (they keep the entry's order). Default: all of the entry's. */
  readonly datacenters?: readonly string[];
  /** Release this version everywhere (overrides the entry). */
  readonly version?: string;
  /** `--set path=value` overrides, applied last. */
  readonly sets?: readonly SetOverride[];
}

export interface ResolvedRelease {
  readonly business: string;
  readonly file: string;
  readonly entry: CatalogEntry;
  readonly template: Template;
  /** Target datacenters in rollout order (the first is the canary). */
  readonly order: readonly string[];
  /** The resolved spec of each target datacenter. */
  readonly specs: ReadonlyMap<string, AppSpec>;
}

const BUSINESS_NAME = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** The catalog file of a business (its name checked first: it becomes a path). */
export function catalogFile(business: string, appsDir = DEFAULT_APPS_DIR): string | undefined {
  return BUSINESS_NAME.test(business) ? path.join(appsDir, `${business}.yaml`) : undefined;
}

/** Reads and resolves a business; throws one ConfigError listing every problem. */
export function resolveRelease(business: string, opts: ResolveOptions = {}): ResolvedRelease {
  const appsDir = opts.appsDir ?? DEFAULT_APPS_DIR;
  const rel = `apps/${business}.yaml`;
  const file = catalogFile(business, appsDir);
  if (!file || !fs.existsSync(file))
    throw new ConfigError(
      [
        {
          path: "business",
          message: `${show(business)} is not in the catalog (expected one of: ${listBusinesses(appsDir).join(", ") || "(none)"}; add ${rel})`,
        },
      ],
      "command line",
    );
  return resolveEntry(business, readYaml(file, rel), { ...opts, appsDir }, rel, file);
}

/**
 * Resolves a catalog entry that is not (yet) a file — what a form submits —
 * exactly as `resolveRelease` resolves the file: the same schema, template,
 * overrides and cross-field checks. `rel` names the entry in messages.
 */
export function resolveEntry(
  business: string,
  raw: unknown,
  opts: ResolveOptions = {},
  rel = `apps/${business}.yaml`,
  file = catalogFile(business, opts.appsDir ?? DEFAULT_APPS_DIR) ?? rel,
): ResolvedRelease {
  const appsDir = opts.appsDir ?? DEFAULT_APPS_DIR;
  const { value: entry, issues: entryIssues } = schemaIssues(CatalogEntrySchema, raw, rel);
  // Without its identity and targets nothing else can be checked; value
  // problems elsewhere are reported together with the cross-field checks
  // below, so one run lists everything (the seed's two incidents at once).
  const structural = entryIssues.filter((i) => /^apps\/[^ ]+ (business|template|datacenters)\b/.test(i.path));
  if (structural.length || typeof entry !== "object" || !Array.isArray(entry?.datacenters))
    throw new ConfigError(entryIssues, "catalog entry");
  if (entry.business !== business)
    throw new ConfigError(
      [
        {
          path: `${rel} business`,
          message: `${show(entry.business)} is not the file's name (expected ${show(business)})`,
        },
      ],
      "catalog entry",
    );
  const template = loadTemplate(entry.template, appsDir);

  const targets = entry.datacenters.map((d) => d.name);
  const dupes = targets.filter((d, i) => targets.indexOf(d) !== i);
  if (dupes.length)
    throw new ConfigError(
      [
        {
          path: `${rel} datacenters`,
          message: `${show(dupes[0])} is listed twice (expected each datacenter once, in rollout order)`,
        },
      ],
      "catalog entry",
    );
  const unknown = (opts.datacenters ?? []).filter((d) => !targets.includes(d));
  if (unknown.length)
    throw new ConfigError(
      [
        {
          path: "--dc",
          message: `${show(unknown.join(","))} is not a target of ${business} (expected some of: ${targets.join(", ")}; targets are listed in ${rel})`,
        },
      ],
      "command line",
    );
  const order = opts.datacenters ? targets.filter((d) => opts.datacenters?.includes(d)) : targets;

  const { business: _b, template: _t, datacenters, ...fields } = entry;
  void _b;
  void _t;
  const specs = new Map<string, AppSpec>();
  const all: ConfigIssue[] = [...entryIssues];
  for (const dc of order) {
    const target = datacenters.find((d) => d.name === dc);
    const merged = deepMerge(template.defaults, fields, target?.overrides ?? {});
    if (opts.version !== undefined) merged.version = opts.version;
    for (const s of opts.sets ?? []) setPath(merged, s.path, clone(s.value));
    const candidate = { business, template: template.name, datacenter: dc, ...merged };
    const root = `${rel} (for ${dc})`;
    const { value: spec, issues: schemaProblems } = schemaIssues(AppSpecSchema, candidate, root);
    // The entry's own problems already name these paths in the file.
    if (entryIssues.length === 0) all.push(...schemaProblems);
    let cross: ConfigIssue[] = [];
    try {
      cross = specProblems(spec, template);
    } catch {
      // A value of the wrong type: its schema problem says so.
    }
    all.push(...cross.map((i) => ({ path: `${root} ${i.path}`, message: i.message })));
    if (schemaProblems.length === 0) specs.set(dc, spec);
  }
  if (all.length) throw new ConfigError(dedupe(all), "release");
  return { business, file, entry, template, order, specs };
}

function dedupe(issues: ConfigIssue[]): ConfigIssue[] {
  const seen = new Set<string>();
  return issues.filter((i) => {
    const k = `${i.path}\n${i.message}`;
    return seen.has(k) ? false : (seen.add(k), true);
  });
}

/**
 * Checks across fields that a schema cannot express: request ≤ limit, HPA
 * bounds, the JVM options against the CPU and memory limits (the seed's
 * incident: 24 GC/JIT threads on a 6-core limit), probe windows, and the
 * variables the platform owns.
 */
export function specProblems(spec: AppSpec, template: Template): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  const r = spec.resources;
  if (r.cpuRequestMillis > r.cpuLimitMillis)
    out.push({
      path: "resources.cpuRequestMillis",
      message: `${r.cpuRequestMillis} exceeds the CPU limit ${r.cpuLimitMillis} (expected request <= limit)`,
    });
  if (r.memoryRequestMiB !== undefined && r.memoryRequestMiB > r.memoryLimitMiB)
    out.push({
      path: "resources.memoryRequestMiB",
      message: `${r.memoryRequestMiB} exceeds the memory limit ${r.memoryLimitMiB} (expected request <= limit)`,
    });
  if (spec.replicas.min > spec.replicas.max)
    out.push({
      path: "replicas.max",
      message: `${spec.replicas.max} is below replicas.min ${spec.replicas.min} (expected max >= min)`,
    });
  const bound = jvmActiveProcessors(r.cpuLimitMillis);
  spec.jvm.options.forEach((o, i) => {
    const apc = /^-XX:ActiveProcessorCount=([0-9]+)$/.exec(o);
    if (apc && Number(apc[1]) > bound)
      out.push({
        path: `jvm.options[${i}]`,
        message: `-XX:ActiveProcessorCount=${apc[1]} exceeds CPU limit ${bound} (resources.cpuLimitMillis ${r.cpuLimitMillis}; the seed: 24 threads on a 6-core limit gave seconds of latency) — remove it (the platform sets ${bound}) or set <= ${bound}`,
      });
    if (o === "-XX:-UseContainerSupport")
      out.push({
        path: `jvm.options[${i}]`,
        message: `${o} makes the JVM size itself from the host (expected it absent)`,
      });
    const xmx = /^-Xmx([0-9]+)([kKmMgG])$/.exec(o);
    if (xmx) {
      const mib =
        Number(xmx[1]) * ({ k: 1 / 1024, m: 1, g: 1024 } as Record<string, number>)[xmx[2].toLowerCase()];
      if (mib > r.memoryLimitMiB - JVM_NON_HEAP_FLOOR_MIB)
        out.push({
          path: `jvm.options[${i}]`,
          message: `${o} leaves less than ${JVM_NON_HEAP_FLOOR_MIB} MiB of the ${r.memoryLimitMiB} MiB limit outside the heap (expected no -Xmx: jvm.heapPercent sizes the heap)`,
        });
    }
  });
  const owned = new Set<string>(Object.values(JVM_ENV));
  for (const name of Object.keys(spec.env))
    if (owned.has(name))
      out.push({
        path: `env.${name}`,
        message: `is set by the platform (expected another name; JVM options go in jvm.options)`,
      });
  for (const [which, floor] of [
    ["liveness", probeFloors.minLivenessWindowSeconds],
    ["readiness", probeFloors.minReadinessWindowSeconds],
  ] as const) {
    const p = spec.probes[which];
    if (p.periodSeconds * p.failureThreshold < floor)
      out.push({
        path: `probes.${which}.failureThreshold`,
        message: `${p.failureThreshold} × periodSeconds ${p.periodSeconds} = ${p.periodSeconds * p.failureThreshold} s is below ${floor} s (expected failureThreshold × periodSeconds >= ${floor}: a short window turns one slow moment into a restart or an ejection)`,
      });
  }
  if (template.parts.s6 && spec.processes.length === 0)
    out.push({
      path: "processes",
      message: `is empty (expected at least one process for s6 to supervise: template ${template.name})`,
    });
  if (!template.parts.s6 && spec.processes.length > 0)
    out.push({
      path: "processes",
      message: `is set but template ${template.name} runs one process (expected the multi-process template)`,
    });
  return out;
}
