/**
 * End to end, for real: the real pulumi CLI, language host, providers and
 * policy pack, against a real kube-apiserver (etcd, controller-manager,
 * scheduler, kwok nodes) started by scripts/sim.sh in a directory of its own,
 * with a local file backend.
 *
 * Runs when the toolchain is present (`npm run toolchain`); in CI a missing
 * toolchain fails the suite instead of skipping it.
 */
import { createPrivateKey, X509Certificate } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse, stringify } from "yaml";
import { explain, missingTools, projectDir, run, toolchainEnv, type Run, simKubectl } from "./toolchain";

jest.setTimeout(20 * 60 * 1000);

// Made in beforeAll, so a skipped suite (no toolchain) leaves nothing behind.
const work = path.join(os.tmpdir(), `pc-e2e-${process.pid}-${Date.now()}`);
const simDir = path.join(work, "sim");
const env = toolchainEnv({
  PRIVATE_CLOUD_SIM_DIR: simDir,
  PRIVATE_CLOUD_SIM_PORT_BASE: "17400",
  PRIVATE_CLOUD_KUBECONFIG: path.join(simDir, "kubeconfig"),
  PULUMI_BACKEND_URL: `file://${path.join(work, "state")}`,
  PULUMI_CONFIG_PASSPHRASE: "private-cloud-local-only",
});
const missing = missingTools(env);
/** A hand-written bad tier (its own Pulumi project) the policy pack must refuse. */
const badTier = path.join(__dirname, "fixtures", "bad-tier");
const timings: Record<string, number> = {};

const pulumi = (args: string[], input?: string): Run =>
  run("pulumi", [...args, "--non-interactive"], env, input);
const { kubeJson } = simKubectl(simDir, env);

function ok(r: Run, what: string): Run {
  if (r.status !== 0) throw new Error(`${what} failed: ${explain(r)}`);
  timings[what] = r.seconds;
  return r;
}

const suite = missing.length === 0 ? describe : process.env.CI ? describe : describe.skip;

suite(
  `end to end on the simulated datacenter${missing.length ? ` (missing: ${missing.join(", ")})` : ""}`,
  () => {
    beforeAll(() => {
      if (missing.length)
        throw new Error(`toolchain incomplete, missing ${missing.join(", ")}: run \`npm run toolchain\``);
      fs.mkdirSync(path.join(work, "state"), { recursive: true });
      ok(run("bash", ["scripts/sim.sh", "up"], env), "sim up");
      ok(pulumi(["stack", "init", "sim", "--secrets-provider", "passphrase"]), "stack init sim");
      ok(
        run(
          "pulumi",
          ["stack", "init", "bad", "--secrets-provider", "passphrase", "--non-interactive"],
          env,
          undefined,
          badTier,
        ),
        "stack init bad",
      );
    });

    afterAll(() => {
      if (!missing.length) {
        pulumi(["destroy", "--yes", "--stack", "sim", "--skip-preview"]);
        run("bash", ["scripts/sim.sh", "down"], env);
        console.log(`end-to-end wall times (s): ${JSON.stringify(timings)}`);
      }
      fs.rmSync(work, { recursive: true, force: true });
    });

    it("previews the sim stack with the policy pack", () => {
      const r = ok(pulumi(["preview", "--stack", "sim", "--policy-pack", "policy"]), "preview sim");
      // The preview says that no host work happens here, and why.
      expect(r.stdout).toContain("host access is off (the simulated datacenter has no real hosts");
      expect(r.stdout).not.toMatch(/mandatory policy violation/i);
    });

    it("applies the sim stack: the API server accepts every object", () => {
      const r = ok(
        pulumi(["up", "--yes", "--stack", "sim", "--policy-pack", "policy", "--skip-preview"]),
        "up sim",
      );
      expect(r.stdout).toMatch(/Resources:\s*\n\s*\+ \d+ created/);
    });

    it("puts the business's certificate (sim test CA) on its Ingress and as the tier's default certificate", () => {
      const secret = kubeJson(["get", "secret", "-n", "shop", "shop-tls"]);
      expect(secret.type).toBe("kubernetes.io/tls");
      const pem = (key: string) => Buffer.from(secret.data[key], "base64").toString();
      const cert = new X509Certificate(pem("tls.crt"));
      expect(cert.checkHost("shop.sim.example.com", { subject: "never" })).toBe("shop.sim.example.com");
      const ca = new X509Certificate(
        fs.readFileSync(path.join(__dirname, "..", "..", "scripts", "sim-tls-ca.crt")),
      );
      expect(cert.verify(ca.publicKey)).toBe(true);
      expect(cert.checkPrivateKey(createPrivateKey(pem("tls.key")))).toBe(true);
      expect(kubeJson(["get", "ingress", "-n", "shop", "shop"]).spec.tls).toEqual([
        { hosts: ["shop.sim.example.com"], secretName: "shop-tls" },
      ]);
      const tier = kubeJson(["get", "deployment", "-n", "ingress-shop", "nginx"]);
      const controller = tier.spec.template.spec.containers.find(
        (c: { name: string }) => c.name === "controller",
      );
      expect(controller.args).toContain("--default-ssl-certificate=shop/shop-tls");
    });

    it("brings every Deployment, StatefulSet and DaemonSet to ready on kwok nodes", () => {
      for (const kind of ["deployments", "statefulsets"]) {
        for (const d of kubeJson(["get", kind, "-A"]).items) {
          expect(
            `${kind} ${d.metadata.namespace}/${d.metadata.name} ready ${d.status.readyReplicas ?? 0}`,
          ).toBe(`${kind} ${d.metadata.namespace}/${d.metadata.name} ready ${d.spec.replicas}`);
        }
      }
      for (const d of kubeJson(["get", "daemonsets", "-A"]).items) {
        expect(d.status.desiredNumberScheduled).toBeGreaterThan(0);
        expect(d.status.numberReady).toBe(d.status.desiredNumberScheduled);
      }
    });

    it("scales each ingress tier to its HPA minimum (the HPA owns the replica count)", async () => {
      const want = Object.fromEntries(
        (
          parse(fs.readFileSync(path.join(projectDir, "Pulumi.sim.yaml"), "utf8")).config[
            "private-cloud:businesses"
          ] as {
            name: string;
            minReplicas: number;
          }[]
        ).map((b) => [`ingress-${b.name}`, b.minReplicas]),
      );
      const ready = () =>
        Object.fromEntries(
          kubeJson(["get", "deployments", "-A", "-l", "app.kubernetes.io/name=ingress-nginx"]).items.map(
            (d: { metadata: { namespace: string }; status: { readyReplicas?: number } }) => [
              d.metadata.namespace,
              d.status.readyReplicas ?? 0,
            ],
          ),
        );
      // The HPA controller syncs every 15 s; give it a few rounds.
      for (let i = 0; i < 30 && JSON.stringify(ready()) !== JSON.stringify(want); i++) {
        await new Promise((r) => setTimeout(r, 3000));
      }
      expect(ready()).toEqual(want);
    });

    it("schedules pods where their affinity asks (real scheduler decisions)", () => {
      const nodes = new Map<string, Record<string, string>>(
        kubeJson(["get", "nodes"]).items.map(
          (n: { metadata: { name: string; labels: Record<string, string> } }) => [
            n.metadata.name,
            n.metadata.labels,
          ],
        ),
      );
      const fn = (node: string) => nodes.get(node)?.["cmdb.private-cloud.io/function"];
      const pods = kubeJson(["get", "pods", "-A"]).items as {
        metadata: { namespace: string; name: string };
        spec: { nodeName?: string };
      }[];
      const placed = (ns: RegExp) =>
        pods
          .filter((p) => ns.test(p.metadata.namespace))
          .map((p) => [p.metadata.name, fn(p.spec.nodeName ?? "")]);
      const ingress = placed(/^ingress-/);
      expect(ingress.length).toBeGreaterThan(0);
      for (const [pod, f] of ingress) expect(`${pod} on ${f}`).toBe(`${pod} on ingress`);
      const logging = placed(/^logging$/).filter(([pod]) => /^es-(master|data)/.test(pod as string));
      expect(logging.length).toBeGreaterThan(0);
      for (const [pod, f] of logging) expect(`${pod} on ${f}`).toBe(`${pod} on logging`);
      // Ingress replicas are spread over racks.
      const placement = pods
        .filter((p) => /^ingress-/.test(p.metadata.namespace))
        .map(
          (p) =>
            `${p.metadata.name}@${nodes.get(p.spec.nodeName ?? "")?.["cmdb.private-cloud.io/rack"] ?? "unscheduled"}`,
        );
      const racks = new Set(placement.map((p) => p.split("@")[1]));
      expect({ placement, spread: racks.size >= 2 }).toEqual({ placement, spread: true });
    });

    it("reports no changes on a second up, and refresh finds no drift", () => {
      ok(pulumi(["preview", "--stack", "sim", "--expect-no-changes"]), "preview no-op");
      ok(pulumi(["refresh", "--yes", "--stack", "sim", "--expect-no-changes", "--skip-preview"]), "refresh");
    });

    it("refuses a broken config with the validation message and creates nothing", () => {
      const stack = parse(fs.readFileSync(path.join(projectDir, "Pulumi.sim.yaml"), "utf8"));
      stack.config["private-cloud:masters"].hostnames = ["sim-s1r01-01", "sim-s1r01-02"];
      const file = path.join(work, "Pulumi.broken.yaml");
      fs.writeFileSync(file, stringify(stack));
      const r = pulumi(["preview", "--stack", "sim", "--config-file", file]);
      expect(r.status).not.toBe(0);
      expect(r.stdout + r.stderr).toContain(
        "private-cloud:masters.hostnames: 2 master(s) cannot keep etcd quorum through a failure (expected 3, 5 or 7)",
      );
      expect(r.stdout + r.stderr).not.toMatch(/\+ \d+ to create/);
    });

    it("refuses the seed's incidents (24 workers on 6 cores, a 1 s probe timeout) on a real preview", () => {
      const r = run(
        "pulumi",
        ["preview", "--stack", "bad", "--policy-pack", path.join(projectDir, "policy"), "--non-interactive"],
        env,
        undefined,
        badTier,
      );
      expect(r.status).not.toBe(0);
      expect(r.stdout).toContain(
        "Deployment ingress-bad/nginx container controller: worker-processes 24 (ConfigMap ingress-bad/nginx) exceeds CPU limit 6 — set worker-processes <= 6",
      );
      expect(r.stdout).toContain(
        "Deployment ingress-bad/nginx container controller: readinessProbe timeoutSeconds 1 is below the floor 5 — set timeoutSeconds >= 5",
      );
      timings["preview bad tier (refused)"] = r.seconds;
    });

    it.each(["dc-a", "dc-b", "dc-c"])(
      "previews %s offline with the policy pack (no cluster, no SSH key)",
      (stack) => {
        ok(pulumi(["stack", "init", stack, "--secrets-provider", "passphrase"]), `stack init ${stack}`);
        const r = ok(pulumi(["preview", "--stack", stack, "--policy-pack", "policy"]), `preview ${stack}`);
        expect(r.stdout).toMatch(/\+ \d+ to create/);
        expect(r.stdout).toContain(
          "private-cloud:sshPrivateKey is not set: this preview shows the host commands",
        );
        // The company's certificates are not in this repository: the preview says so, `up` would refuse.
        expect(r.stdout).toContain("private-cloud:tls has no certificate for");
        expect(r.stdout).not.toMatch(/mandatory/);
      },
    );

    it("destroys everything except what is retained", () => {
      ok(pulumi(["destroy", "--yes", "--stack", "sim", "--skip-preview"]), "destroy sim");
      const left = kubeJson([
        "get",
        "deployments,daemonsets",
        "-A",
        "-l",
        "app.kubernetes.io/managed-by=private-cloud",
      ]).items;
      expect(left.map((o: { metadata: { name: string } }) => o.metadata.name)).toEqual([]);
    });
  },
);
