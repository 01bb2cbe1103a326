/**
 * Every host script the program generates passes the real shellcheck.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { describeWithTool, runTool } from "../helpers/tools";
import { masterFiles } from "../../components/master-ha/manifests";
import {
  adminKubeconfigScript,
  masterInstallScript,
  masterRemoveScript,
  pkiBundleScript,
} from "../../components/master-ha/scripts";
import { hostBootstrapScript, rackBootstrapScript } from "../../components/minion-pool/bootstrap";
import { TUNING_SCRIPT } from "../../components/minion-pool/tuning";
import { fixture, modelOf } from "../helpers/config";

describeWithTool("shellcheck", "generated host scripts", () => {
  const model = modelOf(fixture("dc-a"));
  const host = model.masters[0];
  const installer = "registry.dc-a.cloud.internal/private-cloud/installer:v1";
  const hostScript = hostBootstrapScript(model, installer, "https://10.250.16.10:6443");
  const scripts: [string, string][] = [
    [
      "master install (first)",
      masterInstallScript({
        model,
        host,
        installerImage: installer,
        files: masterFiles({ model, host }),
        first: true,
      }),
    ],
    [
      "master install (others)",
      masterInstallScript({
        model,
        host: model.masters[1],
        installerImage: installer,
        files: masterFiles({ model, host: model.masters[1] }),
        first: false,
      }),
    ],
    ["master remove", masterRemoveScript(model, host, installer)],
    ["pki bundle", pkiBundleScript(installer)],
    ["admin kubeconfig", adminKubeconfigScript()],
    ["minion host bootstrap", hostScript],
    ["rack fan-out", rackBootstrapScript(model, model.racks[2], hostScript)],
    ["node tuning agent", TUNING_SCRIPT],
  ];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "shellcheck-"));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it.each(scripts)("%s", (name, text) => {
    const file = path.join(dir, `${name.replace(/\W+/g, "-")}.sh`);
    fs.writeFileSync(file, text);
    const { status, output } = runTool("shellcheck", ["--shell=bash", "--severity=style", file]);
    expect(output).toBe("");
    expect(status).toBe(0);
  });
});

describeWithTool("shellcheck", "the project's own scripts", () => {
  const root = path.join(__dirname, "..", "..");
  const scripts = [
    ".ci/run",
    ...["scripts", "scripts/lib"].flatMap((d) =>
      fs
        .readdirSync(path.join(root, d))
        .filter((f) => f.endsWith(".sh"))
        .map((f) => `${d}/${f}`),
    ),
    // The images' own entrypoints and commands.
    "images/base-s6/rootfs/usr/local/bin/s6-init",
    "images/jetty/rootfs/usr/local/bin/jetty-start",
    "images/installer/rootfs/usr/local/bin/installer",
  ];

  it("are found", () =>
    expect(scripts).toEqual(
      expect.arrayContaining([".ci/run", "scripts/sim.sh", "scripts/main.sh", "scripts/toolchain.sh"]),
    ));

  it.each(scripts)("%s", (file) => {
    // Each script's own #! line says its shell (the images' sh scripts are POSIX sh).
    const shell = fs.readFileSync(path.join(root, file), "utf8").startsWith("#!/bin/sh") ? "sh" : "bash";
    const { status, output } = runTool("shellcheck", ["-x", `--shell=${shell}`, path.join(root, file)]);
    expect(output).toBe("");
    expect(status).toBe(0);
  });
});
