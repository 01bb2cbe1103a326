/**
 * scripts/env.sh registers the plugins it finds on PATH in pulumi's plugin
 * cache and switches ambient lookup off, so a run prints no routine
 * "using <plugin> from $PATH" warnings (issue 14, "Noise"). Stand-in plugin
 * executables on PATH and a fresh PULUMI_HOME; the real CLI resolving them is
 * exercised by every e2e suite. (Checked by hand with CLI v3.274.1: a preview
 * finds pulumi-resource-kubernetes in the cache at the SDK's 4.34.2, prints no
 * "from $PATH" warning, and without PULUMI_DEV prints the version warning.)
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const repo = path.resolve(__dirname, "..", "..");
const pin = (pkg: string): string =>
  JSON.parse(fs.readFileSync(path.join(repo, "package.json"), "utf8")).dependencies[pkg];

function sourceEnv(bin: string, home: string): Record<string, string> {
  const r = spawnSync(
    "bash",
    ["-c", `source scripts/env.sh && echo "IGNORE=\${PULUMI_IGNORE_AMBIENT_PLUGINS:-} DEV=\${PULUMI_DEV:-}"`],
    // PRIVATE_CLOUD_CACHE points at an empty dir: only the stand-ins (and the repo's shims) are on PATH.
    {
      cwd: repo,
      encoding: "utf8",
      env: {
        PATH: `${bin}:/usr/bin:/bin`,
        SHLVL: "1",
        PULUMI_HOME: home,
        PRIVATE_CLOUD_CACHE: path.join(home, "cache"),
      },
    },
  );
  expect(r.stderr).toBe("");
  return Object.fromEntries(
    r.stdout
      .trim()
      .split(" ")
      .map((kv) => kv.split("=") as [string, string]),
  );
}

function standIns(names: string[]): string {
  const bin = fs.mkdtempSync(path.join(os.tmpdir(), "pc-env-plugins-bin-"));
  for (const n of names) fs.writeFileSync(path.join(bin, n), "#!/bin/sh\n", { mode: 0o755 });
  return bin;
}

describe("scripts/env.sh plugin registration", () => {
  it("links each plugin on PATH into the cache under the version its SDK asks for and turns ambient lookup off", () => {
    const bin = standIns(["pulumi-resource-kubernetes", "pulumi-resource-random", "pulumi-language-nodejs"]);
    const home = fs.mkdtempSync(path.join(os.tmpdir(), "pc-env-plugins-home-"));
    expect(sourceEnv(bin, home)).toEqual({ IGNORE: "true", DEV: "true" });
    const plugins = path.join(home, "plugins");
    const link = (dir: string, file: string) => fs.readlinkSync(path.join(plugins, dir, file));
    expect(link(`resource-kubernetes-v${pin("@pulumi/kubernetes")}`, "pulumi-resource-kubernetes")).toBe(
      path.join(bin, "pulumi-resource-kubernetes"),
    );
    expect(link(`resource-random-v${pin("@pulumi/random")}`, "pulumi-resource-random")).toBe(
      path.join(bin, "pulumi-resource-random"),
    );
    // Asked for without a version: any registered one matches.
    expect(link("language-nodejs-v0.0.0", "pulumi-language-nodejs")).toBe(
      path.join(bin, "pulumi-language-nodejs"),
    );
    // The repo's shims are on PATH too.
    expect(link("analyzer-policy-v0.0.0", "pulumi-analyzer-policy")).toBe(
      path.join(repo, "scripts", "shims", "pulumi-analyzer-policy"),
    );
    // Not on PATH: not registered (left to the cache as before).
    expect(fs.existsSync(path.join(plugins, `resource-command-v${pin("@pulumi/command")}`))).toBe(false);
    // Sourcing again (another shell, the same cache) keeps the links and changes nothing.
    expect(sourceEnv(bin, home)).toEqual({ IGNORE: "true", DEV: "true" });
    expect(fs.readdirSync(path.join(plugins, `resource-kubernetes-v${pin("@pulumi/kubernetes")}`))).toEqual([
      "pulumi-resource-kubernetes",
    ]);
  });

  it("keeps ambient lookup on when the cache cannot be written", () => {
    const bin = standIns(["pulumi-resource-kubernetes"]);
    const home = fs.mkdtempSync(path.join(os.tmpdir(), "pc-env-plugins-home-"));
    fs.writeFileSync(path.join(home, "plugins"), "a file where the plugin dir should be");
    expect(sourceEnv(bin, home).IGNORE).toBe("");
  });
});
