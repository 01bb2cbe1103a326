/**
 * `npm run images -- --push` copies the images to a registry (the simulated
 * datacenter's, Debian's docker-registry on loopback) with their digests
 * unchanged, so the digest stacks/images.ts pins is what a node pulls.
 */
import { spawn, spawnSync, type ChildProcess } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { describeImage, projectDir, waitFor } from "./podman";
import { currentKeys, readLock } from "./lock";

jest.setTimeout(180_000);

// A port of this suite's own, away from the simulated datacenters' (16400+, 17400+).
const port = 20405;
const registryHost = `127.0.0.1:${port}`;

const haveRegistry =
  spawnSync("bash", ["-c", "command -v docker-registry && command -v skopeo"]).status === 0;

(haveRegistry || process.env.CI ? describeImage("base") : describe.skip)(
  "push to the simulated datacenter's registry",
  () => {
    let dir: string;
    let registry: ChildProcess;
    beforeAll(async () => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), "pc-registry-"));
      fs.writeFileSync(
        path.join(dir, "config.yml"),
        `version: 0.1\nlog: {level: warn}\nstorage:\n  filesystem: {rootdirectory: ${dir}/data}\nhttp:\n  addr: ${registryHost}\n`,
      );
      registry = spawn("docker-registry", ["serve", path.join(dir, "config.yml")], { stdio: "ignore" });
      await waitFor(
        () => (spawnSync("curl", ["-fs", `http://${registryHost}/v2/`]).status === 0 ? true : undefined),
        30_000,
        "registry",
      );
    });
    afterAll(() => {
      registry?.kill();
      fs.rmSync(dir, { recursive: true, force: true });
    });

    it("holds the image under its pinned digest after --push", () => {
      const r = spawnSync("bash", ["scripts/images.sh", "base", "--push", "--no-lock"], {
        cwd: projectDir,
        encoding: "utf8",
        env: { ...process.env, PRIVATE_CLOUD_REGISTRY: registryHost },
      });
      if (r.status !== 0) throw new Error(`images --push: ${r.stderr}`);
      const key = currentKeys().get("base");
      const inspect = spawnSync(
        "skopeo",
        [
          "inspect",
          "--tls-verify=false",
          "--format",
          "{{.Digest}}",
          `docker://${registryHost}/private-cloud/base:build-${key}`,
        ],
        { encoding: "utf8" },
      );
      expect(inspect.stderr).toBe("");
      expect(inspect.stdout.trim()).toBe(readLock().base?.digest);
    });
  },
);
