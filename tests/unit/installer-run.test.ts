/**
 * The `docker run` of the installer that MasterHA and MinionPool render gives
 * the installer exactly the mounts and environment the installer image's
 * tests run it with (tests/images/installer.test.ts, through podmanArgs): the
 * host paths the installer writes — /etc/kubernetes, the kubelet root,
 * /etc/systemd/system, the host's /usr/local/bin for kubelet — are all
 * mounted, so what the image tests prove on a temporary host root is what a
 * real host gets.
 */
import { masterInstallScript, masterRemoveScript } from "../../components/master-ha/scripts";
import { masterFiles } from "../../components/master-ha/manifests";
import { hostBootstrapScript } from "../../components/minion-pool/bootstrap";
import {
  HOST_BIN_DIR,
  HOST_BIN_MOUNT,
  masterInstallRun,
  masterLeaveRun,
  minionJoinRun,
  podmanArgs,
  type InstallerRun,
} from "../../components/common/installer-run";
import { fixture, modelOf } from "../helpers/config";

const model = modelOf(fixture("dc-a"));
const host = model.masters[0];

/** The `-v`/`-e` arguments of the script's `docker run … "$installer" <command>`, unquoted. */
function dockerRunArgs(script: string, command: string): { flags: string; args: string[] } {
  const lines = script.split("\n");
  const end = lines.findIndex((l) => l.includes(`"$installer" ${command}`));
  let start = end;
  while (start > 0 && !lines[start].includes("docker run")) start--;
  expect(lines[start]).toContain("sudo docker run");
  const text = lines.slice(start, end).join(" ").replace(/\\/g, " ");
  const args: string[] = [];
  for (const m of text.matchAll(/(-[ve]) ('[^']*'|"[^"]*"|\S+)(?::('[^']*'|\S+))?(:ro)?/g)) {
    const unq = (s: string) => s.replace(/^['"]|['"]$/g, "");
    args.push(m[1], m[3] !== undefined ? `${unq(m[2])}:${unq(m[3])}${m[4] ?? ""}` : unq(m[2]));
  }
  return { flags: lines[start], args };
}

/** What the image tests pass to podman, with the host root left empty (host paths as they are). */
const asTested = (run: InstallerRun, vars: Record<string, string> = {}) => podmanArgs(run, "", vars);

describe("the installer's docker run, as rendered", () => {
  it("master install: the mounts and environment the image test uses, kubelet's binary directory included", () => {
    const script = masterInstallScript({
      model,
      host,
      installerImage: "reg/private-cloud/installer:v1",
      files: masterFiles({ model, host }),
      first: true,
    });
    const { flags, args } = dockerRunArgs(script, "master install");
    const run = masterInstallRun(model.config.masters.etcdDataDir, "$stage");
    expect(args).toEqual(asTested(run, { stage: "$stage" }));
    expect(args).toEqual(
      expect.arrayContaining([
        "/etc/kubernetes:/etc/kubernetes",
        "/var/lib/kubelet:/var/lib/kubelet",
        "/etc/systemd/system:/etc/systemd/system",
        `${HOST_BIN_DIR}:${HOST_BIN_MOUNT}`,
        `HOST_BIN_DIR=${HOST_BIN_MOUNT}`,
        "$stage:/stage:ro",
      ]),
    );
    // The installer restarts kubelet through nsenter into PID 1's namespaces.
    expect(flags).toContain("--pid host");
    expect(script).toContain("master install --stage /stage/files");
    expect(script).toContain(" --init ");
  });

  it("minion join: the same host directories, at the configured kubelet root", () => {
    const script = hostBootstrapScript(model, "reg/private-cloud/installer:v1", "https://api:6443");
    const { args } = dockerRunArgs(script, "minion join");
    expect(args).toEqual(asTested(minionJoinRun(model.config.minions.kubeletRoot)));
    expect(args).toContain(`${HOST_BIN_DIR}:${HOST_BIN_MOUNT}`);
    expect(script).toContain(`--kubelet-root "$kubelet_root"`);
  });

  it("master leave: /etc/kubernetes (its manifests and the etcd client certificate)", () => {
    const { args } = dockerRunArgs(
      masterRemoveScript(model, host, "reg/private-cloud/installer:v1"),
      "master leave",
    );
    expect(args).toEqual(asTested(masterLeaveRun()));
  });
});
