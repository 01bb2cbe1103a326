/**
 * Builds are reproducible: rebuilding an image from the same inputs (and the
 * same Debian packages) gives the digest already pinned in the lock. `base`
 * is rebuilt here, as the one every other image stands on.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { describeImage, projectDir } from "./podman";
import { readLock } from "./lock";

jest.setTimeout(600_000);

describeImage("base")("reproducible builds", () => {
  it("rebuilding base from scratch gives the pinned digest", () => {
    // A cache of its own: the other image tests keep reading the shared one.
    const cache = fs.mkdtempSync(path.join(os.tmpdir(), "pc-images-cache-"));
    const r = spawnSync("bash", ["scripts/images.sh", "base", "--rebuild", "--no-lock"], {
      cwd: projectDir,
      encoding: "utf8",
      env: { ...process.env, PRIVATE_CLOUD_CACHE: cache },
    });
    fs.rmSync(cache, { recursive: true, force: true });
    if (r.status !== 0) throw new Error(`images.sh base --rebuild: ${r.stderr}`);
    const line = r.stdout.split("\n").find((l) => l.startsWith("base "));
    expect(line?.split(/\s+/)[1]).toBe(readLock().base?.digest);
  });
});
