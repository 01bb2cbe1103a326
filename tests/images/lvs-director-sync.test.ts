/**
 * The lvs-director-sync image: FullnatLVS's systemd unit on each director
 * copies the agent out of it with `podman create` + `podman cp` and runs it
 * on the host. The test does the same copy and runs what it got.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { directorAgentPaths } from "../../components/fullnat-lvs/sync";
import { describeImage, loadImage, ok, podman } from "./podman";

jest.setTimeout(120_000);

describeImage("lvs-director-sync")("lvs-director-sync image", () => {
  let image: string;
  let dir: string;
  beforeAll(() => {
    image = loadImage("lvs-director-sync");
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "pc-lvs-"));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("holds the agent where the director's unit copies it from, and the copy runs on the host", () => {
    const c = ok(podman(["create", image]), "podman create").trim();
    try {
      ok(podman(["cp", `${c}:${directorAgentPaths.imageBinary}`, path.join(dir, "agent")]), "podman cp");
    } finally {
      podman(["rm", c]);
    }
    const r = spawnSync(path.join(dir, "agent"), ["-h"], { encoding: "utf8" });
    expect(r.stderr).toContain("-check-config");
    expect(r.status).toBe(0);
  });
});
