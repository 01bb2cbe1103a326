/**
 * `npm run rightsize` against a real Prometheus (Debian's, on loopback),
 * backfilled with four recorded shapes of an ingress tier: over-provisioned,
 * throttled (the seed's incident), spiky, and too new to judge. Each shape's
 * recommendation is asserted, the patch applies with `git apply`, and the
 * patched stack passes validation and the policy pack.
 */
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse } from "yaml";
import { loadStackFile } from "../../stacks/config";
import { rightsize, type RightsizeResult } from "../../rightsize";
import { projectDir } from "../helpers/config";
import { describeWithTool } from "../helpers/tools";
import { startPrometheus, type PrometheusServer } from "../rightsize/prometheus-server";
import { openMetrics, SHAPES } from "../rightsize/shapes";

jest.setTimeout(180_000);

/** The sim stack with the four shapes as its businesses (inventory by absolute path, so the copy loads anywhere). */
function stackText(): string {
  const src = fs.readFileSync(path.join(projectDir, "Pulumi.sim.yaml"), "utf8");
  const businesses = `  private-cloud:businesses:
    - name: roomy
      hosts: [roomy.sim.example.com]
      ports: [{port: 80}, {port: 443}]
    - name: starved
      hosts: [starved.sim.example.com]
      cpuLimitMillis: 2000
      memoryLimitMiB: 2048
      minReplicas: 3
      maxReplicas: 6
    - name: spiky
      hosts: [spiky.sim.example.com]
      cpuLimitMillis: 4000
      memoryLimitMiB: 2048
      minReplicas: 4
      maxReplicas: 8
      targetCpuUtilizationPercent: 70
    - name: fresh
      hosts: [fresh.sim.example.com]
      cpuLimitMillis: 2000
      memoryLimitMiB: 1024
      minReplicas: 2
      maxReplicas: 4
`;
  const out = src
    .replace(/ {2}private-cloud:businesses:\n(?: {4,}.*\n)+/, businesses)
    // The sim's certificate is for its own business (shop), not these shapes.
    .replace(/ {2}private-cloud:tls:\n(?: {4,}.*\n)+/, "")
    .replace("inventory: inventory/sim.yaml", `inventory: ${path.join(projectDir, "inventory", "sim.yaml")}`);
  if (!out.includes("name: spiky"))
    throw new Error("Pulumi.sim.yaml changed shape: the test cannot put its businesses in");
  return out;
}

describeWithTool("prometheus", "rightsize against a real Prometheus", () => {
  let prom: PrometheusServer;
  let dir: string;
  let file: string;
  let result: RightsizeResult;
  let apps: string;
  const end = Math.floor(Date.now() / 1000 / 3600) * 3600 - 3600;

  beforeAll(async () => {
    prom = await startPrometheus(openMetrics(SHAPES, end));
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "pc-rightsize-"));
    // Named as the stack it is (datacenter "sim").
    file = path.join(dir, "Pulumi.sim.yaml");
    fs.writeFileSync(file, stackText());
    // A catalog with one business: the Jetty pods behind the throttled tier.
    apps = path.join(dir, "apps");
    fs.cpSync(path.join(projectDir, "apps", "templates"), path.join(apps, "templates"), { recursive: true });
    fs.writeFileSync(
      path.join(apps, "starved.yaml"),
      `# The throttled tier's Jetty pods.
business: starved
template: jetty-web
image: starved/web
version: 1.0.0
replicas: {min: 3, max: 6}
resources:
  cpuRequestMillis: 2000
  cpuLimitMillis: 2000
  memoryLimitMiB: 2048
datacenters:
  - name: sim
`,
    );
    result = await rightsize({
      appsDir: apps,
      stackFile: file,
      windowSeconds: 2 * 86400,
      end,
      endpoints: { business: prom.url, infra: prom.url },
    });
  });
  afterAll(async () => {
    await prom?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const tier = (b: string, kind: "ingress" | "jetty" = "ingress") => {
    const t = result.tiers.find((x) => x.business === b && x.tier === kind);
    if (!t) throw new Error(`no result for ${b}`);
    return t.recommendation;
  };

  it("shrinks the over-provisioned tier one step, workers following the limit", () => {
    const r = tier("roomy");
    if (r.status !== "ok") throw new Error(r.reason);
    expect(r.recommended).toEqual({
      cpuRequestMillis: 3000,
      cpuLimitMillis: 3000,
      memoryLimitMiB: 2048,
      minReplicas: 2,
      maxReplicas: 5,
      targetCpuUtilizationPercent: 80,
    });
    expect(r.workers).toEqual({ current: 6, recommended: 3 });
    expect(r.evidence).toMatchObject({
      cpuP99Cores: 0.6,
      throttledRatio: 0,
      memoryPeakMiB: 300,
      spiky: false,
    });
  });

  it("gives the throttled tier a bigger limit and one more worker, and scales it out before latency rises", () => {
    const r = tier("starved");
    if (r.status !== "ok") throw new Error(r.reason);
    expect(r.recommended).toEqual({
      cpuRequestMillis: 2250,
      cpuLimitMillis: 3000,
      memoryLimitMiB: 1088,
      minReplicas: 3,
      maxReplicas: 6,
      targetCpuUtilizationPercent: 69,
    });
    expect(r.workers).toEqual({ current: 2, recommended: 3 });
    expect(r.evidence.throttledRatio).toBeCloseTo(0.35, 2);
    expect(r.evidence.latencyKneeCoresPerPod).toBe(1.95);
    expect(r.notes[0]).toMatch(/^throttled in 35(\.\d)?% of CFS periods/);
  });

  it("keeps enough pods for the spiky tier's bursts", () => {
    const r = tier("spiky");
    if (r.status !== "ok") throw new Error(r.reason);
    expect(r.evidence.spiky).toBe(true);
    expect(r.recommended).toEqual({
      cpuRequestMillis: 2900,
      cpuLimitMillis: 4000,
      memoryLimitMiB: 1024,
      minReplicas: 5,
      maxReplicas: 8,
      targetCpuUtilizationPercent: 69,
    });
  });

  it("recommends nothing for a tier with three hours of data, and says how much it needs", () => {
    expect(tier("fresh")).toEqual({
      status: "insufficient-data",
      reason: "only 3 h of CPU samples in the window; at least 24 h are needed (one daily cycle)",
    });
  });

  it("gives the throttled Jetty pods a bigger limit, JVM processors following it, in the catalog file", () => {
    const r = tier("starved", "jetty");
    if (r.status !== "ok") throw new Error(r.reason);
    expect(r.recommended).toMatchObject({ cpuLimitMillis: 3000, memoryLimitMiB: 1472 });
    expect(r.workers).toEqual({ current: 2, recommended: 3 });
    expect(result.patch).toContain("+++ b/apps/starved.yaml");
  });

  it("passes validation and the policy pack, and the patch applies and loads with the new values", () => {
    expect(result.verdict).toEqual({ ok: true, problems: [], advisories: [] });
    const work = fs.mkdtempSync(path.join(dir, "apply-"));
    fs.writeFileSync(path.join(work, "Pulumi.sim.yaml"), fs.readFileSync(file));
    fs.cpSync(apps, path.join(work, "apps"), { recursive: true });
    fs.writeFileSync(path.join(work, "p.patch"), result.patch);
    execFileSync("git", ["apply", "--check", "p.patch"], { cwd: work });
    execFileSync("git", ["apply", "p.patch"], { cwd: work });
    const model = loadStackFile(path.join(work, "Pulumi.sim.yaml"));
    const starved = model.config.businesses.find((b) => b.name === "starved");
    expect(starved).toMatchObject({ cpuLimitMillis: 3000, cpuRequestMillis: 2250, memoryLimitMiB: 1088 });
    const entry = parse(fs.readFileSync(path.join(work, "apps", "starved.yaml"), "utf8")) as {
      resources: Record<string, number>;
    };
    expect(entry.resources).toMatchObject({ cpuLimitMillis: 3000, memoryLimitMiB: 1472 });
    expect(fs.readFileSync(path.join(work, "apps", "starved.yaml"), "utf8")).toContain(
      "# The throttled tier's Jetty pods.",
    );
    const fresh = model.config.businesses.find((b) => b.name === "fresh");
    expect(fresh).toMatchObject({
      cpuLimitMillis: 2000,
      memoryLimitMiB: 1024,
      minReplicas: 2,
      maxReplicas: 4,
    });
  });

  describe("the CLI", () => {
    const cli = (...args: string[]) =>
      spawnSync(
        process.execPath,
        ["-r", "ts-node/register/transpile-only", path.join(projectDir, "scripts", "rightsize.ts"), ...args],
        {
          cwd: projectDir,
          encoding: "utf8",
          env: { ...process.env, PRIVATE_CLOUD_PROMETHEUS_URL: "" },
        },
      );

    /** The stack, catalog, Prometheus and window of the in-process run above. */
    const onTheShapes = () => [
      "sim",
      "--stack-file",
      file,
      "--apps-dir",
      apps,
      "--prometheus",
      prom.url,
      "--window",
      "2d",
      "--end",
      String(end),
    ];

    it("prints the table and writes the same patch", () => {
      const out = path.join(dir, "cli.patch");
      const r = cli(...onTheShapes(), "--patch", out);
      expect(r.stderr).not.toMatch(/error/i);
      expect(r.status).toBe(0);
      expect(r.stdout).toContain("starved / ingress");
      expect(r.stdout).toMatch(/nginx worker_processes +2 -> 3 +\*/);
      expect(r.stdout).toContain("fresh / ingress\n  no recommendation: only 3 h of CPU samples");
      expect(fs.readFileSync(out, "utf8")).toBe(result.patch);
    });

    it("prints only JSON on stdout with --json", () => {
      const r = cli(...onTheShapes(), "--business", "roomy", "--json");
      expect(r.status).toBe(0);
      const out = JSON.parse(r.stdout) as RightsizeResult;
      expect(out.tiers.map((t) => [t.business, t.recommendation.status])).toEqual([["roomy", "ok"]]);
      expect(out.patch).toContain("+++ b/Pulumi.sim.yaml");
      expect(out.verdict?.ok).toBe(true);
    });

    it.each([
      [
        ["nowhere"],
        2,
        'error: datacenter "nowhere" has no stack file Pulumi.nowhere.yaml (expected one of: ',
      ],
      [
        ["sim", "--window", "7x"],
        2,
        `error: option '--window <duration>' argument '7x' is invalid. "7x" is not a window (expected a count and a unit m, h, d or w, e.g. 7d)`,
      ],
      [
        ["sim", "--prometheus", "ftp://x"],
        2,
        `"ftp://x" is not an http(s) URL (expected e.g. http://127.0.0.1:9090)`,
      ],
      [
        ["sim"],
        2,
        "error: no Prometheus to read: pass --prometheus http://HOST:PORT or set PRIVATE_CLOUD_PROMETHEUS_URL",
      ],
    ])("refuses %j with exit %d", (args, code, message) => {
      const r = cli(...args);
      expect(r.status).toBe(code);
      expect(r.stderr).toContain(message);
    });

    it("refuses an unknown business, listing the datacenter's", () => {
      const r = cli(
        "sim",
        "--stack-file",
        file,
        "--apps-dir",
        apps,
        "--prometheus",
        prom.url,
        "--business",
        "nope",
      );
      expect(r.status).toBe(2);
      expect(r.stderr).toContain(
        'error: --business "nope": not a business of datacenter sim (expected one of: roomy, starved, spiky, fresh)',
      );
    });

    it("exits 3 when Prometheus cannot be read", () => {
      const r = cli("sim", "--stack-file", file, "--prometheus", "http://127.0.0.1:9", "--business", "roomy");
      expect(r.status).toBe(3);
      expect(r.stderr).toContain("error: cannot reach Prometheus at http://127.0.0.1:9/");
    });
  });
});
