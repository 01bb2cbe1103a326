/**
 * One collector for every cross-check: each problem is a path and a message
 * that says what is wrong and what is expected. Duplicates are reported the
 * same way everywhere: the later entry is blamed (it is the line most likely
 * just added), and the message names the entry it repeats.
 */
import { joinPath, show, type ConfigIssue } from "../validate";
import { CONFIG_NAMESPACE } from "../schema";

export const CONFIG_ROOT = `${CONFIG_NAMESPACE}:`;
/** `private-cloud:network.racks[2].gateway` from ("network", "racks", 2, "gateway"). */
export const cfgPath = (...segs: readonly (string | number)[]) => joinPath(CONFIG_ROOT, segs);

export class IssueCollector {
  readonly issues: ConfigIssue[] = [];

  add(path: string, message: string): void {
    this.issues.push({ path, message });
  }

  /**
   * Every item whose key an earlier item already has: `<key> is already used
   * by <earlier> (expected <expected>)`, on the later item's path.
   */
  unique<T>(
    items: readonly T[],
    key: (t: T) => string,
    pathOf: (index: number) => string,
    nameOf: (index: number) => string,
    expected: string,
  ): void {
    const first = new Map<string, number>();
    items.forEach((item, i) => {
      const k = key(item);
      const at = first.get(k);
      if (at === undefined) first.set(k, i);
      else this.add(pathOf(i), `${show(k)} is already used by ${nameOf(at)} (expected ${expected})`);
    });
  }
}
