/**
 * lvs-director-agent against the real API server of the simulated
 * datacenter (scripts/sim.sh, in a directory and on ports of its own): two
 * agents with recording data planes follow Services and EndpointSlices
 * through create, scale, roll and delete; one is killed during churn and
 * resyncs; the API server is restarted and the watches resume; bad Services
 * get Events. The scenario itself is Go (internal/agent/scenario_test.go,
 * TestScenarioSimulatedDatacenter); this test starts the sim and runs it.
 *
 * Runs when the toolchain is present; in CI a missing toolchain fails.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse, stringify } from "yaml";
import { explain, run, toolchainEnv, type Run } from "./toolchain";
import { goEnv, repoDir, runGoTests } from "../helpers/go";
import {
  directorAgentClusterRole,
  directorAgentClusterRoleBinding,
  directorAgentConfig,
  directorAgentServiceAccount,
  directorAgentTokenSecret,
  lvsNamespace,
} from "../../components/fullnat-lvs/sync";
import { serviceMetadataFor } from "../../components/fullnat-lvs/contract";
import { vipAssignments } from "../../components/fullnat-lvs/vips";
import { fixture, modelOf } from "../helpers/config";

jest.setTimeout(15 * 60 * 1000);

const work = path.join(os.tmpdir(), `pc-lvs-agent-${process.pid}-${Date.now()}`);
const simDir = path.join(work, "sim");
const simEnv = toolchainEnv({
  PRIVATE_CLOUD_SIM_DIR: simDir,
  // Its own ports: beside a developer's sim (16400) and the e2e suite's (17400).
  PRIVATE_CLOUD_SIM_PORT_BASE: "18400",
});
const needed = [
  "etcd",
  "kube-apiserver",
  "kube-controller-manager",
  "kube-scheduler",
  "kwok",
  "kubectl",
  "go",
];
const missing = needed.filter((t) => run("bash", ["-c", `command -v ${t}`], simEnv).status !== 0);
const suite = missing.length === 0 ? describe : process.env.CI ? describe : describe.skip;

suite(
  `lvs-director-agent on the simulated datacenter${missing.length ? ` (missing: ${missing.join(", ")})` : ""}`,
  () => {
    beforeAll(() => {
      if (missing.length)
        throw new Error(`toolchain incomplete, missing ${missing.join(", ")}: run \`npm run toolchain\``);
      fs.mkdirSync(work, { recursive: true });
      const up = run("bash", ["scripts/sim.sh", "up"], simEnv);
      if (up.status !== 0) throw new Error(`sim up failed: ${explain(up)}`);
    });
    afterAll(() => {
      if (!missing.length) run("bash", ["scripts/sim.sh", "down"], simEnv);
      fs.rmSync(work, { recursive: true, force: true });
    });

    it("follows Services and EndpointSlices through churn, an agent kill and an API server restart", () => {
      const env = goEnv({
        PATH: simEnv.PATH ?? "",
        PRIVATE_CLOUD_SIM_DIR: simDir,
        PRIVATE_CLOUD_SIM_PORT_BASE: "18400",
        LVS_AGENT_KUBECONFIG: path.join(simDir, "kubeconfig"),
        LVS_AGENT_SIM_DIR: simDir,
        LVS_AGENT_SIM_UP: `bash ${path.join(repoDir, "scripts", "sim.sh")} up`,
      });
      const results = runGoTests(
        path.join(repoDir, "controllers", "lvs-director-agent"),
        ["-run", "^TestScenarioSimulatedDatacenter$", "-v", "./internal/agent/"],
        env,
      );
      const r = results.get(
        "private-cloud/controllers/lvs-director-agent/internal/agent TestScenarioSimulatedDatacenter",
      );
      if (r?.action !== "pass")
        throw new Error(
          `${r?.action ?? "no result"}\n${r?.output ?? [...results.values()].map((x) => x.output).join("\n")}`,
        );
    });

    it("the built agent, with its own least-privilege ServiceAccount, applies a Service and exports its series", async () => {
      const kubeconfig = path.join(simDir, "kubeconfig");
      const kubectl = (args: string[], input?: string): Run =>
        run("kubectl", ["--kubeconfig", kubeconfig, ...args], simEnv, input);
      const ok = (r: Run, what: string) => {
        if (r.status !== 0) throw new Error(`${what}: ${explain(r)}`);
        return r;
      };
      // The identity FullnatLVS creates, applied as is.
      const objs = [
        { apiVersion: "v1", kind: "Namespace", ...lvsNamespace() },
        { apiVersion: "v1", kind: "ServiceAccount", ...directorAgentServiceAccount() },
        { apiVersion: "rbac.authorization.k8s.io/v1", kind: "ClusterRole", ...directorAgentClusterRole() },
        {
          apiVersion: "rbac.authorization.k8s.io/v1",
          kind: "ClusterRoleBinding",
          ...directorAgentClusterRoleBinding(),
        },
        { apiVersion: "v1", kind: "Secret", ...directorAgentTokenSecret() },
      ];
      ok(kubectl(["apply", "-f", "-"], objs.map((o) => stringify(o)).join("---\n")), "apply identity");
      let token = "";
      let ca = "";
      for (let i = 0; i < 60 && !token; i++) {
        const r = kubectl(["-n", "lvs-system", "get", "secret", "lvs-director-agent-token", "-o", "json"]);
        const d = r.status === 0 ? (JSON.parse(r.stdout).data ?? {}) : {};
        token = d.token ? Buffer.from(d.token, "base64").toString() : "";
        ca = d["ca.crt"] ?? "";
        if (!token) await new Promise((res) => setTimeout(res, 500));
      }
      expect(token).not.toBe("");
      const admin = parse(fs.readFileSync(kubeconfig, "utf8"));
      const agentKubeconfig = path.join(work, "agent.kubeconfig");
      fs.writeFileSync(
        agentKubeconfig,
        stringify({
          apiVersion: "v1",
          kind: "Config",
          clusters: [
            {
              name: "sim",
              cluster: { server: admin.clusters[0].cluster.server, "certificate-authority-data": ca },
            },
          ],
          users: [{ name: "agent", user: { token } }],
          contexts: [{ name: "agent", context: { cluster: "sim", user: "agent" } }],
          "current-context": "agent",
        }),
      );
      // dc-c's first director's config; the data plane is the recording one.
      const model = modelOf(fixture("dc-c"));
      const director = model.config.lvs?.directors[0] as string;
      const config = path.join(work, "agent.json");
      fs.writeFileSync(config, JSON.stringify(directorAgentConfig(model, director)));
      const a = vipAssignments(model)[0];
      const meta = serviceMetadataFor(a, { port: 8081 });
      ok(kubectl(["create", "namespace", "lvs-e2e"]), "namespace");
      const svc = {
        apiVersion: "v1",
        kind: "Service",
        metadata: { name: "web", namespace: "lvs-e2e", ...meta },
        spec: {
          clusterIP: "None",
          ports: [{ name: "https", port: a.ports[0].port, protocol: a.ports[0].protocol }],
        },
      };
      const slice = {
        apiVersion: "discovery.k8s.io/v1",
        kind: "EndpointSlice",
        metadata: {
          name: "web-1",
          namespace: "lvs-e2e",
          labels: { ...meta.labels, "kubernetes.io/service-name": "web" },
        },
        addressType: "IPv4",
        ports: [{ name: "https", port: 8443, protocol: a.ports[0].protocol }],
        endpoints: [{ addresses: ["10.208.0.5"], conditions: { ready: true } }],
      };
      ok(kubectl(["apply", "-f", "-"], [svc, slice].map((o) => stringify(o)).join("---\n")), "apply Service");
      const port = 18490;
      const { spawn } = await import("child_process");
      const agent = spawn(
        "lvs-director-agent",
        [
          `--config=${config}`,
          `--kubeconfig=${agentKubeconfig}`,
          "--backend=recording",
          "--health-checks=false",
          `--listen=127.0.0.1:${port}`,
          `--ledger=${path.join(work, "ledger")}`,
        ],
        { env: simEnv, stdio: ["ignore", "ignore", "pipe"] },
      );
      let stderr = "";
      agent.stderr?.on("data", (b) => (stderr += String(b)));
      try {
        let metrics = "";
        const want = `lvs_rs_up{port="${a.ports[0].port}",protocol="${a.ports[0].protocol}",rs="10.208.0.5:8443",vip="${a.vip}"} 1`;
        for (let i = 0; i < 60 && !metrics.includes(want); i++) {
          await new Promise((res) => setTimeout(res, 500));
          metrics = await fetch(`http://127.0.0.1:${port}/metrics`)
            .then((r) => r.text())
            .catch(() => "");
        }
        expect(metrics).toContain(want);
        expect(metrics).toContain("lvs_agent_virtual_servers 1");
        expect(metrics).toContain("lvs_agent_reconcile_latency_seconds_bucket");
        expect(await fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.status)).toBe(200);
        expect(stderr).not.toMatch(/forbidden/i);
      } finally {
        agent.kill("SIGTERM");
      }
    });
  },
);
