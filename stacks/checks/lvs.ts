/** The FULLNAT LVS tier: directors, local addresses, and the VIP allocation. */
import { show } from "../validate";
import { allocateVips, vipAllocationInput } from "../derive/vips";
import { lipBlocks } from "../lip-blocks";
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
  // Every director needs its own CIDR-aligned LIP block (stacks/lip-blocks.ts).
  for (const i of lipBlocks(lvs.localAddressRanges, lvs.directors).issues)
    issues.add(cfgPath(...i.path), i.message);
  for (const v of allocateVips(vipAllocationInput(cfg)).issues) issues.add(cfgPath(...v.path), v.message);
}
