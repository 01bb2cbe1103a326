/** The image cache and lock, as the tests see them (scripts/images.ts computes the keys). */
import { currentBuild, currentKeys } from "../../scripts/images";
import { chain, loadDefinitions, readLock } from "../../images/definitions";

export { chain, currentKeys, loadDefinitions, readLock };

let keys: Map<string, string> | undefined;
/** The current build of an image, if the cache holds one for the current inputs. */
export function currentLockEntry(name: string): { archive: string; digest: string } | undefined {
  keys ??= currentKeys();
  const b = currentBuild(name, keys);
  return b ? { archive: b.archive, digest: b.digest } : undefined;
}
