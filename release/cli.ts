/**
 * npm run release -- <business> <render|preview|up|destroy|rollback|history> [options]
 *
 * Exit codes (scripts can rely on them; also in --help):
 *   0  done
 *   1  a datacenter failed (the rollout stopped there; later ones untouched)
 *   2  bad input: usage, catalog entry, unknown business, datacenter, template
 *      or history version — nothing was created or changed
 *   3  a mandatory policy violation stopped the release
 *   4  another release of the business holds the datacenter's stack
 *   5  stopped at a pause between datacenters (answered no)
 */
import * as readline from "readline";
import { Command, CommanderError, Option } from "commander";
import { ConfigError } from "../stacks/validate";
import { AppSpecSchema, CatalogEntrySchema } from "./catalog/schema";
import { listBusinesses, parseSet, resolveRelease, type ResolvedRelease } from "./catalog/load";
// The engine (and with it @pulumi/pulumi) loads only for operations that
// need it: render and bad input answer without it (render's time goal is 2 s).
import type { EngineOptions, Operation, ReleaseOutcome } from "./engine";
import { contextFromStackFile, renderYaml } from "./render";
import type { Renderer } from "./progress";

export const EXIT = { ok: 0, failed: 1, badInput: 2, policy: 3, locked: 4, declined: 5 } as const;

const OPERATIONS = ["render", "preview", "up", "destroy", "rollback", "history"] as const;
type CliOperation = (typeof OPERATIONS)[number];

class BadInput extends Error {}

interface Flags {
  dc?: string;
  version?: string;
  set: string[];
  json?: boolean;
  yes?: boolean;
  pause?: boolean;
  schema?: boolean;
  list?: boolean;
  appsDir?: string;
}

export interface Io {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  readonly interactive: boolean;
  readonly ask: (question: string) => Promise<boolean>;
}

function terminalIo(): Io {
  const interactive = Boolean(process.stdin.isTTY && process.stderr.isTTY);
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    interactive,
    ask: (question) =>
      new Promise((resolve) => {
        const rl = readline.createInterface({ input: process.stdin, output: process.stderr });
        rl.question(`${question} [y/N] `, (a) => {
          rl.close();
          resolve(/^y(es)?$/i.test(a.trim()));
        });
      }),
  };
}

function exitFor(outcome: ReleaseOutcome): number {
  const bad = outcome.results.find((r) => r.status !== "succeeded" && r.status !== "not-started");
  if (!bad) return outcome.ok ? EXIT.ok : EXIT.failed;
  return (
    { "policy-violation": EXIT.policy, locked: EXIT.locked, declined: EXIT.declined }[bad.status as string] ??
    EXIT.failed
  );
}

function program(): Command {
  const cmd = new Command("release");
  return cmd
    .description(
      "Release a business from the catalog (apps/<business>.yaml) to its datacenters: one Pulumi stack per business per datacenter (<business>.<dc>), the policy pack on every preview and up, datacenters in order with the first as canary.",
    )
    .argument("[business]", `business in the catalog (apps/<business>.yaml)`)
    .argument("[operation]", `one of: ${OPERATIONS.join(", ")}`)
    .option("--dc <list>", "only these datacenters, comma-separated (kept in the catalog's rollout order)")
    .option(
      "--version <version>",
      "release this image tag or digest (up, preview, render); the version to roll back to (rollback)",
    )
    .addOption(
      new Option(
        "--set <path=value>",
        "override a catalog field, e.g. resources.cpuLimitMillis=4000 (repeatable; value read as YAML)",
      )
        .argParser((v: string, prev: string[] = []) => [...prev, v])
        .default([]),
    )
    .option("--json", "JSON lines on stdout (events, results, history) instead of the progress display")
    .option("--yes", "do not ask before up, destroy or rollback (required when stdin is not a terminal)")
    .option("--pause", "ask for confirmation after each datacenter before the next (needs a terminal)")
    .option(
      "--schema",
      "print the catalog's JSON Schema (entry as written, and resolved with defaults) and exit",
    )
    .option("--list", "list the businesses in the catalog and exit")
    .addOption(new Option("--apps-dir <dir>", "catalog directory").hideHelp())
    .addHelpText(
      "after",
      `
Operations:
  render     the Kubernetes objects as YAML (no cluster, no state)
  preview    per-resource diff in each datacenter, with the policy pack
  up         apply in each datacenter in order; stop at the first failure
  destroy    remove the release from each datacenter (history is kept)
  rollback   re-apply a version from history (--version V; default: the previous one)
  history    per datacenter: version, params digest, who, when, result, duration

Environment:
  PULUMI_BACKEND_URL        the state backend of the datacenters' platform stacks (required but for render)
  PULUMI_CONFIG_PASSPHRASE  secrets passphrase (scripts/env.sh sets the local one)
  RELEASE_USER              who releases, recorded in history (default: user@host)

Exit codes:
  0 done · 1 a datacenter failed (rollout stopped, later ones untouched)
  2 bad input, nothing created · 3 mandatory policy violation
  4 another release holds the stack · 5 stopped at a pause

Example:
  npm run release -- shop up --dc sim --version 1.0.1 --yes`,
    );
}

/** Runs the CLI; returns the exit code (never calls process.exit, so tests can call it). */
export async function main(
  argv: string[],
  io: Io = terminalIo(),
  engine: EngineOptions = {},
): Promise<number> {
  const cmd = program()
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
    });
  try {
    cmd.parse(argv, { from: "user" });
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? EXIT.ok : EXIT.badInput;
    throw e;
  }
  const flags = cmd.opts<Flags>();
  const [business, operation] = cmd.processedArgs as [string | undefined, string | undefined];
  try {
    if (flags.schema) {
      io.stdout.write(`${JSON.stringify({ entry: CatalogEntrySchema, resolved: AppSpecSchema }, null, 2)}\n`);
      return EXIT.ok;
    }
    if (flags.list) {
      io.stdout.write(`${listBusinesses(flags.appsDir).join("\n")}\n`);
      return EXIT.ok;
    }
    if (!business || !operation)
      throw new BadInput(`usage: release <business> <${OPERATIONS.join("|")}> [options] (see --help)`);
    if (!(OPERATIONS as readonly string[]).includes(operation))
      throw new BadInput(
        `operation ${JSON.stringify(operation)} is not known (expected one of: ${OPERATIONS.join(", ")})`,
      );
    const op = operation as CliOperation;
    const resolved = resolveRelease(business, {
      appsDir: flags.appsDir,
      datacenters: flags.dc
        ?.split(",")
        .map((s) => s.trim())
        .filter(Boolean),
      version: op === "rollback" ? undefined : flags.version,
      sets: flags.set.map(parseSet),
    });

    if (op === "render") {
      const docs = resolved.order.map((dc) => {
        const spec = resolved.specs.get(dc);
        if (!spec) throw new BadInput(`${dc}: no resolved spec`);
        const ctx = contextFromStackFile(dc);
        if (!ctx.businesses[business])
          throw new BadInput(
            `${business} is not onboarded in datacenter ${dc} (expected it in private-cloud:businesses of Pulumi.${dc}.yaml)`,
          );
        return renderYaml(spec, resolved.template, ctx);
      });
      io.stdout.write(docs.join("---\n"));
      return EXIT.ok;
    }

    const { releaseHistory, rollbackRelease, runRelease, UnknownVersionError } = await import("./engine");
    const render = await renderer(flags, io);
    const opts: EngineOptions = { ...engine, emit: render };
    try {
      if (op === "history") return await history(releaseHistory, resolved, opts, flags, io);
      if (op !== "preview" && !(await confirmed(op, resolved, flags, io))) return EXIT.declined;
      if (flags.pause) {
        if (!io.interactive) throw new BadInput("--pause needs a terminal to answer on (stdin is not one)");
        Object.assign(opts, {
          confirmNext: (done: string, next: string) => io.ask(`${done} done. Continue with ${next}?`),
        });
      }
      const outcome =
        op === "rollback"
          ? await rollbackRelease(resolved, flags.version, opts)
          : await runRelease(op as Operation, resolved, opts);
      return exitFor(outcome);
    } catch (e) {
      if (e instanceof UnknownVersionError) throw new BadInput(e.message);
      throw e;
    } finally {
      (render as { stop?: () => void }).stop?.();
    }
  } catch (e) {
    if (e instanceof ConfigError || e instanceof BadInput) {
      io.stderr.write(`release: ${e.message}\n`);
      return EXIT.badInput;
    }
    io.stderr.write(`release: ${(e as Error).stack ?? String(e)}\n`);
    return EXIT.failed;
  }
}

async function renderer(flags: Flags, io: Io): Promise<Renderer> {
  const { jsonLines, plainLines, terminalProgress } = await import("./progress");
  if (flags.json) return jsonLines(io.stdout);
  if (io.interactive && io.stderr === process.stderr) return terminalProgress(process.stderr);
  return plainLines(io.stderr);
}

async function confirmed(op: CliOperation, r: ResolvedRelease, flags: Flags, io: Io): Promise<boolean> {
  if (flags.yes) return true;
  if (!io.interactive)
    throw new BadInput(
      `${op} changes ${r.order.join(", ")}: pass --yes to confirm (stdin is not a terminal to ask on)`,
    );
  return io.ask(`${op} ${r.business} in ${r.order.join(", then ")}?`);
}

async function history(
  releaseHistory: typeof import("./engine").releaseHistory,
  r: ResolvedRelease,
  opts: EngineOptions,
  flags: Flags,
  io: Io,
): Promise<number> {
  const hist = await releaseHistory(r, opts);
  if (flags.json) {
    for (const [dc, entries] of hist)
      for (const h of entries) {
        const { spec, ...rest } = h;
        void spec;
        io.stdout.write(`${JSON.stringify({ type: "history", dc, ...rest })}\n`);
      }
    return EXIT.ok;
  }
  for (const [dc, entries] of hist) {
    io.stdout.write(`${dc} (stack ${r.business}.${dc}): ${entries.length ? "" : "never released"}\n`);
    for (const h of entries)
      io.stdout.write(
        `  #${h.update} ${h.startTime} ${h.operation ?? h.kind} ${h.version ?? "-"} params ${h.params ?? "-"} by ${h.who ?? "?"} ${h.result}${h.seconds !== undefined ? ` ${h.seconds}s` : ""}\n`,
      );
  }
  return EXIT.ok;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`release: ${String(e)}\n`);
      process.exitCode = EXIT.failed;
    },
  );
}
