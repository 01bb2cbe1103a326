/**
 * The policy pack, compiled once. Pulumi runs a TypeScript pack through
 * ts-node with type checking on every start (run-policy-pack registers it
 * with `typeCheck: true`), and a release starts it twice (the gate's preview,
 * then the up): about 6.6 s of CPU each time to type-check the same files,
 * most of a release's own CPU on a small machine, and the bottleneck of
 * parallel releases (README "Measured").
 *
 * So the engine type-checks and compiles the pack with tsc once, into
 * `.policy-build/<digest>/` (same relative layout as the repository, since the
 * pack imports ../components and ../stacks), and hands Pulumi that directory:
 * plain JavaScript, same policies, same node_modules (a link to policy/'s).
 * The digest covers every source tsc read, so any change to the pack or to
 * what it imports rebuilds it; a failed type check fails loudly, as ts-node
 * would have.
 */
import { createHash } from "crypto";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";

const REPO = path.join(__dirname, "..");
export const POLICY_SOURCE = path.join(REPO, "policy");
const CACHE = path.join(REPO, ".policy-build");
const LATEST = path.join(CACHE, "latest.json");
/**
 * Started by our language host in place of the SDK's run-policy-pack for
 * this compiled pack (toolchain/nodejs-host, RunPlugin): no ts-node, no
 * closure serialization, about half the CPU per start. A host without that
 * support ignores the field and runs the pack the usual way.
 */
const RUNNER = path.join(REPO, "scripts", "lib", "run-compiled-policy-pack.js");
const LAZY_CLOSURE = path.join(REPO, "scripts", "lib", "lazy-pulumi-closure.js");

interface Latest {
  readonly digest: string;
  /** Every source tsc read (outside node_modules), relative to the repository. */
  readonly sources: readonly string[];
}

/** Digest of the files (contents and names) plus the pack's own settings. */
function digestOf(sources: readonly string[]): string {
  const h = createHash("sha256");
  for (const f of [
    ...sources,
    "policy/PulumiPolicy.yaml",
    "policy/package.json",
    "policy/tsconfig.json",
    path.relative(REPO, RUNNER),
    path.relative(REPO, LAZY_CLOSURE),
  ].sort()) {
    h.update(`${f}\0`);
    h.update(fs.existsSync(path.join(REPO, f)) ? fs.readFileSync(path.join(REPO, f)) : "(missing)");
    h.update("\0");
  }
  return h.digest("hex").slice(0, 16);
}

function readLatest(): Latest | undefined {
  try {
    return JSON.parse(fs.readFileSync(LATEST, "utf8")) as Latest;
  } catch {
    return undefined;
  }
}

function packDir(digest: string): string {
  return path.join(CACHE, digest, "policy");
}

function build(): string {
  fs.mkdirSync(CACHE, { recursive: true });
  const tmp = fs.mkdtempSync(path.join(CACHE, "build-"));
  try {
    const tsc = path.join(POLICY_SOURCE, "node_modules", "typescript", "bin", "tsc");
    // The pack has dependencies of its own (Pulumi loads it from policy/);
    // a fresh clone after only the root `npm ci` has none yet.
    if (!fs.existsSync(tsc))
      throw new Error(
        `the policy pack's dependencies are not installed (${path.relative(REPO, tsc)} is missing; expected them after \`npm ci --prefix policy\`, which \`npm start\` and .ci/run also do)`,
      );
    const r = spawnSync(
      process.execPath,
      [
        tsc,
        "-p",
        path.join(POLICY_SOURCE, "tsconfig.json"),
        "--outDir",
        tmp,
        "--rootDir",
        REPO,
        "--listFiles",
      ],
      { cwd: POLICY_SOURCE, encoding: "utf8" },
    );
    if (r.status !== 0)
      throw new Error(`the policy pack does not compile (tsc -p policy):\n${r.stdout}${r.stderr}`.trim());
    const sources = r.stdout
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l && !l.includes(`${path.sep}node_modules${path.sep}`))
      .map((l) => path.relative(REPO, l))
      .sort();
    const out = path.join(tmp, "policy");
    fs.copyFileSync(path.join(POLICY_SOURCE, "PulumiPolicy.yaml"), path.join(out, "PulumiPolicy.yaml"));
    const pkg = JSON.parse(fs.readFileSync(path.join(POLICY_SOURCE, "package.json"), "utf8"));
    fs.writeFileSync(
      path.join(out, "package.json"),
      JSON.stringify({ ...pkg, main: "index.js", privateCloudRunner: RUNNER }, null, 2),
    );
    fs.symlinkSync(path.join(POLICY_SOURCE, "node_modules"), path.join(out, "node_modules"), "dir");
    const digest = digestOf(sources);
    try {
      fs.renameSync(tmp, path.join(CACHE, digest));
    } catch {
      // Another release built the same digest meanwhile: use theirs.
      fs.rmSync(tmp, { recursive: true, force: true });
    }
    const next = path.join(CACHE, `latest-${process.pid}.json`);
    fs.writeFileSync(next, JSON.stringify({ digest, sources } satisfies Latest));
    fs.renameSync(next, LATEST);
    return packDir(digest);
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}

let memo: string | undefined;

/**
 * The compiled pack's directory (what `policyPacks` gets), building it when
 * the sources changed since the last build. Synchronous and memoized: the
 * first release of a process pays for it (a few seconds), the rest reuse it.
 */
export function compiledPolicyPack(): string {
  const latest = readLatest();
  if (memo && latest && packDir(latest.digest) === memo && digestOf(latest.sources) === latest.digest)
    return memo;
  memo =
    latest && digestOf(latest.sources) === latest.digest && fs.existsSync(packDir(latest.digest))
      ? packDir(latest.digest)
      : build();
  return memo;
}
