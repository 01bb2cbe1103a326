/**
 * scripts/lib/lazy-pulumi-closure.js: @pulumi/pulumi loads without the
 * TypeScript compiler and @npmcli/arborist, and closure serialization still
 * works when something asks for it (the real modules load on that call).
 * Run in a child Node.js process: jest's module loader bypasses Module._load.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { RELEASE_NODE_ARGS } from "../../scripts/lib/release-node-args";

const repo = path.join(__dirname, "..", "..");
const preload = path.join(repo, "scripts", "lib", "lazy-pulumi-closure.js");

function node(script: string, withPreload: boolean): Record<string, unknown> {
  const r = spawnSync(process.execPath, [...(withPreload ? ["-r", preload] : []), "-e", script], {
    cwd: repo,
    encoding: "utf8",
  });
  // (Serializing a closure prints Node's own deprecation warnings for the
  // globals it walks, with or without the preload; no error is expected.)
  expect({ status: r.status, error: /Error/.test(r.stderr) ? r.stderr : "" }).toEqual({
    status: 0,
    error: "",
  });
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

const loaded = `
  const seen = (m) => Object.keys(require.cache).some((f) => f.includes("/node_modules/" + m + "/"));
  const out = () => ({ typescript: seen("typescript"), arborist: seen("@npmcli/arborist") });`;

describe("lazy-pulumi-closure", () => {
  it("keeps TypeScript and arborist out of a process that only loads the SDK", () => {
    const script = `${loaded} require("@pulumi/pulumi"); console.log(JSON.stringify(out()));`;
    expect(node(script, false)).toEqual({ typescript: true, arborist: true });
    expect(node(script, true)).toEqual({ typescript: false, arborist: false });
  });

  it("loads them on the first closure call, which then works as before", async () => {
    const script = `${loaded}
      const pulumi = require("@pulumi/pulumi");
      const before = out();
      pulumi.runtime.serializeFunction(() => 40 + 2).then((f) => {
        console.log(JSON.stringify({ before, after: out(), text: f.text.includes("40 + 2") }));
      });`;
    expect(node(script, true)).toEqual({
      before: { typescript: false, arborist: false },
      after: { typescript: true, arborist: false },
      text: true,
    });
  });
});

describe("RELEASE_NODE_ARGS", () => {
  it("is how package.json starts the release CLI and web UI (the tests and bench:release use the list)", () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(repo, "package.json"), "utf8")) as {
      scripts: Record<string, string>;
    };
    expect(pkg.scripts.release).toBe(`node ${RELEASE_NODE_ARGS.join(" ")} release/cli.ts`);
    expect(pkg.scripts["release:ui"]).toBe(`node ${RELEASE_NODE_ARGS.join(" ")} release/ui/server.ts`);
  });
});
