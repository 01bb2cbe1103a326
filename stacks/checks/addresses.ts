/**
 * Address plan: every range is a network address, ranges do not overlap,
 * every address a user writes (gateway, host, VIP, router) is usable where
 * it is used, and the ranges fit what the programs that read them accept.
 */
import { show } from "../validate";
import {
  cidrContainsCidr,
  cidrContainsIp,
  cidrsOverlap,
  edgeAddress,
  hasHostBits,
  intToIp,
  parseCidr,
  type Cidr,
} from "../net";
import type { CheckContext } from "./context";
import type { IssueCollector } from "./collector";

/**
 * kube-apiserver refuses a service range with more than 20 host bits
 * ("specified --service-cluster-ip-range is too large; for 32-bit addresses,
 * the mask must be >= 12": validateMaxCIDRRange in
 * cmd/kube-apiserver/app/options/validation.go): its allocator keeps a bitmap
 * of the whole range.
 */
export const MAX_SERVICE_CIDR_HOST_BITS = 20;

function networkAddressOnly(issues: IssueCollector, path: string, text: string): void {
  if (hasHostBits(text)) {
    const c = parseCidr(text);
    issues.add(
      path,
      `${show(text)} has host bits set (expected the network address ${show(`${intToIp(c.first)}/${c.prefix}`)})`,
    );
  }
}

/**
 * `ip` must not be the network or broadcast address of `within` (the range it
 * is taken from): `what` says which range, for the message.
 */
export function usableAddress(
  issues: IssueCollector,
  path: string,
  ip: string,
  within: Cidr,
  what: string,
): boolean {
  const edge = edgeAddress(within, ip);
  if (!edge) return true;
  issues.add(
    path,
    `${show(ip)} is the ${edge} address of ${what} ${within.text} (expected a usable address, ${intToIp(within.first + 1)}-${intToIp(within.last - 1)})`,
  );
  return false;
}

export function addressChecks(ctx: CheckContext): void {
  const { cfg, inv, issues, cfgPath, invPath, rackByName } = ctx;
  const racksCfg = cfg.network.racks;

  racksCfg.forEach((r, i) => {
    const at = (...s: string[]) => cfgPath("network", "racks", i, ...s);
    networkAddressOnly(issues, at("subnet"), r.subnet);
    const sub = parseCidr(r.subnet);
    if (!cidrContainsIp(sub, r.gateway))
      issues.add(
        at("gateway"),
        `${show(r.gateway)} is outside the rack subnet ${r.subnet} (expected an address inside it)`,
      );
    else usableAddress(issues, at("gateway"), r.gateway, sub, `rack ${r.name}'s subnet`);
  });

  inv.hosts.forEach((h, i) => {
    const r = rackByName.get(h.rack);
    if (!r) return; // reported as an undeclared rack
    if (!cidrContainsIp(r.subnet, h.ip))
      issues.add(
        invPath("hosts", i, "ip"),
        `${show(h.ip)} of ${h.hostname} is outside rack ${h.rack}'s subnet ${r.rack.subnet} (expected an address inside it)`,
      );
    else if (h.ip === r.rack.gateway)
      issues.add(
        invPath("hosts", i, "ip"),
        `${show(h.ip)} is rack ${h.rack}'s gateway (expected a host address)`,
      );
    else usableAddress(issues, invPath("hosts", i, "ip"), h.ip, r.subnet, `rack ${h.rack}'s subnet`);
  });

  // --- Address spaces do not overlap --------------------------------------
  const spaces: { path: string; cidr: Cidr }[] = [];
  const space = (path: string, text: string) => {
    networkAddressOnly(issues, path, text);
    spaces.push({ path, cidr: parseCidr(text) });
  };
  space(cfgPath("network", "podCidr"), cfg.network.podCidr);
  space(cfgPath("network", "serviceCidr"), cfg.network.serviceCidr);
  racksCfg.forEach((r, i) =>
    spaces.push({ path: cfgPath("network", "racks", i, "subnet"), cidr: parseCidr(r.subnet) }),
  );
  (cfg.lvs?.vipPools ?? []).forEach((t, i) => space(cfgPath("lvs", "vipPools", i), t));
  (cfg.lvs?.localAddressRanges ?? []).forEach((t, i) => space(cfgPath("lvs", "localAddressRanges", i), t));
  for (let a = 0; a < spaces.length; a++) {
    for (let b = a + 1; b < spaces.length; b++) {
      if (cidrsOverlap(spaces[a].cidr, spaces[b].cidr)) {
        issues.add(
          spaces[b].path,
          `${spaces[b].cidr.text} overlaps ${spaces[a].path} ${spaces[a].cidr.text} (expected disjoint address ranges)`,
        );
      }
    }
  }
  const svcBits = 32 - ctx.serviceCidr.prefix;
  if (svcBits > MAX_SERVICE_CIDR_HOST_BITS)
    issues.add(
      cfgPath("network", "serviceCidr"),
      `${cfg.network.serviceCidr} has ${svcBits} host bits, more than kube-apiserver accepts (expected a prefix of /${32 - MAX_SERVICE_CIDR_HOST_BITS} or longer: the API server refuses a larger --service-cluster-ip-range)`,
    );

  // --- Calico IP pools: inside the pod CIDR, disjoint ---------------------
  const pools = cfg.bgp.ipPools.map((p, i) => {
    networkAddressOnly(issues, cfgPath("bgp", "ipPools", i, "cidr"), p.cidr);
    return { p, i, c: parseCidr(p.cidr) };
  });
  for (const { p, i, c } of pools) {
    if (!cidrContainsCidr(ctx.podCidr, c))
      issues.add(
        cfgPath("bgp", "ipPools", i, "cidr"),
        `${p.cidr} is outside network.podCidr ${cfg.network.podCidr} (expected a block inside it)`,
      );
    if (p.blockSize < c.prefix)
      issues.add(
        cfgPath("bgp", "ipPools", i, "blockSize"),
        `${p.blockSize} is larger than the pool ${p.cidr} (expected a prefix length >= ${c.prefix})`,
      );
  }
  for (let a = 0; a < pools.length; a++) {
    for (let b = a + 1; b < pools.length; b++) {
      if (cidrsOverlap(pools[a].c, pools[b].c))
        issues.add(
          cfgPath("bgp", "ipPools", b, "cidr"),
          `${pools[b].c.text} overlaps bgp.ipPools[${a}] ${pools[a].c.text} (expected disjoint pools)`,
        );
    }
  }
}
