/**
 * Peak memory of a process tree, by role (the pulumi CLI, the language host
 * and the program it runs, the kubernetes provider, the policy pack), sampled
 * from /proc while the tree runs. The kernel keeps each process's own peak
 * (VmHWM), so sampling every half second misses nothing but processes that
 * live less than that.
 */
import * as fs from "fs";

export type Role = "cli" | "languageHost" | "kubernetesProvider" | "policyPack" | "other";

/** Which part of a Pulumi run a process is, from its command name and command line. */
export function roleOf(comm: string, cmdline: string): Role {
  if (comm === "pulumi") return "cli";
  if (comm.startsWith("pulumi-resource-k") || /pulumi-resource-kubernetes/.test(cmdline))
    return "kubernetesProvider";
  if (
    /pulumi-analyzer-policy|@pulumi\/policy|policy\/node_modules/.test(cmdline) ||
    comm.startsWith("pulumi-analyzer")
  )
    return "policyPack";
  // The language host (our front host and the upstream one) and the Node.js
  // process running the program under them.
  if (comm.startsWith("pulumi-language") || /@pulumi\/pulumi\/cmd\/run|pulumi-language-nodejs/.test(cmdline))
    return "languageHost";
  if (comm === "node" || comm === "MainThread") return "languageHost";
  return "other";
}

/** VmHWM of /proc/<pid>/status, MiB; undefined when the process is gone. */
export function peakRssMiB(statusText: string): number | undefined {
  const m = /^VmHWM:\s+(\d+)\s+kB/m.exec(statusText);
  return m ? Number(m[1]) / 1024 : undefined;
}

/** The parent pid in /proc/<pid>/stat; the command name (field 2) may hold spaces and ")", so fields are read after its last ")". */
export function parentPid(statText: string): number | undefined {
  const close = statText.lastIndexOf(")");
  if (close < 0) return undefined;
  // After ") ": state, then ppid.
  const ppid = Number(statText.slice(close + 2).split(" ")[1]);
  return Number.isInteger(ppid) ? ppid : undefined;
}

function read(file: string): string | undefined {
  try {
    return fs.readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
}

/** Samples the tree under `rootPid` until stop(); peaks are summed per role over the processes of that role. */
export function samplePeaks(rootPid: number, everyMs = 500): { stop: () => Record<Role, number> } {
  const perPid = new Map<number, { role: Role; peak: number }>();
  const tick = () => {
    const parent = new Map<number, number>();
    for (const d of fs.readdirSync("/proc")) {
      if (!/^\d+$/.test(d)) continue;
      const stat = read(`/proc/${d}/stat`);
      if (!stat) continue;
      const ppid = parentPid(stat);
      if (ppid !== undefined) parent.set(Number(d), ppid);
    }
    const inTree = (pid: number) => {
      for (let p = pid, i = 0; p > 1 && i < 64; p = parent.get(p) ?? 0, i++) if (p === rootPid) return true;
      return false;
    };
    for (const pid of parent.keys()) {
      if (!inTree(pid)) continue;
      const status = read(`/proc/${pid}/status`);
      const peak = status ? peakRssMiB(status) : undefined;
      if (peak === undefined) continue;
      const comm = (read(`/proc/${pid}/comm`) ?? "").trim();
      const cmdline = (read(`/proc/${pid}/cmdline`) ?? "").replace(/\0/g, " ");
      const prev = perPid.get(pid);
      perPid.set(pid, { role: prev?.role ?? roleOf(comm, cmdline), peak: Math.max(prev?.peak ?? 0, peak) });
    }
  };
  const timer = setInterval(tick, everyMs);
  tick();
  return {
    stop: () => {
      clearInterval(timer);
      const out: Record<Role, number> = {
        cli: 0,
        languageHost: 0,
        kubernetesProvider: 0,
        policyPack: 0,
        other: 0,
      };
      for (const { role, peak } of perPid.values()) out[role] += peak;
      for (const k of Object.keys(out) as Role[]) out[k] = Math.round(out[k]);
      return out;
    },
  };
}
