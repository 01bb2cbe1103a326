/**
 * Releases end to end, for real: two simulated datacenters (two API servers,
 * scripts/sim.sh), their platform stacks `sim` and `sim-b` applied once each,
 * then the release CLI as a business team runs it (`npm run release`):
 * release, new version, history, rollback, a policy gate, a concurrent
 * release, two datacenters in order, a failing canary that stops the
 * rollout, destroy.
 *
 * Runs when the toolchain is present; in CI a missing toolchain fails it.
 * Port bases: PRIVATE_CLOUD_RELEASE_E2E_PORT_BASES (default 19400,19600).
 */
import { spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { stringify } from "yaml";
import { explain, missingTools, projectDir, run, toolchainEnv, type Run, simKubectl } from "./toolchain";
import { RELEASE_NODE_ARGS } from "../../scripts/lib/release-node-args";

jest.setTimeout(20 * 60 * 1000);

const work = path.join(projectDir, ".e2e", `release-${process.pid}-${Date.now()}`);
const [portA, portB] = (process.env.PRIVATE_CLOUD_RELEASE_E2E_PORT_BASES ?? "19400,19600").split(",");
const sims = {
  sim: { dir: path.join(work, "sim-a"), port: portA },
  "sim-b": { dir: path.join(work, "sim-b"), port: portB },
} as const;
type Dc = keyof typeof sims;
const state = path.join(work, "state");
const env = toolchainEnv({
  PULUMI_BACKEND_URL: `file://${state}`,
  PULUMI_CONFIG_PASSPHRASE: "private-cloud-local-only",
  RELEASE_USER: "e2e@ci",
});
const missing = missingTools(env);
const catalog = path.join(work, "apps");
const timings: Record<string, number> = {};

const simEnv = (dc: Dc) => ({
  ...env,
  PRIVATE_CLOUD_SIM_DIR: sims[dc].dir,
  PRIVATE_CLOUD_SIM_PORT_BASE: sims[dc].port,
  PRIVATE_CLOUD_KUBECONFIG: path.join(sims[dc].dir, "kubeconfig"),
});
/** The release CLI as `npm run release` starts it (package.json). */
const CLI = [...RELEASE_NODE_ARGS, "release/cli.ts"];
const release = (args: string[]): Run => run(process.execPath, [...CLI, ...args, "--apps-dir", catalog], env);
const kubectl = (dc: Dc, args: string[]): Run => simKubectl(sims[dc].dir, env).kubectl(args);
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- kubectl JSON
const kubeJson = (dc: Dc, args: string[]): any => simKubectl(sims[dc].dir, env).kubeJson(args);
function ok(r: Run, what: string): Run {
  if (r.status !== 0) throw new Error(`${what} failed: ${explain(r)}`);
  timings[what] = r.seconds;
  return r;
}
/** JSON lines of a --json run. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- engine events
const events = (r: Run): any[] =>
  r.stdout
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l));
const writeCatalog = (entry: Record<string, unknown>) =>
  fs.writeFileSync(path.join(catalog, "shop.yaml"), stringify(entry));
const shop = (datacenters: unknown[], extra: Record<string, unknown> = {}) => ({
  business: "shop",
  template: "jetty-web",
  image: "shop/web",
  version: "1.0.0",
  replicas: { min: 2, max: 4 },
  warmupSeconds: 5,
  datacenters,
  ...extra,
});
const imageIn = (dc: Dc) =>
  kubeJson(dc, ["get", "deployment", "shop", "-n", "shop"]).spec.template.spec.containers[0].image as string;
const historyOf = (dc: Dc) => events(ok(release(["shop", "history", "--dc", dc, "--json"]), `history ${dc}`));

/** Pulumi's stack lock files on the file backend (release/lock.ts). */
const lockFiles = (): string[] => {
  const dir = path.join(state, ".pulumi", "locks");
  return fs.existsSync(dir)
    ? fs
        .readdirSync(dir, { recursive: true })
        .map(String)
        .filter((f) => f.endsWith(".json"))
    : [];
};

async function waitFor(what: string, check: () => boolean, seconds = 90): Promise<void> {
  for (let i = 0; i < seconds; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 1000));
  }
  throw new Error(`${what}: not within ${seconds}s`);
}

const suite = missing.length === 0 ? describe : process.env.CI ? describe : describe.skip;

suite(
  `releases on two simulated datacenters${missing.length ? ` (missing: ${missing.join(", ")})` : ""}`,
  () => {
    beforeAll(() => {
      if (missing.length)
        throw new Error(`toolchain incomplete, missing ${missing.join(", ")}: run \`npm run toolchain\``);
      fs.mkdirSync(state, { recursive: true });
      fs.mkdirSync(catalog, { recursive: true });
      fs.cpSync(path.join(projectDir, "apps", "templates"), path.join(catalog, "templates"), {
        recursive: true,
      });
      for (const dc of Object.keys(sims) as Dc[]) {
        ok(run("bash", ["scripts/sim.sh", "up"], simEnv(dc)), `sim up ${dc}`);
        ok(
          run(
            "pulumi",
            ["stack", "init", dc, "--secrets-provider", "passphrase", "--non-interactive"],
            simEnv(dc),
          ),
          `stack init ${dc}`,
        );
        // One platform up per datacenter for the whole file (the platform's own e2e checks it in depth).
        ok(
          run("pulumi", ["up", "--yes", "--stack", dc, "--skip-preview", "--non-interactive"], simEnv(dc)),
          `platform up ${dc}`,
        );
      }
    });

    afterAll(() => {
      if (!missing.length) {
        for (const dc of Object.keys(sims) as Dc[]) run("bash", ["scripts/sim.sh", "down"], simEnv(dc));
        console.log(`release end-to-end wall times (s): ${JSON.stringify(timings)}`);
      }
      fs.rmSync(work, { recursive: true, force: true });
    });

    it("refuses bad input with exit 2 and creates nothing", () => {
      writeCatalog(shop([{ name: "sim" }]));
      const cases: [string[], string][] = [
        [
          ["bank", "up", "--yes"],
          'business: "bank" is not in the catalog (expected one of: shop; add apps/bank.yaml)',
        ],
        [
          ["shop", "up", "--dc", "dc-z", "--yes"],
          '--dc: "dc-z" is not a target of shop (expected some of: sim',
        ],
        [
          ["shop", "up", "--set", "replicas.min=1", "--yes"],
          "replicas.min: 1 is not valid (expected an integer 2-1000",
        ],
        [
          ["shop", "launch"],
          'operation "launch" is not known (expected one of: render, preview, up, destroy, rollback, history)',
        ],
        [["shop", "up"], "up changes sim: pass --yes to confirm"],
      ];
      for (const [args, message] of cases) {
        const r = release(args);
        expect([args.join(" "), r.status, r.stderr]).toEqual([
          args.join(" "),
          2,
          expect.stringContaining(message),
        ]);
      }
      expect(fs.existsSync(path.join(state, ".pulumi", "stacks", "private-cloud-release"))).toBe(false);
      expect(kubectl("sim", ["get", "deployment", "shop", "-n", "shop"]).status).not.toBe(0);
    });

    it("releases the sample business: pods Running where their affinity asks, ready endpoints in the tier's upstream Service", async () => {
      const r = ok(release(["shop", "up", "--dc", "sim", "--yes", "--json"]), "release up 1.0.0");
      const ev = events(r);
      expect(
        ev.filter((e) => e.type === "resource" && e.phase === "done").map((e) => e.resourceType),
      ).toEqual(
        expect.arrayContaining(["kubernetes:apps/v1:Deployment", "private-cloud:business:BusinessApp"]),
      );
      expect(ev.find((e) => e.type === "dc-done")).toMatchObject({
        dc: "sim",
        status: "succeeded",
        version: "1.0.0",
      });

      const nodes = new Map<string, Record<string, string>>(
        kubeJson("sim", ["get", "nodes"]).items.map(
          (n: { metadata: { name: string; labels: Record<string, string> } }) => [
            n.metadata.name,
            n.metadata.labels,
          ],
        ),
      );
      // The HPA raises the Deployment's single replica to its minimum of 2.
      // eslint-disable-next-line @typescript-eslint/no-explicit-any -- kubectl JSON
      let pods: any[] = [];
      await waitFor("2 shop pods Running", () => {
        pods = kubeJson("sim", ["get", "pods", "-n", "shop", "-l", "app.kubernetes.io/name=jetty"]).items;
        return pods.length === 2 && pods.every((p) => p.status.phase === "Running");
      });
      const placement = pods.map((p) => {
        const l = nodes.get(p.spec.nodeName) ?? {};
        return { fn: l["cmdb.private-cloud.io/function"], rack: l["cmdb.private-cloud.io/rack"] };
      });
      expect(placement.map((p) => p.fn)).toEqual(["web", "web"]);
      expect(new Set(placement.map((p) => p.rack)).size).toBe(2);

      // The ingress tier's upstream Service (platform stack) now has them, ready.
      await waitFor("upstream endpoints ready", () => {
        const slices = kubeJson("sim", [
          "get",
          "endpointslices",
          "-n",
          "shop",
          "-l",
          "kubernetes.io/service-name=jetty",
        ]).items;
        const ready = slices.flatMap(
          (s: { endpoints?: { conditions: { ready: boolean }; targetRef: { name: string } }[] }) =>
            (s.endpoints ?? []).filter((e) => e.conditions.ready).map((e) => e.targetRef.name),
        );
        return JSON.stringify([...ready].sort()) === JSON.stringify(pods.map((p) => p.metadata.name).sort());
      });
      expect(imageIn("sim")).toBe("127.0.0.1:16405/shop/web:1.0.0");
    });

    it("delivers the business's alert rules to the business Prometheus, which loads them from where they land", () => {
      // The release wrote them to the ConfigMap the platform's business Prometheus projects…
      const cm = kubeJson("sim", ["get", "configmap", "prometheus-business-rules-shop", "-n", "monitoring"]);
      const rules: string = cm.data["rules.yml"];
      for (const alert of [
        "BusinessJvmHeapHigh",
        "BusinessJvmGcTimeHigh",
        "BusinessLoggerErrors",
        "BusinessHigh5xxRatio",
        "BusinessP99LatencyHigh",
      ])
        expect(rules).toContain(`alert: ${alert}`);
      const sts = kubeJson("sim", ["get", "statefulset", "prometheus-business", "-n", "monitoring"]).spec
        .template.spec;
      const projected = sts.volumes.find((v: { name: string }) => v.name === "release-rules").projected
        .sources;
      expect(projected).toContainEqual({
        configMap: {
          name: "prometheus-business-rules-shop",
          optional: true,
          items: [{ key: "rules.yml", path: "shop.yml" }],
        },
      });
      expect(sts.containers[0].args).toContain("--enable-feature=auto-reload-config");
      // …and the instance's own prometheus.yml, as deployed, loads that file:
      // promtool reads the config with the files laid out as the pod mounts them.
      const dir = path.join(work, "prometheus-business");
      for (const sub of ["rules", "release-rules", "sa"])
        fs.mkdirSync(path.join(dir, sub), { recursive: true });
      fs.writeFileSync(path.join(dir, "sa", "token"), "t");
      fs.writeFileSync(path.join(dir, "sa", "ca.crt"), "");
      const platform = kubeJson("sim", [
        "get",
        "configmap",
        "prometheus-business-rules",
        "-n",
        "monitoring",
      ]).data;
      for (const [f, text] of Object.entries(platform))
        fs.writeFileSync(path.join(dir, "rules", f), text as string);
      fs.writeFileSync(path.join(dir, "release-rules", "shop.yml"), rules);
      const config = (
        kubeJson("sim", ["get", "configmap", "prometheus-business-config", "-n", "monitoring"]).data[
          "prometheus.yml"
        ] as string
      )
        .split("/etc/prometheus/release-rules")
        .join(path.join(dir, "release-rules"))
        .split("/etc/prometheus/rules")
        .join(path.join(dir, "rules"))
        .split("/var/run/secrets/kubernetes.io/serviceaccount")
        .join(path.join(dir, "sa"));
      fs.writeFileSync(path.join(dir, "prometheus.yml"), config);
      const check = ok(
        run("promtool", ["check", "config", path.join(dir, "prometheus.yml")], env),
        "promtool check config",
      );
      expect(check.stdout + check.stderr).toMatch(/release-rules\/shop\.yml\n\s*SUCCESS: 5 rules found/);
    });

    it("releases a new version; history grows with version, params, who, result, duration", () => {
      ok(release(["shop", "up", "--dc", "sim", "--version", "1.0.1", "--yes"]), "release up 1.0.1");
      expect(imageIn("sim")).toBe("127.0.0.1:16405/shop/web:1.0.1");
      const h = historyOf("sim");
      expect(h.map((e) => [e.update, e.operation, e.version, e.who, e.result])).toEqual([
        [2, "up", "1.0.1", "e2e@ci", "succeeded"],
        [1, "up", "1.0.0", "e2e@ci", "succeeded"],
      ]);
      expect(h[0].params).toMatch(/^[0-9a-f]{12}$/);
      expect(h[0].params).not.toBe(h[1].params);
      expect(h[0].seconds).toBeGreaterThan(0);
    });

    it("rolls back to a version from history, and refuses one that is not there", () => {
      const bad = release(["shop", "rollback", "--dc", "sim", "--version", "0.9.0", "--yes"]);
      expect(bad.status).toBe(2);
      expect(bad.stderr).toContain(
        'sim: version "0.9.0" is not in the history of shop.sim (expected one of: 1.0.1, 1.0.0)',
      );
      ok(release(["shop", "rollback", "--dc", "sim", "--version", "1.0.0", "--yes"]), "rollback 1.0.0");
      expect(imageIn("sim")).toBe("127.0.0.1:16405/shop/web:1.0.0");
      const h = historyOf("sim");
      expect([h.length, h[0].operation, h[0].version, h[0].params]).toEqual([
        3,
        "rollback",
        "1.0.0",
        h[2].params,
      ]);
    });

    it("stops at a mandatory policy violation with the policy's message, changing nothing", () => {
      // The catalog accepts these probes; the pack refuses identical readiness and liveness.
      const r = release([
        "shop",
        "up",
        "--dc",
        "sim",
        "--version",
        "1.0.2",
        "--set",
        "probes.liveness.periodSeconds=5",
        "--set",
        "probes.readiness.failureThreshold=6",
        "--yes",
      ]);
      expect(r.status).toBe(3);
      expect(r.stderr).toContain("readinessProbe and livenessProbe are identical");
      expect(imageIn("sim")).toBe("127.0.0.1:16405/shop/web:1.0.0");
    });

    it("a concurrent release of the same business and datacenter is told who holds it", async () => {
      // The first release holds the stack for a while: its pods ask for
      // machines no node has, so its rollout waits out a 30 s timeout and fails.
      const first = spawn(
        process.execPath,
        [
          ...CLI,
          "shop",
          "up",
          "--dc",
          "sim",
          "--version",
          "1.0.3",
          "--set",
          "machineFunction=gpu",
          "--set",
          "rolloutTimeoutSeconds=30",
          "--yes",
          "--apps-dir",
          catalog,
        ],
        { cwd: projectDir, env: { ...env, RELEASE_USER: "first@ci" } },
      );
      let firstErr = "";
      first.stderr.on("data", (d) => (firstErr += String(d)));
      const exited = new Promise<number>((resolve) => first.on("exit", (code) => resolve(code ?? 1)));
      const hasLock = () => lockFiles().some((f) => f.includes("shop.sim"));
      await waitFor("the first release holds the lock", hasLock, 180);
      const second = release(["shop", "up", "--dc", "sim", "--version", "1.0.4", "--yes"]);
      expect(second.status).toBe(4);
      expect(second.stderr).toMatch(/sim: locked .*shop\.sim is being released by \S+@\S+ \(pid \d+\)/);
      // The first fails: its new pod cannot be scheduled, and the error says why.
      expect(await exited).toBe(1);
      expect(firstErr).toContain("sim: failed version 1.0.3");
      expect(firstErr).toMatch(/cannot be scheduled: .*node affinity/);
      // Both attempts are accounted for: the first one in history, the refused one nowhere.
      const history = historyOf("sim").map((e) => [e.version, e.who, e.result]);
      expect(history[0]).toEqual(["1.0.3", "first@ci", "failed"]);
      expect(history.some(([v]) => v === "1.0.4")).toBe(false);
    });

    it("releases to two datacenters in order, the first as canary", () => {
      writeCatalog(shop([{ name: "sim" }, { name: "sim-b", overrides: { replicas: { max: 3 } } }]));
      const r = ok(release(["shop", "up", "--version", "1.1.0", "--yes", "--json"]), "release up 2 DCs");
      const ev = events(r).filter((e) => e.type === "dc-start" || e.type === "dc-done");
      expect(ev.map((e) => [e.type, e.dc, e.status ?? (e.canary ? "canary" : "")])).toEqual([
        ["dc-start", "sim", "canary"],
        ["dc-done", "sim", "succeeded"],
        ["dc-start", "sim-b", ""],
        ["dc-done", "sim-b", "succeeded"],
      ]);
      expect([imageIn("sim"), imageIn("sim-b")]).toEqual([
        "127.0.0.1:16405/shop/web:1.1.0", // sim's mirror: its loopback registry
        "registry.sim.cloud.internal/shop/web:1.1.0", // sim-b's
      ]);
      expect(kubeJson("sim-b", ["get", "hpa", "shop", "-n", "shop"]).spec.maxReplicas).toBe(3);
    });

    it("a failing canary stops the rollout and leaves the next datacenter untouched", () => {
      // The canary asks for machines no node has: its pods never schedule and
      // the rollout times out there.
      writeCatalog(
        shop([
          { name: "sim-b", overrides: { machineFunction: "gpu", rolloutTimeoutSeconds: 15 } },
          { name: "sim" },
        ]),
      );
      const before = historyOf("sim");
      const deployment = () => kubeJson("sim", ["get", "deployment", "shop", "-n", "shop"]);
      const generation = deployment().metadata.generation;
      const r = release(["shop", "up", "--version", "1.2.0", "--yes"]);
      timings["failing canary"] = r.seconds;
      expect(r.status).toBe(1);
      // The canary failed and says why: the scheduler's own reason.
      expect(r.stderr).toMatch(/sim-b: failed version 1\.2\.0/);
      expect(r.stderr).toMatch(/cannot be scheduled: 0\/\d+ nodes are available: .*node affinity/);
      expect(r.stderr).toContain("sim: not-started");
      // The second datacenter is untouched: no update in its history, the same
      // Deployment generation and image, no lock left behind.
      expect(historyOf("sim").map((e) => e.update)).toEqual(before.map((e) => e.update));
      expect(deployment().metadata.generation).toBe(generation);
      expect(imageIn("sim")).toBe("127.0.0.1:16405/shop/web:1.1.0");
      expect(lockFiles()).toEqual([]);
    });

    it("destroys the release in every datacenter; the platform's upstream Service stays", () => {
      writeCatalog(shop([{ name: "sim" }, { name: "sim-b" }]));
      ok(release(["shop", "destroy", "--yes"]), "destroy");
      for (const dc of ["sim", "sim-b"] as Dc[]) {
        expect([dc, kubectl(dc, ["get", "deployment", "shop", "-n", "shop"]).status]).toEqual([dc, 1]);
        expect([dc, kubectl(dc, ["get", "service", "jetty", "-n", "shop"]).status]).toEqual([dc, 0]);
        // Its alert rules leave the business Prometheus with it.
        expect([
          dc,
          kubectl(dc, ["get", "configmap", "prometheus-business-rules-shop", "-n", "monitoring"]).status,
        ]).toEqual([dc, 1]);
      }
      expect(historyOf("sim")[0]).toMatchObject({ kind: "destroy", result: "succeeded" });
    });
  },
);
