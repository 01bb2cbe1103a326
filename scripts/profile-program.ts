/**
 * Where the program's own time goes in a `pulumi preview`/`up`, without the
 * CLI: loads the program the way Pulumi's Node.js runtime does (ts-node
 * registered with the project's tsconfig, `transpileOnly` left to it), builds
 * the model of a stack file and runs the datacenter under Pulumi mocks, in a
 * child `node --cpu-prof`, then prints the phases and the CPU profile by
 * owner (npm package, our code, Node.js, V8). README "Where a preview's time
 * goes" was measured with it.
 *
 *   npx ts-node --transpile-only scripts/profile-program.ts [Pulumi.sim-1k.yaml]
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { summariseCpuProfile, type CpuProfile } from "./lib/scale-report";

const repo = path.resolve(__dirname, "..");
const stackFile = path.resolve(repo, process.argv[2] ?? "Pulumi.sim-1k.yaml");
const profDir = fs.mkdtempSync(path.join(os.tmpdir(), "profile-program-"));

// The child: what @pulumi/pulumi/cmd/run does before it requires index.ts, then
// the datacenter under mocks (the kubeconfig is a placeholder: nothing is applied).
const child = `
const path = require("path");
const ms = (a, b) => Math.round(Number(b - a) / 1e6);
const t0 = process.hrtime.bigint();
require("ts-node").register({ project: path.join(${JSON.stringify(repo)}, "tsconfig.json"), transpileOnly: undefined, compilerOptions: {} });
const { runMocked } = require("./tests/helpers/pulumi");
const { loadStackFile } = require("./stacks/config");
const { deployDatacenter } = require("./stacks/datacenter");
const t1 = process.hrtime.bigint();
const model = loadStackFile(${JSON.stringify(stackFile)});
const t2 = process.hrtime.bigint();
runMocked(() => deployDatacenter(model, { sshPrivateKey: "KEY", kubeconfig: "placeholder" }), { stack: model.name }).then((r) => {
  const t3 = process.hrtime.bigint();
  console.log(JSON.stringify({ loadMs: ms(t0, t1), modelMs: ms(t1, t2), programMs: ms(t2, t3),
    resources: r.filter((x) => x.custom).length, cpuSeconds: process.cpuUsage().user / 1e6 }));
});
`;
const r = spawnSync(process.execPath, ["--cpu-prof", `--cpu-prof-dir=${profDir}`, "-e", child], {
  cwd: repo,
  encoding: "utf8",
});
if (r.status !== 0) {
  process.stderr.write(r.stdout + r.stderr);
  process.exit(1);
}
const phases = r.stdout.split("\n").find((l) => l.startsWith("{"));
process.stdout.write(`${path.basename(stackFile)}: ${phases}\n`);
for (const f of fs.readdirSync(profDir).filter((x) => x.endsWith(".cpuprofile"))) {
  const s = summariseCpuProfile(JSON.parse(fs.readFileSync(path.join(profDir, f), "utf8")) as CpuProfile, 12);
  process.stdout.write(`sampled ${s.totalMs} ms (wall, includes time the machine ran other work)\n`);
  for (const o of s.byOwner) process.stdout.write(`  ${String(o.ms).padStart(7)} ms  ${o.owner}\n`);
}
fs.rmSync(profDir, { recursive: true, force: true });
