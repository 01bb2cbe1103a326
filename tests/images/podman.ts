/**
 * Runs the images `npm run images` built, for real, with podman and runc (the
 * project's containers.conf: see scripts/lib/image-tools.sh). A suite runs
 * when its image is built; in CI a missing image fails it instead.
 */
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { chain, currentLockEntry, loadDefinitions } from "./lock";

export const projectDir = path.join(__dirname, "..", "..");

let confPath: string | undefined;
function containersConf(): string {
  if (!confPath) {
    const r = spawnSync("bash", ["scripts/images.sh", "podman-conf"], { cwd: projectDir, encoding: "utf8" });
    if (r.status !== 0) throw new Error(`scripts/images.sh podman-conf failed: ${r.stderr}`);
    confPath = r.stdout.trim();
  }
  return confPath;
}

export interface Result {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

export function podman(args: string[], opts: { input?: string; timeoutMs?: number } = {}): Result {
  const r = spawnSync("podman", args, {
    encoding: "utf8",
    input: opts.input,
    timeout: opts.timeoutMs ?? 120_000,
    env: { ...process.env, CONTAINERS_CONF: containersConf() },
    maxBuffer: 64 * 2 ** 20,
  });
  return { status: r.status ?? -1, stdout: r.stdout ?? "", stderr: r.stderr ?? "" };
}

/** podman without blocking the event loop: for tests whose container talks to a server in this process. */
export function podmanAsync(args: string[], opts: { timeoutMs?: number } = {}): Promise<Result> {
  return new Promise((resolve, reject) => {
    const p = spawn("podman", args, {
      env: { ...process.env, CONTAINERS_CONF: containersConf() },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    p.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    p.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => p.kill("SIGKILL"), opts.timeoutMs ?? 120_000);
    p.on("error", reject);
    p.on("close", (code) => {
      clearTimeout(timer);
      resolve({ status: code ?? -1, stdout, stderr });
    });
  });
}

export function ok(r: Result, what: string): string {
  if (r.status !== 0) throw new Error(`${what} exited ${r.status}\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** The archive of an image built from the current inputs, or undefined. */
export function builtArchive(name: string): string | undefined {
  const entry = currentLockEntry(name);
  return entry && fs.existsSync(entry.archive) ? entry.archive : undefined;
}

/** `describe` when the image (and podman) is there; in CI always (a missing image then fails). */
export function describeImage(name: string): jest.Describe {
  const havePodman = spawnSync("bash", ["-c", "command -v podman && command -v runc"]).status === 0;
  const ready = havePodman && builtArchive(name) !== undefined;
  return ready || process.env.CI ? describe : describe.skip;
}

/** Loads the image into podman's store and returns a local tag for it. */
export function loadImage(name: string): string {
  const archive = builtArchive(name);
  if (!archive)
    throw new Error(
      `image ${name} is not built from the current inputs: run \`npm run images\` (${chain(
        loadDefinitions(),
        name,
      )
        .map((d) => d.name)
        .join(" → ")})`,
    );
  const id = ok(podman(["pull", "-q", `oci-archive:${archive}`]), `podman pull ${archive}`).trim();
  const tag = `localhost/private-cloud-test/${name}:current`;
  ok(podman(["tag", id, tag]), "podman tag");
  return tag;
}

/** A container name unique to this run. */
export function containerName(what: string): string {
  return `pc-test-${what}-${process.pid}-${Date.now() % 100000}`;
}

export function removeContainer(name: string) {
  podman(["rm", "-f", "-t", "0", name]);
}

/** Polls `check` every 200 ms until it returns a value or `ms` pass. */
export async function waitFor<T>(check: () => T | undefined, ms: number, what: string): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
