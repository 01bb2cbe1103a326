/**
 * Recommendations become a patch a person reviews in a pull request, never a
 * change applied behind their back. The stack file is edited as a YAML
 * document (comments, order and flow style stay as the author wrote them),
 * and the patch is a unified diff that `git apply` takes.
 */
import { createTwoFilesPatch } from "diff";
import { isMap, isSeq, parseDocument, type YAMLMap } from "yaml";
import { CONFIG_NAMESPACE } from "../stacks/schema";
import type { Sizing } from "./recommend";

/** The fields of a stack's `businesses[]` entry that rightsizing may change, in the schema's units. */
export const INGRESS_FIELDS = [
  "cpuRequestMillis",
  "cpuLimitMillis",
  "memoryLimitMiB",
  "minReplicas",
  "maxReplicas",
  "targetCpuUtilizationPercent",
] as const satisfies readonly (keyof Sizing)[];

const BUSINESSES_KEY = `${CONFIG_NAMESPACE}:businesses`;

/** One tier's sizing before and after. */
export interface SizingChange {
  readonly current: Sizing;
  readonly recommended: Sizing;
}

/**
 * Sets each business's ingress-tier sizing in a stack file's text. Fields whose
 * effective value does not change are not touched (an explicit default stays,
 * an absent one stays absent), so the diff shows only what the recommendation moves.
 */
export function patchStackSizing(
  text: string,
  file: string,
  changes: ReadonlyMap<string, SizingChange>,
): string {
  const doc = parseDocument(text);
  if (doc.errors.length) throw new Error(`${file}: not valid YAML: ${doc.errors[0].message}`);
  const seq = doc.getIn(["config", BUSINESSES_KEY], true);
  if (!isSeq(seq))
    throw new Error(`${file}: config.${BUSINESSES_KEY} is not a list (expected the businesses of the stack)`);
  for (const [business, change] of changes) {
    const entry = seq.items.find((x) => isMap(x) && x.get("name") === business) as YAMLMap | undefined;
    if (!entry)
      throw new Error(`${file}: config.${BUSINESSES_KEY} has no business ${JSON.stringify(business)}`);
    setChanged(entry, change);
  }
  return doc.toString({ lineWidth: 0, flowCollectionPadding: false });
}

function setChanged(entry: YAMLMap, { current, recommended }: SizingChange): void {
  for (const field of INGRESS_FIELDS) {
    const next = recommended[field];
    if (next === current[field] && entry.get(field) === undefined) continue;
    if (entry.get(field) === next) continue;
    // An absent request means "equal to the limit" (the schema's default): keep it absent when it still is.
    if (field === "cpuRequestMillis" && entry.get(field) === undefined && next === recommended.cpuLimitMillis)
      continue;
    entry.set(field, next);
  }
}

/** A unified diff of one file, paths relative to the repository (`git apply` takes it). */
export function unifiedPatch(relativePath: string, before: string, after: string): string {
  if (before === after) return "";
  return createTwoFilesPatch(`a/${relativePath}`, `b/${relativePath}`, before, after, "", "", { context: 3 })
    .split("\n")
    .filter((line) => !line.startsWith("Index:") && !/^=+$/.test(line))
    .join("\n");
}
