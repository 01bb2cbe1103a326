/**
 * `npm run repair -- <stack> [pulumi up arguments…]`: put the datacenter
 * back to what the program says — `pulumi up --refresh` through
 * scripts/pulumi.sh — after drift, or after an interrupted update.
 *
 * A killed update leaves pending operations in the state (creates Pulumi
 * started but never saw finish). Those are cleared first (`pulumi refresh
 * --clear-pending-creates`): the `up` then creates them again, and server-side
 * apply takes over an object the killed run did create instead of failing on
 * it. Run `npm run unlock -- <stack>` first if the stack is still locked.
 *
 * Exit code: pulumi's.
 */
import { spawnSync } from "child_process";
import * as path from "path";

const repo = path.resolve(__dirname, "..");
const wrapper = path.join(repo, "scripts", "pulumi.sh");

/** Arguments `refresh` also understands, taken from the ones given for `up`. */
export function sharedArgs(args: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "--config-file" || a === "--parallel" || a === "--target") out.push(a, args[++i] ?? "");
    else if (/^--(config-file|parallel|target)=/.test(a)) out.push(a);
  }
  return out;
}

/** Pending operations recorded in the stack's state (from `pulumi stack export`). */
export function pendingOperations(exported: string): { type: string; urn: string }[] {
  const j = JSON.parse(exported) as {
    deployment?: { pending_operations?: { type: string; resource: { urn: string } }[] };
  };
  return (j.deployment?.pending_operations ?? []).map((p) => ({ type: p.type, urn: p.resource.urn }));
}

function pulumi(args: string[]): number {
  const r = spawnSync("bash", [wrapper, ...args], { cwd: repo, stdio: "inherit" });
  return r.status ?? 1;
}

function main(argv: string[]): number {
  const [stack, ...rest] = argv;
  if (!stack || stack.startsWith("-")) {
    console.error(
      "usage: npm run repair -- <stack> [pulumi up arguments…] (expected a stack such as dc-a or sim)",
    );
    return 2;
  }
  const exported = spawnSync("bash", [wrapper, "stack", "export", "--stack", stack], {
    cwd: repo,
    encoding: "utf8",
    maxBuffer: 512 * 2 ** 20,
  });
  if (exported.status !== 0) {
    process.stderr.write(exported.stderr);
    return exported.status ?? 1;
  }
  const pending = pendingOperations(exported.stdout);
  if (pending.length > 0) {
    console.log(`${stack}: ${pending.length} pending operation(s) from an interrupted update:`);
    for (const p of pending) console.log(`  ${p.type} ${p.urn}`);
    console.log("clearing them (the update below finishes what they started)");
    const rc = pulumi([
      "refresh",
      "--yes",
      "--non-interactive",
      "--clear-pending-creates",
      "--stack",
      stack,
      ...sharedArgs(rest),
    ]);
    if (rc !== 0) return rc;
  }
  return pulumi(["up", "--refresh", "--yes", "--non-interactive", "--stack", stack, ...rest]);
}

if (require.main === module) process.exit(main(process.argv.slice(2)));
