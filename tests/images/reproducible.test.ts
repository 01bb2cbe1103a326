/**
 * Builds are reproducible from any checkout: `base` and `base-s6` (which
 * carries files of its own directory, images/base-s6/rootfs) are rebuilt from
 * a copy of the repository's tracked files made under umask 077 — every file
 * 0600/0700, every directory 0700, new mtimes, no .git — in an image cache of
 * their own, and must give the digests pinned in the lock. A checkout's modes
 * once reached the layers (the lock held a worktree's digests a clean clone
 * did not build); scripts/images.ts now normalises them.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { describeImage, projectDir } from "./podman";
import { readLock } from "./lock";

jest.setTimeout(900_000);

describeImage("base-s6")("reproducible builds", () => {
  it("a copy made under umask 077 rebuilds base and base-s6 to the pinned digests", () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "pc-repro-"));
    try {
      const copy = path.join(tmp, "repo");
      const cp = spawnSync(
        "bash",
        ["-c", 'umask 077 && mkdir "$1" && git ls-files -z | xargs -0 cp --parents -t "$1"', "_", copy],
        { cwd: projectDir, encoding: "utf8" },
      );
      if (cp.status !== 0) throw new Error(`copying the tracked files: ${cp.stderr}`);
      expect(fs.statSync(path.join(copy, "images/base-s6/rootfs/usr/local/bin")).mode & 0o777).toBe(0o700);
      fs.symlinkSync(path.join(projectDir, "node_modules"), path.join(copy, "node_modules"));
      const r = spawnSync("bash", ["scripts/images.sh", "base-s6", "--rebuild", "--no-lock"], {
        cwd: copy,
        encoding: "utf8",
        env: { ...process.env, PRIVATE_CLOUD_IMAGES_CACHE: path.join(tmp, "images") },
      });
      if (r.status !== 0) throw new Error(`images.sh base-s6 --rebuild: ${r.stderr}`);
      const digests = Object.fromEntries(
        r.stdout
          .split("\n")
          .filter(Boolean)
          .map((l) => l.split(/\s+/).slice(0, 2)),
      );
      const lock = readLock();
      expect(digests).toEqual({ base: lock.base?.digest, "base-s6": lock["base-s6"]?.digest });
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
});
