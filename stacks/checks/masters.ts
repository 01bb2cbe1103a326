/** Control plane: master count and spread, and hosts named by role. */
import { show } from "../validate";
import type { HostFunction } from "../schema";
import type { CheckContext } from "./context";

/** Odd and within 3..7: etcd keeps quorum through (n-1)/2 failures; even counts add risk, not tolerance. */
export function masterCountProblem(count: number): string | undefined {
  if (count < 3) return `${count} master(s) cannot keep etcd quorum through a failure (expected 3, 5 or 7)`;
  if (count % 2 === 0)
    return `${count} masters: an even count tolerates no more failures than ${count - 1} (expected 3, 5 or 7)`;
  if (count > 7) return `${count} masters slow every etcd write (expected 3, 5 or 7)`;
  return undefined;
}

/** A hostname in config must be an inventory host of the given function. */
export function needHost(ctx: CheckContext, path: string, hostname: string, fn: HostFunction): void {
  const h = ctx.byHostname.get(hostname);
  if (!h)
    ctx.issues.add(
      path,
      `${show(hostname)} is not in the inventory ${ctx.inventoryPath} (expected a hostname of a ${fn} host)`,
    );
  else if (h.function !== fn)
    ctx.issues.add(
      path,
      `${show(hostname)} has function ${show(h.function)} in the inventory (expected function ${show(fn)})`,
    );
}

export function masterChecks(ctx: CheckContext): void {
  const { cfg, issues, cfgPath, byHostname } = ctx;
  const hostnames = cfg.masters.hostnames;
  const problem = masterCountProblem(hostnames.length);
  if (problem) issues.add(cfgPath("masters", "hostnames"), problem);
  hostnames.forEach((m, i) => needHost(ctx, cfgPath("masters", "hostnames", i), m, "master"));
  issues.unique(
    hostnames,
    (x) => x,
    (i) => cfgPath("masters", "hostnames", i),
    (i) => `masters.hostnames[${i}]`,
    "distinct masters",
  );
  // Spread is judged only on a list that is otherwise right (known, distinct masters).
  const known = new Set(hostnames.filter((m) => byHostname.has(m)));
  const racks = new Set([...known].map((m) => byHostname.get(m)?.rack));
  if (known.size === hostnames.length && known.size >= 3 && racks.size === 1) {
    issues.add(
      cfgPath("masters", "hostnames"),
      `every master is in rack ${[...racks][0]} (expected masters spread over at least 2 racks, so one rack failure keeps quorum)`,
    );
  }
}
