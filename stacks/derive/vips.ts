/**
 * VIP allocation: one VIP per business, one virtual service per (VIP, port,
 * protocol) on it. A business's host names resolve to one address, so its
 * ports (80 and 443, or 443/TCP and 5228/UDP) share the VIP.
 *
 * Stability without state. A VIP is published in DNS and in clients' caches;
 * moving it is an outage. Allocation therefore has to be a function of the
 * business alone, never of which other businesses exist or in what order:
 *
 *   vip(b) = lvs.vipPins[b]                                    when pinned
 *          = usable(vipPools[0])[ fnv1a(b) mod |usable(vipPools[0])| ]   otherwise
 *
 * Adding or removing a business cannot move any other business's VIP,
 * because no term above mentions another business. The price is that two
 * businesses can hash to the same address (or onto the API server VIP, or
 * onto an address pinned for someone else). We do not resolve that by
 * probing: with probing, the business that was displaced moves back home
 * when the one in its way is removed — exactly the reshuffle we must avoid.
 * A collision is a config error at preview time of the pull request that
 * adds the business, naming both and suggesting a free address to pin; a
 * human pins the newcomer once and it stays put for good.
 *
 * Why only the first pool is hashed into: the modulus is the pool size, so
 * hashing over all pools would move every unpinned VIP when a pool is
 * appended. Later pools are for pins (and the API VIP). `vipPools[0]` must
 * therefore never be resized or reordered (the schema says so).
 */
import { stableOffset } from "../../components/common/sizing";
import { cidrContainsIp, intToIp, ipToInt, parseCidr, type Cidr } from "../net";
import type { StackConfig } from "../schema";

export type Protocol = "TCP" | "UDP";

export interface VipPort {
  readonly port: number;
  readonly protocol: Protocol;
}

export interface VipAssignment {
  readonly business: string;
  readonly vip: string;
  /** The virtual services on this VIP, in config order. */
  readonly ports: readonly VipPort[];
  /** `pinned`: from `lvs.vipPins`; `hashed`: derived from the business name. */
  readonly source: "pinned" | "hashed";
}

export interface VipAllocationInput {
  /** `lvs.vipPools`, in config order. */
  readonly pools: readonly string[];
  /** `lvs.vipPins`: business name → VIP. */
  readonly pins: Readonly<Record<string, string>>;
  /** `businesses`, in config order. */
  readonly businesses: readonly { readonly name: string; readonly ports: readonly VipPort[] }[];
  /** Addresses no business may get, with what holds them (the API server VIP). */
  readonly reserved: readonly { readonly ip: string; readonly holder: string }[];
}

/** One problem, with its path below the config namespace (e.g. ["lvs", "vipPins", "shop"]). */
export interface VipIssue {
  readonly path: readonly (string | number)[];
  readonly message: string;
}

/**
 * Addresses of a pool that may be VIPs: all but the network and broadcast
 * addresses of pools larger than /31 (some clients and firewalls refuse those
 * even when the pool is not a link subnet).
 */
export function usableRange(pool: Cidr): { first: number; count: number } {
  const size = pool.last - pool.first + 1;
  return size > 2 ? { first: pool.first + 1, count: size - 2 } : { first: pool.first, count: size };
}

/** The address a business hashes to in the hashing pool (`vipPools[0]`). */
export function hashedVip(business: string, hashingPool: string): string {
  const { first, count } = usableRange(parseCidr(hashingPool));
  return intToIp(first + stableOffset(business, count));
}

/**
 * Allocates every business's VIP; returns the assignments (businesses in
 * config order) and every problem found. Problems are collisions and bad
 * pins; the assignments for businesses without problems are still returned.
 */
export function allocateVips(input: VipAllocationInput): {
  assignments: VipAssignment[];
  issues: VipIssue[];
} {
  const issues: VipIssue[] = [];
  const pools = input.pools.map(parseCidr);
  const names = input.businesses.map((b) => b.name);
  const reserved = new Map(input.reserved.map((r) => [r.ip, r.holder]));

  // Pins first: they are decisions a human made and never move.
  const pinnedBy = new Map<string, string>();
  for (const [business, ip] of Object.entries(input.pins).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const path = ["lvs", "vipPins", business];
    if (!names.includes(business)) {
      issues.push({
        path,
        message: `${JSON.stringify(business)} is not a business (expected one of ${JSON.stringify(names)}; remove the pin of a removed business)`,
      });
      continue;
    }
    const pool = pools.find((p) => cidrContainsIp(p, ip));
    if (!pool) {
      issues.push({
        path,
        message: `${JSON.stringify(ip)} is not in any lvs.vipPools ${JSON.stringify(input.pools)} (expected an address the directors announce)`,
      });
      continue;
    }
    const { first, count } = usableRange(pool);
    const n = ipToInt(ip);
    if (n < first || n >= first + count) {
      issues.push({
        path,
        message: `${JSON.stringify(ip)} is the network or broadcast address of ${pool.text} (expected a usable address inside it)`,
      });
      continue;
    }
    const holder = reserved.get(ip) ?? pinnedBy.get(ip);
    if (holder) {
      issues.push({
        path,
        message: `${JSON.stringify(ip)} is already the VIP of ${holder} (expected a VIP of its own)`,
      });
      continue;
    }
    pinnedBy.set(ip, `business ${JSON.stringify(business)} (pinned)`);
  }

  const taken = new Map<string, string>([...reserved, ...pinnedBy]);
  const hashing = pools[0];
  const suggest = (ip: string): string => {
    const { first, count } = usableRange(hashing);
    const start = ipToInt(ip) - first;
    for (let k = 1; k < count; k++) {
      const candidate = intToIp(first + ((start + k) % count));
      if (!taken.has(candidate)) return candidate;
    }
    return "(none free: add a pool to lvs.vipPools)";
  };

  const assignments: VipAssignment[] = [];
  input.businesses.forEach((b, index) => {
    const pin = input.pins[b.name];
    if (pin !== undefined) {
      if (pinnedBy.get(pin) === `business ${JSON.stringify(b.name)} (pinned)`)
        assignments.push({ business: b.name, vip: pin, ports: b.ports, source: "pinned" });
      return;
    }
    const ip = hashedVip(b.name, hashing.text);
    const holder = taken.get(ip);
    // Hashed vs hashed: the first in config order keeps the address here, but
    // without state we cannot know which is older, so the message asks to pin
    // the newer one (whose VIP was never published).
    if (holder) {
      issues.push({
        path: ["businesses", index, "name"],
        message: `${JSON.stringify(b.name)} hashes to VIP ${ip}, already the VIP of ${holder} (expected a pin for the newer of the two, e.g. lvs.vipPins.${b.name}: ${suggest(ip)})`,
      });
      return;
    }
    taken.set(ip, `business ${JSON.stringify(b.name)} (businesses[${index}])`);
    assignments.push({ business: b.name, vip: ip, ports: b.ports, source: "hashed" });
  });
  return { assignments, issues };
}

/** The allocation input of a (schema-valid) config. */
export function vipAllocationInput(cfg: StackConfig): VipAllocationInput {
  const lvs = cfg.lvs;
  const api = cfg.apiServer;
  return {
    pools: lvs?.vipPools ?? [],
    pins: lvs?.vipPins ?? {},
    businesses: cfg.businesses.map((b) => ({
      name: b.name,
      ports: b.ports.map((p) => ({ port: p.port, protocol: p.protocol })),
    })),
    reserved:
      api.mode === "lvs" && api.vip ? [{ ip: api.vip, holder: "the API server (apiServer.vip)" }] : [],
  };
}
