/**
 * Real-tool checks (nginx -t, promtool, bird, shellcheck). The tools come from
 * Debian via `npm run toolchain`; CI always has them, so there a missing tool
 * fails the suite instead of silently skipping the check.
 */
import { execFileSync, spawnSync } from "child_process";

export function hasTool(name: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${name}`], { stdio: "ignore" }).status === 0;
}

/** `describe` when the tool exists; in CI a missing tool is a failure, locally a visible skip. */
export function describeWithTool(tool: string, title: string, body: () => void): void {
  if (hasTool(tool)) return describe(`${title} (real ${tool})`, body);
  if (process.env.CI) {
    return describe(title, () => {
      it(`needs ${tool}`, () => {
        throw new Error(`${tool} is not installed; run \`npm run toolchain\` (CI must have it)`);
      });
    });
  }
  return describe.skip(`${title} (skipped: ${tool} not installed; run \`npm run toolchain\`)`, body);
}

/** Runs a tool, returning exit status and combined output. */
export function runTool(cmd: string, args: string[], input?: string): { status: number; output: string } {
  try {
    const output = execFileSync(cmd, args, { input, encoding: "utf8", stdio: ["pipe", "pipe", "pipe"] });
    return { status: 0, output };
  } catch (e) {
    const err = e as { status?: number; stdout?: string; stderr?: string };
    return { status: err.status ?? 1, output: `${err.stdout ?? ""}${err.stderr ?? ""}` };
  }
}
