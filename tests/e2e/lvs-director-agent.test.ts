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
import { explain, run, toolchainEnv } from "./toolchain";
import { goEnv, repoDir, runGoTests } from "../helpers/go";

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
  },
);
