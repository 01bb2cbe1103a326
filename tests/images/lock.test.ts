/**
 * stacks/images.ts pins the platform's own images by digest from
 * images/images.lock.json. This check fails when a referenced image has no
 * definition or no lock entry, when its definition changed since the lock was
 * written (the pinned digest would not be what the repository builds), or
 * when the built image's digest differs from the pinned one.
 */
import { imageSet, privateImages, type PrivateImage } from "../../stacks/images";
import { currentKeys, loadDefinitions, readLock } from "./lock";
import { currentBuild } from "../../scripts/images";

const defs = loadDefinitions();
const lock = readLock();
const keys = currentKeys(defs);
const refs = imageSet("registry.dc-a.cloud.internal", "v1.34.4", "v1.34.4-pc.1");
const names = Object.keys(privateImages) as PrivateImage[];

describe("the platform's own images in stacks/images.ts", () => {
  it.each(names)("%s has a definition under images/", (name) => {
    expect(defs.has(name)).toBe(true);
  });

  it.each(names)("%s is pinned by the digest in images/images.lock.json", (name) => {
    const entry = lock[name];
    if (!entry)
      throw new Error(`images/images.lock.json has no ${name}: run \`npm run images\` and commit the lock`);
    expect(refs[privateImages[name]]).toBe(
      `registry.dc-a.cloud.internal/${entry.repository}:${name === "installer" ? "v1.34.4-pc.1" : "v1.4.2"}@${entry.digest}`,
    );
  });

  it.each(names)(
    "%s: the lock was written from the current definition (else run `npm run images`)",
    (name) => {
      expect({ name, inputs: lock[name]?.inputs }).toEqual({ name, inputs: keys.get(name) });
    },
  );

  // The build itself is in the cache outside the repository: CI builds it
  // before the tests; elsewhere the check runs when it is there.
  const built = names.filter((n) => currentBuild(n, keys));
  const check = process.env.CI ? names : built;
  if (check.length > 0)
    it.each(check)("%s: the built image has the pinned digest", (name) => {
      const b = currentBuild(name, keys);
      if (!b) throw new Error(`${name} is not built from the current inputs: run \`npm run images\``);
      expect(b.digest).toBe(lock[name]?.digest);
    });
});
