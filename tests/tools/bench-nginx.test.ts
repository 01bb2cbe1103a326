/**
 * `npm run bench:nginx` end to end with the real nginx, wrk and a CFS-quota
 * cgroup, for one short round: both variants start under the quota, serve
 * the load without errors, and the throttling counters are read. No timing
 * is asserted (targets belong to the bench, not to tests).
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { describeWithTool } from "../helpers/tools";

const repo = path.join(__dirname, "..", "..");
const canCgroup =
  process.getuid?.() === 0 &&
  (fs.existsSync("/sys/fs/cgroup/cpu/cpu.stat") || fs.existsSync("/sys/fs/cgroup/cgroup.controllers"));

describeWithTool("wrk", "bench:nginx", () => {
  (canCgroup ? it : it.skip)(
    "measures both worker counts under a 1-core quota",
    () => {
      const r = spawnSync(
        "npx",
        [
          "ts-node",
          "--transpile-only",
          "scripts/bench-nginx.ts",
          "--duration",
          "1",
          "--rounds",
          "1",
          "--no-png",
          "--json",
        ],
        { cwd: repo, encoding: "utf8", timeout: 60_000 },
      );
      expect(r.stderr).not.toMatch(/bench:nginx:/);
      expect(r.status).toBe(0);
      const out = JSON.parse(r.stdout) as {
        cpuLimitMillis: number;
        medians: {
          variant: string;
          workerProcesses: number;
          requests: number;
          errors: number;
          throttle: { nrPeriods: number };
        }[];
      };
      expect(out.cpuLimitMillis).toBe(1000);
      expect(out.medians.map((m) => [m.variant, m.workerProcesses])).toEqual([
        ["limit", 1],
        ["auto24", 24],
      ]);
      for (const m of out.medians) {
        expect(m.requests).toBeGreaterThan(0);
        expect(m.errors).toBe(0);
        // The cgroup's quota was in force while the load ran.
        expect(m.throttle.nrPeriods).toBeGreaterThan(0);
      }
    },
    90_000,
  );

  it("refuses a bad flag with its name, value and what is expected", () => {
    const r = spawnSync(
      "npx",
      ["ts-node", "--transpile-only", "scripts/bench-nginx.ts", "--cpu-limit", "lots"],
      {
        cwd: repo,
        encoding: "utf8",
        timeout: 60_000,
      },
    );
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(
      '--cpu-limit: "lots" is not valid (expected an integer of millicores in 100..64000)',
    );
  }, 60_000);
});
