/**
 * `npm run unlock -- <stack> [--project NAME]`: remove the lock an
 * interrupted update left on a stack, safely.
 *
 * Pulumi's lock message after a killed update advises `pulumi cancel`; run
 * while another update is still alive, that removed the live update's lock
 * and two updates applied at once (issue 14). This reads the lock from the
 * state backend (file:// or s3://), names its holder, and refuses while the
 * holder's process is alive on this host (or while it is on another host,
 * which it cannot check, unless `--other-host` is given).
 *
 * Exit codes: 0 removed (or no lock), 2 bad input, 3 refused (the holder
 * lives or cannot be checked).
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Command } from "commander";
import { findLocks, type LockInfo } from "../release/lock";
import { s3Delete, s3Get, s3List, s3Location } from "./lib/s3-locks";

export interface Lock extends LockInfo {
  /** Where it lives: a file path, or an s3 key. */
  readonly where: string;
  readonly remove: () => Promise<void>;
}

/** The backend URL Pulumi uses: PULUMI_BACKEND_URL, else the current login in $PULUMI_HOME/credentials.json. */
export function backendUrl(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.PULUMI_BACKEND_URL) return env.PULUMI_BACKEND_URL;
  const home = env.PULUMI_HOME ?? path.join(os.homedir(), ".pulumi");
  try {
    const creds = JSON.parse(fs.readFileSync(path.join(home, "credentials.json"), "utf8")) as {
      current?: string;
    };
    return creds.current;
  } catch {
    return undefined;
  }
}

/** Is this pid a live (not zombie) process on this host, and what is its command line? */
export function liveProcess(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    if (state === "Z" || state === "X") return undefined;
    return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean).join(" ");
  } catch {
    return undefined;
  }
}

export function holderOf(l: LockInfo): string {
  return `${l.username ?? "someone"}@${l.hostname ?? "an unknown host"}${l.pid ? ` (pid ${l.pid})` : ""}${l.timestamp ? ` since ${l.timestamp}` : ""}`;
}

export type Verdict = { remove: true; why: string } | { remove: false; why: string };

/** Whether a lock may go: only when its holder is known to be gone. */
export function verdict(
  stack: string,
  l: LockInfo,
  opts: { hostname: string; otherHost: boolean; live: (pid: number) => string | undefined },
): Verdict {
  const holder = holderOf(l);
  if (l.hostname && l.hostname !== opts.hostname) {
    return opts.otherHost
      ? { remove: true, why: `held by ${holder} on another host; removed because --other-host was given` }
      : {
          remove: false,
          why: `${stack} is locked by ${holder}, on another host whose processes cannot be checked from here (expected: check that update is over on ${l.hostname}, then run again with --other-host)`,
        };
  }
  if (l.pid === undefined) {
    return opts.otherHost
      ? { remove: true, why: `lock without a pid; removed because --other-host was given` }
      : {
          remove: false,
          why: `${stack} is locked by ${holder}, but the lock names no process to check (expected: make sure no update runs, then run again with --other-host)`,
        };
  }
  const cmd = opts.live(l.pid);
  if (cmd !== undefined && /pulumi/.test(cmd)) {
    return {
      remove: false,
      why: `${stack} is locked by ${holder}, which is still running (${cmd.slice(0, 120)}); not removing the lock — wait for it to finish, or stop it (kill -INT ${l.pid}) and run this again`,
    };
  }
  return { remove: true, why: `held by ${holder}, which is no longer running` };
}

async function locksOf(url: string, project: string, stack: string): Promise<Lock[]> {
  if (url.startsWith("file://")) {
    return findLocks(url, project, stack).map((l) => ({
      ...l,
      where: l.file,
      remove: async () => fs.rmSync(l.file),
    }));
  }
  if (url.startsWith("s3://")) {
    const loc = s3Location(url, process.env);
    const prefix = `${loc.prefix}.pulumi/locks/organization/${project}/${stack}/`;
    const keys = (await s3List(loc, prefix)).filter((k) => k.endsWith(".json"));
    const out: Lock[] = [];
    for (const key of keys) {
      let j: Record<string, unknown> = {};
      try {
        j = JSON.parse(await s3Get(loc, key)) as Record<string, unknown>;
      } catch {
        // an unreadable lock is still a lock: reported without its holder
      }
      out.push({
        file: key,
        where: `${url.split("?")[0]}/${key}`,
        pid: typeof j.pid === "number" ? j.pid : undefined,
        username: typeof j.username === "string" ? j.username : undefined,
        hostname: typeof j.hostname === "string" ? j.hostname : undefined,
        timestamp: typeof j.timestamp === "string" ? j.timestamp : undefined,
        remove: () => s3Delete(loc, key),
      });
    }
    return out;
  }
  throw new Error(
    `PULUMI_BACKEND_URL: ${url} is not a file:// or s3:// backend (expected the platform's state backend)`,
  );
}

async function main(): Promise<number> {
  const program = new Command("unlock")
    .description("remove a stack's lock left by an interrupted update, only when its holder is gone")
    .argument("<stack>", "the stack (a datacenter such as dc-a, or a release stack such as shop.dc-a)")
    .option(
      "--project <name>",
      "the Pulumi project (private-cloud-release for release stacks)",
      "private-cloud",
    )
    .option(
      "--other-host",
      "also remove a lock held on another host (check that its update is over first)",
      false,
    )
    .exitOverride();
  try {
    program.parse(process.argv);
  } catch (e) {
    return (e as { exitCode?: number }).exitCode === 0 ? 0 : 2;
  }
  const [stack] = program.args;
  const opts = program.opts<{ project: string; otherHost: boolean }>();
  const url = backendUrl();
  if (!url) {
    console.error("unlock: no state backend (expected PULUMI_BACKEND_URL, or a `pulumi login`)");
    return 2;
  }
  const locks = await locksOf(url, opts.project, stack);
  if (locks.length === 0) {
    console.log(`${stack}: not locked (${url.split("?")[0]})`);
    return 0;
  }
  let refused = false;
  for (const l of locks) {
    const v = verdict(stack, l, { hostname: os.hostname(), otherHost: opts.otherHost, live: liveProcess });
    if (!v.remove) {
      console.error(`unlock: ${v.why}\n  lock: ${l.where}`);
      refused = true;
      continue;
    }
    await l.remove();
    console.log(`${stack}: removed the lock ${l.where} (${v.why})`);
  }
  if (refused) return 3;
  console.log(
    `${stack}: unlocked. The interrupted update may have left pending operations; \`npm run repair -- ${stack}\` (pulumi up --refresh) finishes it.`,
  );
  return 0;
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (e: Error) => {
      console.error(`unlock: ${e.message}`);
      process.exit(2);
    },
  );
}
