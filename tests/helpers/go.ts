/**
 * Runs a Go module's tests (`go test -json`) so that `npm test` runs them
 * and CI counts them: one jest test per top-level Go test, listed with
 * `go test -list`. The Go caches are the toolchain's (scripts/toolchain.sh),
 * so the modules downloaded for the Kubernetes build are reused.
 */
import { spawnSync } from "child_process";
import * as os from "os";
import * as path from "path";

export const repoDir = path.join(__dirname, "..", "..");

export function goEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const cache = process.env.PRIVATE_CLOUD_CACHE ?? path.join(os.homedir(), ".cache", "private-cloud");
  return {
    ...process.env,
    GOMODCACHE: path.join(cache, "go", "mod"),
    GOCACHE: path.join(cache, "go", "build"),
    GOFLAGS: "-buildvcs=false",
    CGO_ENABLED: "0",
    GOTOOLCHAIN: "local",
    ...extra,
  };
}

export interface GoResult {
  readonly action: "pass" | "fail" | "skip";
  readonly output: string;
}

/** Top-level tests of every package of the module at `dir`, as "pkg/path TestName". */
export function listGoTests(dir: string, skip = ""): string[] {
  const r = spawnSync("go", ["test", "-list", ".", ...(skip ? ["-skip", skip] : []), "./..."], {
    cwd: dir,
    env: goEnv(),
    encoding: "utf8",
    maxBuffer: 64 * 2 ** 20,
  });
  if (r.status !== 0) throw new Error(`go test -list failed in ${dir}:\n${r.stdout}\n${r.stderr}`);
  const out: string[] = [];
  let pending: string[] = [];
  for (const line of r.stdout.split("\n")) {
    const ok = /^ok\s+(\S+)/.exec(line);
    if (ok) {
      out.push(...pending.map((t) => `${ok[1]} ${t}`));
      pending = [];
    } else if (/^(Test|Example|Fuzz)\w*$/.test(line) && !(skip && new RegExp(skip).test(line))) {
      pending.push(line);
    }
  }
  return out;
}

/** Runs `go test -json` and returns each top-level test's outcome by "pkg TestName". */
export function runGoTests(
  dir: string,
  args: string[],
  env: NodeJS.ProcessEnv = goEnv(),
): Map<string, GoResult> {
  const r = spawnSync("nice", ["-n", "5", "go", "test", "-json", "-count=1", ...args], {
    cwd: dir,
    env,
    encoding: "utf8",
    maxBuffer: 512 * 2 ** 20,
  });
  const outputs = new Map<string, string[]>();
  const results = new Map<string, GoResult>();
  for (const line of r.stdout.split("\n")) {
    if (!line.startsWith("{")) continue;
    const e = JSON.parse(line) as { Action: string; Package: string; Test?: string; Output?: string };
    if (!e.Test) {
      // A package that does not build fails every test in it.
      if (e.Action === "fail") results.set(`${e.Package} *`, { action: "fail", output: r.stderr });
      continue;
    }
    const top = `${e.Package} ${e.Test.split("/")[0]}`;
    if (e.Action === "output") outputs.set(top, [...(outputs.get(top) ?? []), e.Output ?? ""]);
    if ((e.Action === "pass" || e.Action === "fail" || e.Action === "skip") && !e.Test.includes("/"))
      results.set(top, { action: e.Action, output: (outputs.get(top) ?? []).join("").slice(-8000) });
  }
  return results;
}
