/**
 * The release CLI without a cluster: help, exit codes, bad input, render.
 * (Releases themselves are in tests/e2e/release.test.ts.)
 */
import * as fs from "fs";
import { PassThrough } from "stream";
import { parseAllDocuments } from "yaml";
import { EXIT, main, type Io } from "../../release/cli";
import { minimalEntry, tempCatalog } from "../helpers/catalog";

const dir = tempCatalog({ shop: minimalEntry("shop") });
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out = new PassThrough();
  const err = new PassThrough();
  let o = "";
  let e = "";
  out.on("data", (d) => (o += String(d)));
  err.on("data", (d) => (e += String(d)));
  const io: Io = { stdout: out, stderr: err, interactive: false, ask: async () => false };
  const code = await main([...argv, "--apps-dir", dir], io, { backendUrl: "file:///nonexistent-never-used" });
  return { code, out: o, err: e };
}

describe("release CLI", () => {
  it("--help lists every operation, option and exit code", async () => {
    const r = await cli("--help");
    expect(r.code).toBe(EXIT.ok);
    for (const word of [
      "render",
      "preview",
      "up",
      "destroy",
      "rollback",
      "history",
      "--dc",
      "--version",
      "--set",
      "--json",
      "--yes",
      "--pause",
      "--schema",
    ])
      expect([word, r.out.includes(word)]).toEqual([word, true]);
    expect(r.out).toContain("2 bad input, nothing created · 3 mandatory policy violation");
  });

  it.each([
    [["shop"], "usage: release <business> <render|preview|up|destroy|rollback|history>"],
    [["shop", "deploy"], 'operation "deploy" is not known'],
    [
      ["bank", "render"],
      'business: "bank" is not in the catalog (expected one of: shop; add apps/bank.yaml)',
    ],
    [["shop", "render", "--dc", "dc-q"], '--dc: "dc-q" is not a target of shop'],
    [["shop", "up"], "up changes sim: pass --yes to confirm (stdin is not a terminal to ask on)"],
    [["shop", "up", "--yes", "--pause"], "--pause needs a terminal"],
    [
      ["shop", "render", "--set", "resources.cpuLimitMillis=lots"],
      'resources.cpuLimitMillis: "lots" is not valid',
    ],
    [["shop", "render", "--bogus"], "unknown option '--bogus'"],
  ])("%j exits 2: %s", async (argv, message) => {
    const r = await cli(...argv);
    expect([r.code, r.err]).toEqual([EXIT.badInput, expect.stringContaining(message)]);
  });

  it("render prints the objects as YAML, without a cluster", async () => {
    const r = await cli("shop", "render", "--version", "3.1.4");
    expect(r.code).toBe(EXIT.ok);
    const docs = parseAllDocuments(r.out).map((d) => d.toJS());
    expect(docs.map((d) => d.kind)).toEqual([
      "ConfigMap",
      "ConfigMap",
      "ConfigMap",
      "Secret",
      "ConfigMap",
      "Deployment",
      "HorizontalPodAutoscaler",
      "PodDisruptionBudget",
      "NetworkPolicy",
    ]);
    const dep = docs.find((d) => d.kind === "Deployment");
    expect(dep.spec.template.spec.containers[0].image).toBe("127.0.0.1:16405/shop/web:3.1.4");
    expect(JSON.stringify(docs)).not.toContain("s3cret");
  });

  it("--schema prints the catalog's JSON Schema with units and defaults (for the UI and the docs)", async () => {
    const r = await cli("--schema");
    const s = JSON.parse(r.out);
    expect(s.resolved.properties.resources.properties.cpuLimitMillis).toMatchObject({
      default: 2000,
      description: expect.stringContaining("millicores"),
    });
    expect(s.entry.required).toEqual(["business", "template", "datacenters"]);
  });
});
