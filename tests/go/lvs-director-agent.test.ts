/**
 * The lvs-director-agent's Go tests (controllers/lvs-director-agent): unit
 * tables for desired state, diff, drain, weights, UDP, churn and bad
 * Services; the data-plane dialects against recorded expectations; metrics
 * against metrics.json; the agent against client-go's fake API. One jest
 * test per top-level Go test, so CI counts them. The test against the
 * simulated datacenter's API server runs in tests/e2e/lvs-director-agent.test.ts.
 */
import * as path from "path";
import { hasTool } from "../helpers/tools";
import { listGoTests, repoDir, runGoTests, type GoResult } from "../helpers/go";

jest.setTimeout(15 * 60 * 1000);

const dir = path.join(repoDir, "controllers", "lvs-director-agent");
const SIM_ONLY = "^TestScenarioSimulatedDatacenter$";
const haveGo = hasTool("go");
const tests = haveGo ? listGoTests(dir, SIM_ONLY) : [];
const suite = haveGo ? describe : process.env.CI ? describe : describe.skip;

suite("lvs-director-agent Go tests (go test)", () => {
  let results = new Map<string, GoResult>();
  beforeAll(() => {
    if (!haveGo) throw new Error("go is not on PATH (CI must have it: scripts/toolchain.sh checks Go)");
    results = runGoTests(dir, ["-skip", SIM_ONLY, "./..."]);
  });

  it("found the Go tests", () => {
    expect(tests.length).toBeGreaterThan(5);
  });

  it.each(tests.map((t) => [t]))("%s", (name) => {
    const r = results.get(name);
    const pkg = name.split(" ")[0];
    const broken = results.get(`${pkg} *`);
    if (r?.action !== "pass")
      throw new Error(`${name}: ${r?.action ?? "no result"}\n${r?.output ?? broken?.output ?? ""}`);
  });
});
