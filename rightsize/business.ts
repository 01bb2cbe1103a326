/**
 * Rightsizing of business workloads (the release catalog): the Jetty app
 * container's CPU, memory and HPA, with `-XX:ActiveProcessorCount` following
 * the CPU limit through the same function BusinessApp and the policy pack use
 * (`jvmActiveProcessors`). The patch goes to the business's catalog file —
 * into the datacenter's `overrides` when the business runs in several
 * datacenters (the evidence is this datacenter's), else into the entry itself.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { isMap, isSeq, parseDocument } from "yaml";
import { businessUsageQueries } from "../components/business-app/usage";
import { appManifests } from "../components/business-app/manifests";
import { namespaceSpec } from "../components/common/namespace";
import { listBusinesses, resolveRelease } from "../release/catalog/load";
import { releaseFields, type AppSpec, type Template } from "../release/catalog/schema";
import { contextFromStackFile, renderObjects } from "../release/render";
import { businessNamespaces } from "../stacks/namespaces";
import { ConfigError } from "../stacks/validate";
import { unifiedPatch, type SizingChange } from "./patch";
import { rulesFromSchema, type Rules, type Sizing } from "./recommend";
import type { Verdict } from "./verify";

/** One business released to the datacenter being rightsized. */
export interface CatalogTier {
  readonly business: string;
  /** Repository-relative path of its catalog file, e.g. `apps/shop.yaml`. */
  readonly rel: string;
  readonly file: string;
  readonly spec: AppSpec;
  readonly template: Template;
  /** How many datacenters the entry targets. */
  readonly targets: number;
}

/** The catalog's businesses that target `dc`. */
export function catalogTiers(dc: string, appsDir: string): CatalogTier[] {
  const out: CatalogTier[] = [];
  for (const business of listBusinesses(appsDir)) {
    const r = resolveRelease(business, { appsDir });
    const spec = r.specs.get(dc);
    if (!spec) continue;
    out.push({
      business,
      rel: `apps/${business}.yaml`,
      file: r.file,
      spec,
      template: r.template,
      targets: r.order.length,
    });
  }
  return out;
}

export function sizingOfSpec(spec: AppSpec): Sizing {
  return {
    cpuRequestMillis: spec.resources.cpuRequestMillis,
    cpuLimitMillis: spec.resources.cpuLimitMillis,
    memoryLimitMiB: spec.resources.memoryLimitMiB,
    minReplicas: spec.replicas.min,
    maxReplicas: spec.replicas.max,
    targetCpuUtilizationPercent: spec.replicas.targetCpuUtilizationPercent,
  };
}

/** Floors from the catalog schema; the latency objective is the business's own p99 alert threshold. */
export function jvmRules(spec: AppSpec): Rules {
  const r = releaseFields.resources.properties;
  const h = releaseFields.replicas.properties;
  return rulesFromSchema(
    {
      minReplicas: h.min,
      cpuRequestMillis: r.cpuRequestMillis,
      memoryLimitMiB: r.memoryLimitMiB,
      targetCpuUtilizationPercent: h.targetCpuUtilizationPercent,
    },
    { latencyObjectiveSeconds: spec.alerts.p99LatencySeconds },
  );
}

export function queriesFor(t: CatalogTier) {
  return businessUsageQueries(t.business, t.template.parts.ingress === true);
}

/** Where each sizing field lives in a catalog entry. */
const CATALOG_PATHS: Record<keyof Sizing, readonly string[]> = {
  cpuRequestMillis: ["resources", "cpuRequestMillis"],
  cpuLimitMillis: ["resources", "cpuLimitMillis"],
  memoryLimitMiB: ["resources", "memoryLimitMiB"],
  minReplicas: ["replicas", "min"],
  maxReplicas: ["replicas", "max"],
  targetCpuUtilizationPercent: ["replicas", "targetCpuUtilizationPercent"],
};

/**
 * Sets the recommended fields that moved in a catalog file's text, keeping its
 * comments and style. `perDatacenter`: write into `datacenters[<dc>].overrides`.
 */
export function patchCatalogSizing(
  text: string,
  rel: string,
  dc: string,
  change: SizingChange,
  perDatacenter: boolean,
): string {
  const doc = parseDocument(text);
  if (doc.errors.length) throw new Error(`${rel}: not valid YAML: ${doc.errors[0].message}`);
  let base: (string | number)[] = [];
  if (perDatacenter) {
    const dcs = doc.get("datacenters", true);
    const i = isSeq(dcs) ? dcs.items.findIndex((x) => isMap(x) && x.get("name") === dc) : -1;
    if (i < 0)
      throw new Error(
        `${rel}: datacenters has no ${JSON.stringify(dc)} (expected the datacenter being rightsized)`,
      );
    base = ["datacenters", i, "overrides"];
  }
  for (const [field, where] of Object.entries(CATALOG_PATHS) as [keyof Sizing, readonly string[]][]) {
    const next = change.recommended[field];
    if (next === change.current[field]) continue;
    doc.setIn([...base, ...where], next);
  }
  return doc.toString({ lineWidth: 0, flowCollectionPadding: false });
}

/** The patch of one catalog file, repository-relative. */
export function catalogPatch(
  t: CatalogTier,
  dc: string,
  change: SizingChange,
): { text: string; patch: string } {
  const before = fs.readFileSync(t.file, "utf8");
  const text = patchCatalogSizing(before, t.rel, dc, change, t.targets > 1);
  return { text, patch: unifiedPatch(t.rel, before, text) };
}

const KIND_TYPES: Record<string, string> = {
  ConfigMap: "kubernetes:core/v1:ConfigMap",
  Secret: "kubernetes:core/v1:Secret",
  Deployment: "kubernetes:apps/v1:Deployment",
  HorizontalPodAutoscaler: "kubernetes:autoscaling/v2:HorizontalPodAutoscaler",
  PodDisruptionBudget: "kubernetes:policy/v1:PodDisruptionBudget",
  Service: "kubernetes:core/v1:Service",
  NetworkPolicy: "kubernetes:networking.k8s.io/v1:NetworkPolicy",
};

/**
 * The patched catalog entry must resolve through the catalog's schema and
 * cross-checks (the JVM options against the new limits, among them) and its
 * rendered objects must pass the whole policy pack — what every release's
 * preview gate checks.
 */
export async function verifyCatalogText(
  t: CatalogTier,
  text: string,
  dc: string,
  appsDir: string,
  stackFile: string,
): Promise<Verdict> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "pc-rightsize-apps-"));
  try {
    fs.cpSync(path.join(appsDir, "templates"), path.join(tmp, "templates"), { recursive: true });
    fs.writeFileSync(path.join(tmp, `${t.business}.yaml`), text);
    let spec: AppSpec | undefined;
    try {
      spec = resolveRelease(t.business, { appsDir: tmp, datacenters: [dc] }).specs.get(dc);
    } catch (e) {
      if (e instanceof ConfigError)
        return { ok: false, problems: e.issues.map((i) => `${i.path}: ${i.message}`), advisories: [] };
      throw e;
    }
    if (!spec)
      return { ok: false, problems: [`${t.rel}: no spec for ${dc} after the patch`], advisories: [] };
    const ctx = contextFromStackFile(dc, path.dirname(stackFile));
    const ns = businessNamespaces(t.business).app;
    const resources = [
      {
        type: "kubernetes:core/v1:Namespace",
        name: `${ns}-ns`,
        props: namespaceSpec(ns, "restricted", "business") as Record<string, unknown>,
      },
      ...renderObjects(appManifests(spec, t.template, ctx)).map((o, i) => ({
        type: KIND_TYPES[o.kind] ?? `kubernetes:unknown:${o.kind}`,
        name: `${o.kind}-${i}`,
        props: o as Record<string, unknown>,
      })),
    ];
    const { allPolicies } = await import("../policy/policies");
    const { evaluate } = await import("../tests/policy/harness");
    const violations = await evaluate(allPolicies(), resources);
    const line = (v: (typeof violations)[number]) => `${t.rel}: ${v.policy}: ${v.message}`;
    const problems = violations.filter((v) => v.level === "mandatory").map(line);
    return {
      ok: problems.length === 0,
      problems,
      advisories: violations.filter((v) => v.level !== "mandatory").map(line),
    };
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}
