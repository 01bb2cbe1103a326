/** The FULLNAT LVS tier: directors, local addresses, and the VIP allocation. */
import { show } from "../validate";
import { parseCidr } from "../net";
import { allocateVips, usableRange, vipAllocationInput } from "../derive/vips";
import { needHost } from "./masters";
import type { CheckContext } from "./context";

export function lvsChecks(ctx: CheckContext): void {
  const { cfg, issues, cfgPath } = ctx;
  const lvs = cfg.lvs;
  if (!lvs) {
    // Every business is reached through its VIP on the LVS tier; without the
    // tier the ingress tiers have no address to serve on.
    if (cfg.businesses.length > 0)
      issues.add(
        cfgPath("lvs"),
        `is required when businesses are configured (expected the LVS directors and VIP pools that carry the VIPs of ${show(cfg.businesses.map((b) => b.name))}; or no businesses)`,
      );
    return;
  }
  lvs.directors.forEach((d, i) => needHost(ctx, cfgPath("lvs", "directors", i), d, "lvs"));
  issues.unique(
    lvs.directors,
    (d) => d,
    (i) => cfgPath("lvs", "directors", i),
    (i) => `lvs.directors[${i}]`,
    "distinct directors",
  );
  // FULLNAT rewrites the client address to a LIP; every director needs its
  // own LIPs (replies must return to the director that holds the
  // connection), so the ranges are split between them.
  const lips = lvs.localAddressRanges.reduce((n, t) => n + usableRange(parseCidr(t)).count, 0);
  if (lips < lvs.directors.length)
    issues.add(
      cfgPath("lvs", "localAddressRanges"),
      `${lips} local address(es) for ${lvs.directors.length} directors (expected at least one per director)`,
    );
  for (const v of allocateVips(vipAllocationInput(cfg)).issues) issues.add(cfgPath(...v.path), v.message);
}
