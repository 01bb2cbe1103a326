/**
 * The Calico IP pools as the datacenter holds them, derived once from
 * `bgp.ipPools` while the model is built (stored as `model.ipPools`). The
 * config checks report the carve's problems by path; components only read
 * the result.
 */
import { cidrContainsCidr, intToIp, parseCidr } from "../net";
import type { StackConfig } from "../schema";

export interface CarvedPool {
  /** Calico IPPool name. */
  readonly name: string;
  readonly cidr: string;
  readonly blockSize: number;
  readonly natOutgoing: boolean;
  /** Racks whose nodes allocate from it; undefined means every node. */
  readonly racks?: readonly string[];
}

export interface CarveIssue {
  /** Path below the config namespace, e.g. ["bgp", "ipPools", 0, "rackBlockPrefix"]. */
  readonly path: readonly (string | number)[];
  readonly message: string;
}

type PoolConfig = StackConfig["bgp"]["ipPools"][number];

/**
 * The IP pools as Calico will hold them. A pool with `rackBlockPrefix` is
 * carved into one block per rack — rack i of its rack list (config order)
 * gets the i-th block — so every ToR sees its rack's pods as one prefix it
 * can aggregate. Other pools are kept whole, restricted to their racks if
 * they list any. Problems (a carve that does not fit) are returned, not
 * thrown, so config validation can report them by path.
 */
export function carvePools(
  pools: readonly PoolConfig[],
  allRacks: readonly string[],
): { pools: CarvedPool[]; issues: CarveIssue[] } {
  const out: CarvedPool[] = [];
  const issues: CarveIssue[] = [];
  pools.forEach((p, i) => {
    const base = { blockSize: p.blockSize, natOutgoing: p.natOutgoing };
    if (p.rackBlockPrefix === undefined) {
      out.push({ name: p.name, cidr: p.cidr, ...base, ...(p.racks ? { racks: p.racks } : {}) });
      return;
    }
    const at = ["bgp", "ipPools", i, "rackBlockPrefix"];
    const pool = parseCidr(p.cidr);
    const racks = p.racks ?? allRacks;
    const prefix = p.rackBlockPrefix;
    if (prefix < pool.prefix) {
      issues.push({
        path: at,
        message: `/${prefix} is larger than the pool ${p.cidr} (expected a prefix length >= ${pool.prefix})`,
      });
      return;
    }
    if (p.blockSize < prefix) {
      issues.push({
        path: at,
        message: `/${prefix} is smaller than the IPAM block /${p.blockSize} (expected a prefix length <= blockSize ${p.blockSize})`,
      });
      return;
    }
    const blocks = 2 ** (prefix - pool.prefix);
    if (racks.length > blocks) {
      issues.push({
        path: at,
        message: `${p.cidr} holds ${blocks} /${prefix} block(s) for ${racks.length} racks (expected a longer prefix, at most /${pool.prefix + Math.ceil(Math.log2(racks.length))}, or a larger pool)`,
      });
      return;
    }
    const size = 2 ** (32 - prefix);
    racks.forEach((rack, r) => {
      const cidr = `${intToIp(pool.first + r * size)}/${prefix}`;
      if (!cidrContainsCidr(pool, parseCidr(cidr))) throw new Error(`carve of ${p.cidr} left the pool`);
      out.push({ name: `${p.name}-${rack}`, cidr, ...base, racks: [rack] });
    });
  });
  return { pools: out, issues };
}
