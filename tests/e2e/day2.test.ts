/**
 * Day two, end to end (issue 14), on one simulated datacenter of its own
 * (port base 26400) and one converged `sim` stack reused by every scenario,
 * in an order that never converges from scratch twice:
 *
 *   1. drift: a ConfigMap deleted, a Deployment scaled, a Namespace
 *      relabelled with kubectl → `npm run drift` reports all three (exit 1)
 *      → `npm run repair` → `preview --refresh --expect-no-changes` passes;
 *   2. an interrupt at the ingress ConfigMap's replacement: SIGINT, then
 *      SIGKILL of scripts/pulumi.sh — the ConfigMap the controller uses
 *      stays, the killed run's plugins go, `npm run unlock` refuses while
 *      the holder lives and names it, removes the lock once it is gone, and
 *      the next `up` converges;
 *   3. the API server killed: `sim:status` says so, a preview fails naming
 *      the unreachable cluster; `sim.sh up` restarts it, every pod is Ready
 *      again (also one whose Ready condition was knocked down), and status
 *      is healthy;
 *   4. destroy → up: the data namespaces and claims are kept, and the next
 *      `up` mounts the same claim (a marker on it, its volume) again.
 *
 * Config changes go through a copy of Pulumi.sim.yaml (`--config-file`),
 * never the repository's file. Runs when the toolchain is present; in CI a
 * missing toolchain fails the suite.
 */
import { spawn, type ChildProcess } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse, stringify } from "yaml";
import { explain, missingTools, projectDir, run, toolchainEnv, type Run, simKubectl } from "./toolchain";

jest.setTimeout(20 * 60 * 1000);

const work = path.join(os.tmpdir(), `pc-day2-${process.pid}-${Date.now()}`);
const simDir = path.join(work, "sim");
const PORT_BASE = process.env.PRIVATE_CLOUD_DAY2_PORT_BASE ?? "26400";
const env = toolchainEnv({
  PRIVATE_CLOUD_SIM_DIR: simDir,
  PRIVATE_CLOUD_SIM_PORT_BASE: PORT_BASE,
  PRIVATE_CLOUD_KUBECONFIG: path.join(simDir, "kubeconfig"),
  PULUMI_BACKEND_URL: `file://${path.join(work, "state")}`,
  PULUMI_CONFIG_PASSPHRASE: "private-cloud-local-only",
});
const missing = missingTools(env);
const timings: Record<string, number> = {};
const configFile = path.join(work, "Pulumi.sim.yaml");
const STACK = "sim";
const TIER_NS = "ingress-shop";

/** Writes the stack's config copy with the shop tier's worker shutdown timeout (it is in the nginx ConfigMap). */
function writeConfig(shutdownTimeoutSeconds?: number): void {
  const doc = parse(fs.readFileSync(path.join(projectDir, "Pulumi.sim.yaml"), "utf8"));
  if (shutdownTimeoutSeconds !== undefined) {
    const businesses = doc.config["private-cloud:businesses"] as Record<string, unknown>[];
    businesses[0].workerShutdownTimeoutSeconds = shutdownTimeoutSeconds;
  }
  fs.writeFileSync(configFile, stringify(doc));
}

const wrapper = path.join(projectDir, "scripts", "pulumi.sh");
const pulumi = (args: string[]): Run =>
  run("bash", [wrapper, ...args, "--stack", STACK, "--config-file", configFile, "--non-interactive"], env);
const npm = (script: string, args: string[]): Run => run("npm", ["run", "-s", script, "--", ...args], env);
const { kubectl, kubeJson } = simKubectl(simDir, env);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function ok(r: Run, what: string): Run {
  if (r.status !== 0) throw new Error(`${what} failed: ${explain(r)}`);
  timings[what] = r.seconds;
  return r;
}

/** Polls until `check` returns a value (not undefined) or the bound passes; the error says what was awaited. */
async function until<T>(what: string, seconds: number, check: () => T | undefined): Promise<T> {
  const t0 = Date.now();
  let last: unknown;
  for (;;) {
    try {
      const v = check();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() - t0 > seconds * 1000)
      throw new Error(`${what}: not within ${seconds}s${last ? ` (last error: ${String(last)})` : ""}`);
    await sleep(500);
  }
}

/** The nginx-controller ConfigMaps of the shop tier (content-named). */
const controllerConfigMaps = (): string[] =>
  kubeJson(["get", "configmaps", "-n", TIER_NS])
    .items.map((c: { metadata: { name: string } }) => c.metadata.name)
    .filter((n: string) => n.startsWith("nginx-controller-"))
    .sort();

/** The ConfigMap the live controller Deployment is told to read (`--configmap=$(POD_NAMESPACE)/<name>`). */
function configMapInUse(): string {
  const d = kubeJson(["get", "deployment", "nginx", "-n", TIER_NS]);
  const args: string[] = d.spec.template.spec.containers.flatMap((c: { args?: string[] }) => c.args ?? []);
  const arg = args.find((a) => a.startsWith("--configmap="));
  if (!arg)
    throw new Error(`deployment ${TIER_NS}/nginx has no --configmap argument: ${JSON.stringify(args)}`);
  return arg.split("/").pop() as string;
}

/** Live (not zombie) pids of a session: pulumi's, with its plugins in their own process groups. */
function sessionMembers(sid: number): number[] {
  const r = run("ps", ["-eo", "pid=,sid=,stat="], env);
  return r.stdout
    .split("\n")
    .map((l) => l.trim().split(/\s+/))
    .filter(([pid, s, stat]) => Number(s) === sid && Number(pid) > 0 && !stat?.startsWith("Z"))
    .map(([pid]) => Number(pid));
}

/** Alive and not a zombie (a killed process stays one until its parent reaps it). */
function alive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return !/^[ZX]/.test(stat.slice(stat.lastIndexOf(")") + 2));
  } catch {
    return false;
  }
}

interface Background {
  readonly child: ChildProcess;
  readonly done: Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string }>;
}

/** `scripts/pulumi.sh up` in the background, to be interrupted. */
function upInBackground(): Background {
  const child = spawn(
    "bash",
    [
      wrapper,
      "up",
      "--yes",
      "--skip-preview",
      "--stack",
      STACK,
      "--config-file",
      configFile,
      "--non-interactive",
    ],
    { cwd: projectDir, env },
  );
  let out = "";
  child.stdout?.on("data", (b) => (out += b));
  child.stderr?.on("data", (b) => (out += b));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string }>((resolve) =>
    child.on("exit", (code, signal) => resolve({ code, signal, out })),
  );
  return { child, done };
}

const suite = missing.length === 0 ? describe : process.env.CI ? describe : describe.skip;

suite(
  `day two on the simulated datacenter${missing.length ? ` (missing: ${missing.join(", ")})` : ""}`,
  () => {
    beforeAll(() => {
      if (missing.length)
        throw new Error(`toolchain incomplete, missing ${missing.join(", ")}: run \`npm run toolchain\``);
      fs.mkdirSync(path.join(work, "state"), { recursive: true });
      writeConfig();
      ok(run("bash", ["scripts/sim.sh", "up"], env), "sim up");
      ok(
        run("pulumi", ["stack", "init", STACK, "--secrets-provider", "passphrase", "--non-interactive"], env),
        "stack init",
      );
      ok(pulumi(["up", "--yes", "--skip-preview"]), "converge");
    });

    afterAll(() => {
      if (!missing.length) {
        run("bash", ["scripts/sim.sh", "down"], env);
        console.log(`day-two wall times (s): ${JSON.stringify(timings)}`);
      }
      fs.rmSync(work, { recursive: true, force: true });
    });

    it("reports kubectl drift and repairs it with no lasting diff", () => {
      const replicas = kubeJson(["get", "deployment", "es-client", "-n", "logging"]).spec.replicas as number;
      ok(kubectl(["delete", "configmap", "rack-gateways", "-n", TIER_NS]), "drift: delete configmap");
      ok(
        kubectl(["scale", "deployment", "es-client", "-n", "logging", `--replicas=${replicas + 1}`]),
        "drift: scale",
      );
      ok(
        kubectl([
          "label",
          "namespace",
          "monitoring",
          "pod-security.kubernetes.io/enforce=privileged",
          "--overwrite",
        ]),
        "drift: relabel",
      );

      const drift = npm("drift", [STACK, "--config-file", configFile]);
      timings["drift check"] = drift.seconds;
      expect(drift.status).toBe(1);
      expect(drift.stdout).toMatch(/create +kubernetes:core\/v1:ConfigMap \S*rack-gateways/);
      expect(drift.stdout).toMatch(/update +kubernetes:apps\/v1:Deployment \S*client/);
      expect(drift.stdout).toMatch(/update +kubernetes:core\/v1:Namespace \S*monitoring/);

      ok(npm("repair", [STACK, "--config-file", configFile]), "repair");
      ok(pulumi(["preview", "--refresh", "--expect-no-changes"]), "no changes after repair");
      expect(kubectl(["get", "configmap", "rack-gateways", "-n", TIER_NS]).status).toBe(0);
      expect(kubeJson(["get", "deployment", "es-client", "-n", "logging"]).spec.replicas).toBe(replicas);
      expect(
        kubeJson(["get", "namespace", "monitoring"]).metadata.labels["pod-security.kubernetes.io/enforce"],
      ).toBe("restricted");
      expect(npm("drift", [STACK, "--config-file", configFile]).status).toBe(0);
    });

    it("keeps the ingress ConfigMap through SIGINT at its replacement, and the next up converges", async () => {
      const before = configMapInUse();
      writeConfig(31);
      const bg = upInBackground();
      const seen = await until("a second nginx-controller ConfigMap (the replacement)", 300, () =>
        controllerConfigMaps().length >= 2 ? controllerConfigMaps() : undefined,
      );
      bg.child.kill("SIGINT");
      const r = await bg.done;
      expect(`${seen.join(",")} exit ${r.code}`).toContain(before);
      // The interrupt came before the old map's deletion, which Pulumi does last.
      expect(controllerConfigMaps()).toContain(before);
      expect(controllerConfigMaps()).toContain(configMapInUse());

      ok(pulumi(["up", "--yes", "--skip-preview"]), "up after SIGINT");
      expect(controllerConfigMaps()).toEqual([configMapInUse()]);
      expect(configMapInUse()).not.toBe(before);
    });

    it("after SIGKILL: plugins gone, unlock refuses while the holder lives, then unlocks, and up converges", async () => {
      const before = configMapInUse();
      writeConfig(32);
      const bg = upInBackground();
      await until("a second nginx-controller ConfigMap (the replacement)", 300, () =>
        controllerConfigMaps().length >= 2 ? true : undefined,
      );
      // pulumi leads its own session (scripts/pulumi.sh): stop the CLI, so it
      // holds the stack's lock, alive, for as long as the check takes.
      const pg = await until("pulumi's session", 30, () => {
        const kids = run("pgrep", ["-P", String(bg.child.pid)], env)
          .stdout.split("\n")
          .map(Number)
          .filter(Boolean);
        return kids.find((pid) => sessionMembers(pid).length > 1);
      });
      expect(sessionMembers(pg).length).toBeGreaterThan(2); // the CLI, its language host, node, providers
      process.kill(pg, "SIGSTOP");
      const refused = npm("unlock", [STACK]);
      expect(refused.status).toBe(3);
      expect(refused.stderr).toContain(`(pid ${pg})`);
      expect(refused.stderr).toContain("still running");

      bg.child.kill("SIGKILL");
      await bg.done;
      await until("every process of the killed run to end", 60, () =>
        sessionMembers(pg).length === 0 ? true : undefined,
      );
      expect(controllerConfigMaps()).toContain(before);
      expect(controllerConfigMaps()).toContain(configMapInUse());

      const unlocked = ok(npm("unlock", [STACK]), "unlock");
      expect(unlocked.stdout).toContain("no longer running");
      ok(npm("repair", [STACK, "--config-file", configFile]), "repair after SIGKILL");
      ok(pulumi(["preview", "--refresh", "--expect-no-changes"]), "no changes after SIGKILL repair");
      expect(controllerConfigMaps()).toEqual([configMapInUse()]);
    });

    it("fails a preview clearly with the API server down, and recovers every pod after its restart", async () => {
      const pid = Number(fs.readFileSync(path.join(simDir, "run", "kube-apiserver.pid"), "utf8"));
      process.kill(pid, "SIGKILL");
      await until("the API server to exit", 30, () => (alive(pid) ? undefined : true));

      const down = run("bash", ["scripts/sim.sh", "status"], env);
      expect(down.status).toBe(1);
      expect(down.stdout).toMatch(/kube-apiserver +down/);
      expect(down.stdout).toMatch(/etcd +healthy/);

      const preview = pulumi(["preview"]);
      timings["preview, API server down"] = preview.seconds;
      expect(preview.status).not.toBe(0);
      expect(preview.stdout + preview.stderr).toMatch(
        new RegExp(
          `the cluster at https://127.0.0.1:${Number(PORT_BASE) + 43} \\(kubeconfig .*\\) is unreachable`,
        ),
      );

      ok(run("bash", ["scripts/sim.sh", "up"], env), "sim restart");
      const healthy = ok(run("bash", ["scripts/sim.sh", "status"], env), "sim status");
      expect(healthy.stdout).toMatch(/kube-apiserver +healthy/);
      expect(healthy.stdout).not.toMatch(/down|unhealthy/);
      expect(
        fs
          .readFileSync(path.join(simDir, "logs", "kube-apiserver.log"), "utf8")
          .match(/starting kube-apiserver/g),
      ).toHaveLength(2);

      // What a lapsed node lease does to pods: Ready=False on a Running pod.
      ok(
        kubectl([
          "patch",
          "pod",
          "-n",
          "logging",
          "es-data-0",
          "--subresource=status",
          "--type=strategic",
          "-p",
          JSON.stringify({
            status: { conditions: [{ type: "Ready", status: "False", reason: "NodeNotReady" }] },
          }),
        ]),
        "knock es-data-0 NotReady",
      );
      const notReady = () =>
        kubeJson(["get", "pods", "-A"])
          .items.filter(
            (p: { status: { phase: string; conditions?: { type: string; status: string }[] } }) =>
              p.status.phase === "Running" &&
              p.status.conditions?.find((c) => c.type === "Ready")?.status !== "True",
          )
          .map(
            (p: { metadata: { namespace: string; name: string } }) =>
              `${p.metadata.namespace}/${p.metadata.name}`,
          );
      await until("every Running pod Ready again", 180, () =>
        notReady().length === 0 ? true : undefined,
      ).catch((e) => {
        throw new Error(`${(e as Error).message}; not Ready: ${notReady().join(", ")}`);
      });
    });

    it("keeps data namespaces and claims through destroy, and the next up mounts the same claim", async () => {
      const claim = "data-es-data-0";
      const marker = `day2-${Date.now()}`;
      ok(
        kubectl(["annotate", "pvc", claim, "-n", "logging", `private-cloud.io/e2e-marker=${marker}`]),
        "mark claim",
      );
      const pvc = kubeJson(["get", "pvc", claim, "-n", "logging"]);
      expect(pvc.status.phase).toBe("Bound");

      ok(pulumi(["destroy", "--yes", "--skip-preview"]), "destroy");
      expect(kubectl(["get", "namespace", "logging"]).status).toBe(0);
      expect(kubectl(["get", "namespace", "monitoring"]).status).toBe(0);
      // A namespace that is not kept goes (its deletion finishes in the background).
      await until(`namespace ${TIER_NS} deleted`, 180, () =>
        kubectl(["get", "namespace", TIER_NS]).status !== 0 ? true : undefined,
      );
      const kept = kubeJson(["get", "pvc", claim, "-n", "logging"]);
      expect(kept.metadata.uid).toBe(pvc.metadata.uid);

      ok(pulumi(["up", "--yes", "--skip-preview"]), "up after destroy");
      const again = kubeJson(["get", "pvc", claim, "-n", "logging"]);
      expect(again.metadata.uid).toBe(pvc.metadata.uid);
      expect(again.metadata.annotations["private-cloud.io/e2e-marker"]).toBe(marker);
      expect(again.spec.volumeName).toBe(pvc.spec.volumeName);
      expect(again.status.phase).toBe("Bound");
      const pod = await until("es-data-0 Running on its claim", 180, () => {
        const p = kubeJson(["get", "pod", "es-data-0", "-n", "logging"]);
        return p.status.phase === "Running" ? p : undefined;
      });
      expect(
        pod.spec.volumes.find(
          (v: { persistentVolumeClaim?: { claimName: string } }) => v.persistentVolumeClaim,
        )?.persistentVolumeClaim.claimName,
      ).toBe(claim);
      ok(pulumi(["preview", "--expect-no-changes"]), "no changes after reattach");
    });
  },
);
