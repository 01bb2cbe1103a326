/**
 * scripts/pulumi.sh with a stand-in `pulumi` on PATH (a Python program that
 * starts two "plugins", each in a process group of its own as pulumi
 * starts them, and handles SIGINT like the CLI: it stops them and exits 255): the exit code is passed through, SIGINT reaches pulumi, and a
 * SIGKILL of the wrapper ends pulumi's whole process group, plugins
 * included. The real CLI is driven through it in tests/e2e/day2.test.ts.
 */
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

jest.setTimeout(120_000);

const repo = path.resolve(__dirname, "..", "..");
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pc-pulumi-wrapper-"));
const marker = `pc-wrapper-plugin-${process.pid}`;

beforeAll(() => {
  fs.writeFileSync(
    path.join(dir, "pulumi"),
    [
      "#!/usr/bin/env python3",
      "import signal, subprocess, sys, time",
      "if sys.argv[1:2] == ['exit']: sys.exit(int(sys.argv[2]))",
      // exec -a names the plugins so the test can find them
      // like pulumi's plugins: each in a process group of its own (cmdutil.RegisterProcessGroup)
      `kids = [subprocess.Popen(['bash', '-c', 'exec -a ${marker} sleep 300'], process_group=0) for _ in range(2)]`,
      "def stop(sig, frame):",
      "    for k in kids: k.terminate()",
      "    sys.exit(255)",
      "signal.signal(signal.SIGINT, stop)",
      "print('started', flush=True)",
      "time.sleep(300)",
    ].join("\n"),
    { mode: 0o755 },
  );
});
afterAll(() => {
  for (const pid of plugins()) process.kill(Number(pid), "SIGKILL");
  fs.rmSync(dir, { recursive: true, force: true });
});

const env = { ...process.env, PATH: `${dir}:${process.env.PATH}` };
const plugins = () =>
  spawnSync("pgrep", ["-f", `^${marker}`], { encoding: "utf8" })
    .stdout.split("\n")
    .filter(Boolean);

async function until(what: string, seconds: number, check: () => boolean): Promise<void> {
  const t0 = Date.now();
  while (!check()) {
    if (Date.now() - t0 > seconds * 1000) throw new Error(`${what}: not within ${seconds}s`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function start() {
  const child = spawn("bash", [path.join(repo, "scripts", "pulumi.sh"), "up"], { env });
  let out = "";
  child.stdout.on("data", (b) => (out += b));
  const done = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, done, out: () => out };
}

it("passes pulumi's exit code through", () => {
  const r = spawnSync("bash", [path.join(repo, "scripts", "pulumi.sh"), "exit", "7"], { env });
  expect(r.status).toBe(7);
});

it("passes SIGINT to pulumi, which stops its plugins", async () => {
  const run = start();
  await until(
    "the stand-in to start its plugins",
    30,
    () => run.out().includes("started") && plugins().length === 2,
  );
  run.child.kill("SIGINT");
  expect(await run.done).toBe(255);
  await until("the plugins to end", 30, () => plugins().length === 0);
});

it("ends pulumi and its plugins when the wrapper is killed", async () => {
  const run = start();
  await until(
    "the stand-in to start its plugins",
    30,
    () => run.out().includes("started") && plugins().length === 2,
  );
  run.child.kill("SIGKILL");
  await run.done;
  // The watchdog checks every second, then TERM, then KILL after 5 s.
  await until("the plugins of the killed run to end", 30, () => plugins().length === 0);
});
