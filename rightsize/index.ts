/**
 * `npm run rightsize` as a library: the datacenter's Prometheus in,
 * recommendations and one reviewed patch out. The CLI (scripts/rightsize.ts)
 * only parses flags and prints.
 */
import * as fs from "fs";
import * as path from "path";
import { nginxMemoryFloorMiB } from "../components/common/sizing";
import { ingressThresholds } from "../components/ingress-tier/alerts";
import { ingressUsageQueries } from "../components/ingress-tier/usage";
import { loadStackFile } from "../stacks/config";
import { BusinessSection } from "../stacks/schema";
import { patchStackSizing, unifiedPatch, type SizingChange } from "./patch";
import { collectEvidence, stepFor, type Endpoints } from "./prometheus";
import { recommend, rulesFromSchema, type Recommendation, type Rules, type Sizing } from "./recommend";
import { verifyStackText, type Verdict } from "./verify";
import {
  catalogPatch,
  catalogTiers,
  jvmRules,
  queriesFor,
  sizingOfSpec,
  verifyCatalogText,
} from "./business";
import { DEFAULT_APPS_DIR } from "../release/catalog/load";

export interface RightsizeOptions {
  /** The stack file to read and patch, e.g. `<repo>/Pulumi.dc-a.yaml`. */
  readonly stackFile: string;
  /** Only this business; all of the stack's businesses when absent. */
  readonly business?: string;
  /** How far back to look, seconds. */
  readonly windowSeconds: number;
  /** End of the window, Unix seconds. Default: now. */
  readonly end?: number;
  readonly endpoints: Endpoints;
  /** Path the patch names the file by (relative to the repository root). Default: the file's base name. */
  readonly patchPath?: string;
  /** The release catalog whose businesses (Jetty tiers) are rightsized too. Default: the repository's apps/. */
  readonly appsDir?: string;
}

export interface TierResult {
  readonly business: string;
  /** `ingress`: the business's nginx tier (stack config); `jetty`: its app pods (catalog). */
  readonly tier: "ingress" | "jetty";
  readonly recommendation: Recommendation;
}

export interface RightsizeResult {
  readonly datacenter: string;
  readonly window: { readonly start: number; readonly end: number; readonly stepSeconds: number };
  readonly tiers: readonly TierResult[];
  /** Unified diff of the stack file and the catalog files; empty when nothing changes. */
  readonly patch: string;
  /** The patched files' validation and policy-pack verdict; absent when there is no patch. */
  readonly verdict?: Verdict;
}

export class RightsizeInputError extends Error {}

/**
 * The floors come from the stack schema itself (the numbers `npm run validate`
 * enforces), and the latency objective from the tier's alert threshold, so a
 * recommendation can never fall below what validation or the alerts expect.
 */
export function ingressRules(): Rules {
  return rulesFromSchema(BusinessSection.properties, {
    latencyObjectiveSeconds: ingressThresholds.latencyP99Seconds,
    memoryFloorMiB: (workers) => nginxMemoryFloorMiB(workers),
  });
}

export async function rightsize(o: RightsizeOptions): Promise<RightsizeResult> {
  const model = loadStackFile(o.stackFile);
  const businesses = model.config.businesses;
  const catalog = catalogTiers(model.name, o.appsDir ?? DEFAULT_APPS_DIR);
  if (
    o.business !== undefined &&
    !businesses.some((b) => b.name === o.business) &&
    !catalog.some((c) => c.business === o.business)
  )
    throw new RightsizeInputError(
      `--business ${JSON.stringify(o.business)}: not a business of datacenter ${model.name} (expected one of: ${[...new Set([...businesses.map((b) => b.name), ...catalog.map((c) => c.business)])].join(", ") || "none"})`,
    );
  const end = o.end ?? Math.floor(Date.now() / 1000);
  const step = stepFor(o.windowSeconds);
  const window = { start: end - o.windowSeconds, end, step };
  const rules = ingressRules();
  const tiers: TierResult[] = [];
  for (const b of businesses.filter((x) => o.business === undefined || x.name === o.business)) {
    const current: Sizing = {
      cpuRequestMillis: b.cpuRequestMillis ?? b.cpuLimitMillis,
      cpuLimitMillis: b.cpuLimitMillis,
      memoryLimitMiB: b.memoryLimitMiB,
      minReplicas: b.minReplicas,
      maxReplicas: b.maxReplicas,
      targetCpuUtilizationPercent: b.targetCpuUtilizationPercent,
    };
    const evidence = await collectEvidence(o.endpoints, ingressUsageQueries(b.name), window);
    tiers.push({
      business: b.name,
      tier: "ingress",
      recommendation: recommend("nginx", current, evidence, rules),
    });
  }
  const changes = new Map<string, SizingChange>();
  for (const t of tiers) if (t.recommendation.status === "ok") changes.set(t.business, t.recommendation);
  const before = fs.readFileSync(o.stackFile, "utf8");
  const after = changes.size ? patchStackSizing(before, o.stackFile, changes) : before;
  const patches = [unifiedPatch(o.patchPath ?? path.basename(o.stackFile), before, after)];
  const verdicts: Verdict[] = [];
  if (patches[0]) verdicts.push(await verifyStackText(after, o.stackFile));

  // Business workloads of the release catalog that target this datacenter.
  const appsDir = o.appsDir ?? DEFAULT_APPS_DIR;
  for (const c of catalog.filter((x) => o.business === undefined || x.business === o.business)) {
    const evidence = await collectEvidence(o.endpoints, queriesFor(c), window);
    const recommendation = recommend("jvm", sizingOfSpec(c.spec), evidence, jvmRules(c.spec));
    tiers.push({ business: c.business, tier: "jetty", recommendation });
    if (recommendation.status !== "ok") continue;
    const { text, patch } = catalogPatch(c, model.name, recommendation);
    if (!patch) continue;
    patches.push(patch);
    verdicts.push(await verifyCatalogText(c, text, model.name, appsDir, o.stackFile));
  }
  const patch = patches.filter((p) => p).join("\n");
  const verdict: Verdict | undefined = verdicts.length
    ? {
        ok: verdicts.every((v) => v.ok),
        problems: verdicts.flatMap((v) => v.problems),
        advisories: verdicts.flatMap((v) => v.advisories),
      }
    : undefined;
  return {
    datacenter: model.name,
    window: { start: window.start, end, stepSeconds: step },
    tiers,
    patch,
    verdict,
  };
}
