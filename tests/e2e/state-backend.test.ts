/**
 * The team's shared state backend, for real: versitygw (S3-compatible,
 * posix backend) started by scripts/state-backend.sh on loopback, the real
 * pulumi CLI logged in with the URL the README documents, and two `pulumi up`
 * of one stack at once. The second finds the first's lock in the bucket and
 * fails with Pulumi's lock message; the first completes; the state stays
 * valid and the lock is gone, so the next update runs.
 */
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { explain, projectDir, run, toolchainEnv } from "./toolchain";
import { freePort } from "../../scripts/lib/free-port";

jest.setTimeout(5 * 60 * 1000);

const work = path.join(os.tmpdir(), `pc-state-${process.pid}-${Date.now()}`);
const needed = ["pulumi", "pulumi-language-nodejs", "versitygw", "curl", "openssl"];
const baseEnv = toolchainEnv({ PRIVATE_CLOUD_SIM_DIR: path.join(work, "sim") });
const missing = needed.filter(
  (t) => spawnSync("bash", ["-c", `command -v ${t}`], { env: baseEnv }).status !== 0,
);
const suite = missing.length === 0 || process.env.CI ? describe : describe.skip;

/** The exports `state-backend.sh env` prints, as an environment. */
function backendEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const r = run("bash", ["-c", 'eval "$(bash scripts/state-backend.sh env)" && env -0'], env);
  if (r.status !== 0) throw new Error(explain(r));
  const out: NodeJS.ProcessEnv = {};
  for (const kv of r.stdout.split("\0")) {
    const i = kv.indexOf("=");
    if (i > 0) out[kv.slice(0, i)] = kv.slice(i + 1);
  }
  return out;
}

function findFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? findFiles(p) : [p];
  });
}

suite(`shared S3 state backend${missing.length ? ` (missing: ${missing.join(", ")})` : ""}`, () => {
  let env: NodeJS.ProcessEnv = baseEnv;
  const project = path.join(work, "lock-probe");
  const locks = () => findFiles(path.join(work, "sim", "s3", "data", "pulumi-state", ".pulumi", "locks"));
  const pulumi = (args: string[], extra: Record<string, string> = {}) =>
    run("pulumi", [...args, "--non-interactive"], { ...env, ...extra }, undefined, project);

  beforeAll(async () => {
    if (missing.length) throw new Error(`missing ${missing.join(", ")}: run \`npm run toolchain\``);
    fs.mkdirSync(project, { recursive: true });
    const port = await freePort();
    env = { ...baseEnv, PRIVATE_CLOUD_STATE_PORT: String(port) };
    const up = run("bash", ["scripts/state-backend.sh", "up"], env);
    if (up.status !== 0) throw new Error(explain(up));
    env = { ...env, ...backendEnv(env) };
    // A program with no provider: it only waits, so one update holds the
    // stack's lock for as long as LOCK_PROBE_SLEEP_MS says.
    fs.writeFileSync(
      path.join(project, "Pulumi.yaml"),
      "name: lock-probe\nruntime: nodejs\nmain: index.js\n",
    );
    fs.writeFileSync(
      path.join(project, "index.js"),
      [
        'const ms = Number(process.env.LOCK_PROBE_SLEEP_MS || "0");',
        'exports.run = new Promise((r) => setTimeout(() => r(process.env.LOCK_PROBE_RUN || "?"), ms));',
        "",
      ].join("\n"),
    );
    fs.symlinkSync(path.join(projectDir, "node_modules"), path.join(project, "node_modules"));
  });

  afterAll(() => {
    if (!missing.length) run("bash", ["scripts/state-backend.sh", "down"], env);
    fs.rmSync(work, { recursive: true, force: true });
  });

  it("documents the URL form pulumi accepts: the stack is created in the bucket", () => {
    expect(env.PULUMI_BACKEND_URL).toMatch(
      /^s3:\/\/pulumi-state\?endpoint=127\.0\.0\.1:\d+&s3ForcePathStyle=true&disableSSL=true&region=us-east-1$/,
    );
    const init = pulumi(["stack", "init", "team", "--secrets-provider", "passphrase"]);
    expect(init.status).toBe(0);
    const ls = pulumi(["stack", "ls", "--json"]);
    expect(JSON.parse(ls.stdout).map((s: { name: string }) => s.name)).toEqual(["team"]);
  });

  it("keeps two concurrent updates of one stack apart: the second fails with the lock message", async () => {
    const first = spawn("pulumi", ["up", "--yes", "--non-interactive", "--stack", "team"], {
      cwd: project,
      env: { ...env, LOCK_PROBE_SLEEP_MS: "8000", LOCK_PROBE_RUN: "first" },
    });
    let firstOut = "";
    first.stdout.on("data", (c: Buffer) => (firstOut += c.toString()));
    first.stderr.on("data", (c: Buffer) => (firstOut += c.toString()));
    const firstDone = new Promise<number>((r) => first.on("exit", (code) => r(code ?? 1)));
    // Start the second once the first holds the lock (a bound on waiting, not a timing assertion).
    for (let i = 0; i < 300 && locks().length === 0; i++) await new Promise((r) => setTimeout(r, 100));
    expect(locks()).toHaveLength(1);

    const second = pulumi(["up", "--yes", "--stack", "team"], { LOCK_PROBE_RUN: "second" });
    expect(second.status).not.toBe(0);
    expect(second.stderr + second.stdout).toMatch(
      /the stack is currently locked by 1 lock\(s\)\. Either wait for the other process\(es\) to end or delete the lock file with `pulumi cancel`\./,
    );
    expect(second.stderr + second.stdout).toMatch(/created by .*\(pid \d+\)/);

    expect(await firstDone).toBe(0);
    expect(firstOut).toMatch(/Outputs:[\s\S]*run\s*:\s*"first"/);
  });

  it("leaves the state valid and unlocked: the export parses and the next update runs", () => {
    expect(locks()).toEqual([]);
    const exported = pulumi(["stack", "export", "--stack", "team"]);
    expect(exported.status).toBe(0);
    const state = JSON.parse(exported.stdout) as {
      deployment: { resources: { type: string; outputs?: Record<string, unknown> }[] };
    };
    const stack = state.deployment.resources.find((r) => r.type === "pulumi:pulumi:Stack");
    expect(stack?.outputs?.run).toBe("first");
    const next = pulumi(["up", "--yes", "--stack", "team"], { LOCK_PROBE_RUN: "third" });
    expect(next.status).toBe(0);
    expect(pulumi(["stack", "output", "run", "--stack", "team"]).stdout.trim()).toBe("third");
  });
});
