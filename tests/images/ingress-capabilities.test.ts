/**
 * The ingress-nginx controller's capabilities, run for real: upstream's
 * binaries carry cap_net_bind_service=+ep as a file capability, and a
 * container that dropped every capability cannot exec them
 * (kubernetes/ingress-nginx#10002, #11331). The test gives a binary the same
 * file capability and runs it with the security context the IngressTier
 * renders, translated to podman flags, as the image's uid.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ingressControllerSecurityContext as sc } from "../../components/ingress-tier/manifests";
import { describeImage, loadImage, podman } from "./podman";

jest.setTimeout(120_000);

/** podman flags for a Kubernetes container securityContext (the fields the tier sets). */
function podmanFlags(ctx: typeof sc): string[] {
  const flags = ["--user", `${ctx.runAsUser}:${ctx.runAsGroup}`];
  for (const c of ctx.capabilities.drop) flags.push("--cap-drop", c);
  for (const c of ctx.capabilities.add ?? []) flags.push("--cap-add", c);
  if (ctx.allowPrivilegeEscalation === false) flags.push("--security-opt", "no-new-privileges");
  return flags;
}

const haveSetcap = spawnSync("bash", ["-c", "command -v setcap"]).status === 0;

(haveSetcap ? describeImage("base") : describe.skip)("ingress-nginx controller capabilities", () => {
  let image: string;
  let dir: string;
  beforeAll(() => {
    image = loadImage("base");
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "pc-caps-"));
    fs.chmodSync(dir, 0o755);
    // A stand-in for /nginx-ingress-controller: a shell with the same file capability.
    fs.copyFileSync("/usr/bin/dash", path.join(dir, "controller"));
    const r = spawnSync("setcap", ["cap_net_bind_service=+ep", path.join(dir, "controller")], {
      encoding: "utf8",
    });
    if (r.status !== 0) throw new Error(`setcap: ${r.stderr}`);
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  const exec = (flags: string[]) =>
    podman([
      "run",
      "--rm",
      ...flags,
      "-v",
      `${dir}/controller:/controller:ro`,
      image,
      "/controller",
      "-c",
      "echo started",
    ]);

  it("starts with the tier's security context (drop ALL, add NET_BIND_SERVICE, no privilege escalation)", () => {
    expect(sc.capabilities.drop).toEqual(["ALL"]);
    expect(sc.capabilities.add).toEqual(["NET_BIND_SERVICE"]);
    const r = exec(podmanFlags(sc));
    expect(r.stderr).toBe("");
    expect(r.stdout.trim()).toBe("started");
  });

  it("would not start with every capability dropped (the defect)", () => {
    const r = exec(podmanFlags({ ...sc, capabilities: { drop: ["ALL"], add: [] } }));
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/operation not permitted/i);
  });
});
