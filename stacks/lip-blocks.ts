/**
 * Each LVS director's local addresses (LIPs) as one CIDR-aligned block.
 *
 * FULLNAT rewrites the client address to a LIP, so a real server's reply
 * goes to the LIP, and the fabric must route it to the director that holds
 * the connection. A director can announce its share as one prefix only if
 * the share is a CIDR block: the routers then hold one route per director
 * (`LIP block → that director`), next to the ECMP route of every VIP. The
 * earlier split into equal contiguous runs (dc-a: .1–.63, .64–.126, …) was
 * not aligned and could not be announced without a route per address.
 *
 * Blocks are equal, the largest power-of-two size that gives every director
 * one, carved from the ranges in config order. Network and broadcast
 * addresses of a block larger than /31 are not used (the first usable LIP
 * carries the block's prefix on the director, and some stacks refuse the
 * edges); so a block of 2^k addresses gives 2^k − 2 LIPs, each good for about
 * 64k connections per real server.
 */
import { intToIp, parseCidr } from "./net";

export interface LipBlock {
  /** The director's block, e.g. "10.251.16.64/26". */
  readonly block: string;
  /** Its usable addresses, in order. */
  readonly lips: readonly string[];
}

export interface LipBlockIssue {
  /** Path below the config namespace. */
  readonly path: readonly (string | number)[];
  readonly message: string;
}

/**
 * Splits `ranges` (lvs.localAddressRanges) into one block per director.
 * Returns the blocks by director (config order) and the problems found; with
 * problems, no blocks.
 */
export function lipBlocks(
  ranges: readonly string[],
  directors: readonly string[],
): { blocks: Map<string, LipBlock>; issues: LipBlockIssue[] } {
  const blocks = new Map<string, LipBlock>();
  const cidrs = ranges.map(parseCidr);
  const n = directors.length;
  if (n === 0) return { blocks, issues: [] };
  const total = cidrs.reduce((s, c) => s + (c.last - c.first + 1), 0);
  // Largest power of two ≤ every range's size that still yields n blocks.
  let size = 2 ** Math.floor(Math.log2(Math.max(1, ...cidrs.map((c) => c.last - c.first + 1))));
  const count = (s: number) => cidrs.reduce((k, c) => k + Math.floor((c.last - c.first + 1) / s), 0);
  while (size > 1 && count(size) < n) size /= 2;
  if (count(size) < n) {
    return {
      blocks,
      issues: [
        {
          path: ["lvs", "localAddressRanges"],
          message: `${total} local address(es) for ${n} directors (expected at least one per director)`,
        },
      ],
    };
  }
  const prefix = 32 - Math.log2(size);
  const starts: number[] = [];
  for (const c of cidrs)
    for (let a = c.first; a + size - 1 <= c.last && starts.length < n; a += size) starts.push(a);
  directors.forEach((d, i) => {
    const first = starts[i];
    const [lo, hi] = size > 2 ? [first + 1, first + size - 2] : [first, first + size - 1];
    const lips: string[] = [];
    for (let a = lo; a <= hi; a++) lips.push(intToIp(a));
    blocks.set(d, { block: `${intToIp(first)}/${prefix}`, lips });
  });
  return { blocks, issues: [] };
}
