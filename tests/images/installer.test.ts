/**
 * The installer image, run with podman against a temporary host root: the
 * files it writes are exactly what MasterHA renders (components/master-ha,
 * the real builders), a second run changes nothing, and a new version
 * rewrites what changed — the upgrade path (README "Upgrades").
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { masterFiles, paths } from "../../components/master-ha/manifests";
import { fixture, modelOf } from "../helpers/config";
import { describeImage, loadImage, ok, podman } from "./podman";

jest.setTimeout(180_000);

describeImage("installer")("installer image: master install", () => {
  let image: string;
  let work: string;
  const model = modelOf(fixture("dc-a"));
  const host = model.masters[0];

  beforeAll(() => {
    image = loadImage("installer");
    work = fs.mkdtempSync(path.join(os.tmpdir(), "pc-installer-"));
    for (const d of [
      "host/etc/kubernetes",
      "host/var/lib/kubelet",
      model.config.masters.etcdDataDir.replace(/^\//, "host/"),
    ])
      fs.mkdirSync(path.join(work, d), { recursive: true });
  });
  afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

  /** Stages the rendered files as masterInstallScript does (stage/files/<host path>) and runs the image on them. */
  function install(files: Record<string, string>): string {
    const stage = fs.mkdtempSync(path.join(work, "stage-"));
    for (const [p, content] of Object.entries(files)) {
      fs.mkdirSync(path.join(stage, "files", path.dirname(p)), { recursive: true });
      fs.writeFileSync(path.join(stage, "files", p), content);
    }
    fs.chmodSync(stage, 0o755);
    const out = ok(
      podman([
        "run",
        "--rm",
        "--network",
        "none",
        "-v",
        `${work}/host/etc/kubernetes:/etc/kubernetes`,
        "-v",
        `${work}/host/var/lib/kubelet:/var/lib/kubelet`,
        "-v",
        `${stage}:/stage:ro`,
        image,
        "master",
        "install",
        "--stage",
        "/stage/files",
        "--node-name",
        host.hostname,
        "--advertise-address",
        host.ip,
      ]),
      "installer master install",
    );
    fs.rmSync(stage, { recursive: true, force: true });
    return out;
  }

  const onHost = (p: string) => path.join(work, "host", p);
  const mtimes = (files: Record<string, string>) =>
    Object.fromEntries(Object.keys(files).map((p) => [p, fs.statSync(onHost(p)).mtimeMs]));

  let first: Record<string, string>;
  let firstTimes: Record<string, number>;

  it("writes the static Pod manifests and kubelet config the program renders", () => {
    first = masterFiles({ model, host });
    const out = install(first);
    for (const [p, content] of Object.entries(first))
      expect({ p, content: fs.readFileSync(onHost(p), "utf8") }).toEqual({ p, content });
    for (const m of ["etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler"])
      expect(Object.keys(first)).toContain(`${paths.manifests}/${m}.yaml`);
    expect(Object.keys(first)).toContain(paths.kubeletConfig);
    expect(out).toContain(`${Object.keys(first).length} updated, 0 unchanged`);
    // Keys and tokens end up owner-only, like kubeadm's.
    expect(fs.statSync(onHost(paths.encryptionConfig)).mode & 0o777).toBe(0o600);
    firstTimes = mtimes(first);
  });

  it("changes nothing when run again", () => {
    const out = install(first);
    expect(out).toContain(`0 updated, ${Object.keys(first).length} unchanged`);
    expect(mtimes(first)).toEqual(firstTimes);
  });

  it("rewrites what a new version changes, and only that", () => {
    const f = fixture("dc-a");
    (f.raw.kubernetes as { version: string }).version = "v1.34.5";
    const next = masterFiles({ model: modelOf(f), host });
    const changed = Object.keys(next).filter((p) => next[p] !== first[p]);
    expect(changed).toEqual(
      expect.arrayContaining([
        `${paths.manifests}/kube-apiserver.yaml`,
        `${paths.manifests}/kube-controller-manager.yaml`,
        `${paths.manifests}/kube-scheduler.yaml`,
      ]),
    );
    const out = install(next);
    for (const p of changed) expect(out).toContain(`updated ${p}`);
    expect(out).toContain(
      `${changed.length} updated, ${Object.keys(next).length - changed.length} unchanged`,
    );
    for (const [p, content] of Object.entries(next)) expect(fs.readFileSync(onHost(p), "utf8")).toBe(content);
    expect(fs.readFileSync(onHost(`${paths.manifests}/kube-apiserver.yaml`), "utf8")).toContain(":v1.34.5");
  });

  it("refuses a stage that is not a directory, naming it", () => {
    const r = podman([
      "run",
      "--rm",
      image,
      "master",
      "install",
      "--stage",
      "/nope",
      "--node-name",
      "x",
      "--advertise-address",
      "10.0.0.1",
    ]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("--stage /nope is not a directory");
  });

  it("runs etcdctl of the image's version", () => {
    const out = ok(podman(["run", "--rm", image, "etcdctl", "version"]), "etcdctl version");
    expect(out).toMatch(/etcdctl version: 3\.6\./);
  });
});
