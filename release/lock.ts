/**
 * Who holds a business stack. Pulumi's file backend takes a lock per stack
 * update — a JSON file under `.pulumi/locks/<org>/<project>/<stack>/` naming
 * the process, user and host — and refuses a second update while it exists.
 * That lock is what keeps two releases of one business in one datacenter
 * from corrupting its state; this module only reads it to say who holds it.
 */
import * as fs from "fs";
import * as path from "path";
import * as os from "os";

/** Local directory of a file:// backend, or undefined. */
export function fileBackendDir(url: string): string | undefined {
  return url.startsWith("file://")
    ? url.slice("file://".length).replace(/^~(?=\/)/, os.homedir())
    : undefined;
}

export interface LockInfo {
  readonly file: string;
  readonly pid?: number;
  readonly username?: string;
  readonly hostname?: string;
  readonly timestamp?: string;
}

/** Lock files of a stack on a file backend (none on other backends: those report conflicts themselves). */
export function findLocks(backendUrl: string, project: string, stack: string): LockInfo[] {
  const dir = fileBackendDir(backendUrl);
  if (!dir) return [];
  const root = path.join(dir, ".pulumi", "locks");
  const candidates = [
    path.join(root, "organization", project, stack),
    path.join(root, project, stack),
    path.join(root, stack),
  ];
  const out: LockInfo[] = [];
  for (const d of candidates) {
    if (!fs.existsSync(d)) continue;
    for (const f of fs.readdirSync(d).filter((n) => n.endsWith(".json"))) {
      const file = path.join(d, f);
      try {
        const j = JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, unknown>;
        out.push({
          file,
          pid: typeof j.pid === "number" ? j.pid : undefined,
          username: typeof j.username === "string" ? j.username : undefined,
          hostname: typeof j.hostname === "string" ? j.hostname : undefined,
          timestamp: typeof j.timestamp === "string" ? j.timestamp : undefined,
        });
      } catch {
        out.push({ file });
      }
    }
  }
  return out;
}

export function describeLock(stack: string, l: LockInfo): string {
  const who = `${l.username ?? "someone"}@${l.hostname ?? "unknown host"}${l.pid ? ` (pid ${l.pid})` : ""}`;
  return `${stack} is being released by ${who}${l.timestamp ? ` since ${l.timestamp}` : ""}; nothing was changed — wait for that release to finish (if that process is gone, \`npm run unlock -- ${stack} --project private-cloud-release\` removes its lock ${l.file}; not \`pulumi cancel\`, which also removes the lock of an update still running)`;
}
