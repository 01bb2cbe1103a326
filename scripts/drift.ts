/**
 * `npm run drift -- <stack> [pulumi preview arguments…]`: does the
 * datacenter still look like its program?
 *
 * A plain `pulumi up` compares the program with the last recorded state,
 * not with the cluster: a ConfigMap deleted, a Deployment scaled or a
 * Namespace relabelled with kubectl went unnoticed (issue 14). This runs
 * `pulumi preview --refresh --expect-no-changes` (the state is read back
 * from the cluster first) through scripts/pulumi.sh and prints, per
 * resource, what the next `npm run repair -- <stack>` (`pulumi up
 * --refresh`) would put back. Schedule it (ci-templates/: the drift job).
 *
 * Exit codes: 0 no drift · 1 drift (listed) · 2 the preview failed (its
 * errors are printed: an unreachable cluster, a config error).
 */
import { spawnSync } from "child_process";
import * as path from "path";
import { changesOf, digestFromEventLog, type ResourceChange } from "./lib/preview-comment";

const repo = path.resolve(__dirname, "..");

const WHAT: Record<ResourceChange["change"], string> = {
  create: "missing from the cluster (deleted outside Pulumi): will be created again",
  update: "changed outside Pulumi: will be set back",
  replace: "changed outside Pulumi in a field that forces a replacement",
  delete: "in the state but no longer in the program: will be deleted",
  import: "will be imported",
  read: "will be read",
};

/** The human report of a drift preview's changes (empty list: no drift). */
export function driftReport(stack: string, changes: readonly ResourceChange[]): string {
  if (changes.length === 0) return `${stack}: no drift — the cluster matches the program`;
  const lines = [
    `${stack}: drift in ${changes.length} resource(s); \`npm run repair -- ${stack}\` (pulumi up --refresh) puts them back:`,
  ];
  for (const c of changes) {
    const fields = c.because.filter((b) => !b.startsWith("__"));
    lines.push(`  ${c.change.padEnd(7)} ${c.type} ${c.name}: ${WHAT[c.change]}`);
    if (fields.length > 0 && c.change !== "create")
      lines.push(`          fields: ${fields.slice(0, 8).join(", ")}`);
  }
  return lines.join("\n");
}

function main(argv: string[]): number {
  const [stack, ...rest] = argv;
  if (!stack || stack.startsWith("-")) {
    console.error(
      "usage: npm run drift -- <stack> [pulumi preview arguments…] (expected a stack such as dc-a or sim)",
    );
    return 2;
  }
  const r = spawnSync(
    "bash",
    [
      path.join(repo, "scripts", "pulumi.sh"),
      "preview",
      "--refresh",
      "--expect-no-changes",
      "--json",
      "--non-interactive",
      "--stack",
      stack,
      ...rest,
    ],
    {
      cwd: repo,
      encoding: "utf8",
      maxBuffer: 512 * 2 ** 20,
      env: { ...process.env, PULUMI_ENABLE_STREAMING_JSON_PREVIEW: "true" },
    },
  );
  const digest = digestFromEventLog(r.stdout ?? "");
  const changes = changesOf(digest);
  if (changes.length > 0) {
    console.log(driftReport(stack, changes));
    return 1;
  }
  if (r.status === 0) {
    console.log(driftReport(stack, []));
    return 0;
  }
  const errors = (digest?.diagnostics ?? [])
    .filter((d) => d.severity === "error")
    .map((d) => d.message.trim());
  console.error(`${stack}: the drift check could not run (pulumi preview exited ${r.status ?? r.signal}):`);
  for (const e of errors.length > 0 ? errors : [(r.stderr ?? "").trim().split("\n").slice(-15).join("\n")]) {
    console.error(`  ${e.split("\n").join("\n  ")}`);
  }
  return 2;
}

if (require.main === module) process.exit(main(process.argv.slice(2)));
