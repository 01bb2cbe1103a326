import { lipBlocks } from "../../stacks/lip-blocks";
import { cidrContainsIp, parseCidr } from "../../stacks/net";

describe("lipBlocks", () => {
  it.each([
    // ranges, directors, expected blocks
    [["10.251.16.0/24"], 4, ["10.251.16.0/26", "10.251.16.64/26", "10.251.16.128/26", "10.251.16.192/26"]],
    [["10.251.16.0/24"], 3, ["10.251.16.0/26", "10.251.16.64/26", "10.251.16.128/26"]],
    [["172.19.251.0/26"], 2, ["172.19.251.0/27", "172.19.251.32/27"]],
    [["10.0.0.0/28", "10.0.1.0/27"], 3, ["10.0.0.0/28", "10.0.1.0/28", "10.0.1.16/28"]],
    [["10.0.0.0/30"], 4, ["10.0.0.0/32", "10.0.0.1/32", "10.0.0.2/32", "10.0.0.3/32"]],
  ])("%j over %i directors → %j", (ranges, n, want) => {
    const directors = Array.from({ length: n }, (_, i) => `d${i}`);
    const { blocks, issues } = lipBlocks(ranges, directors);
    expect(issues).toEqual([]);
    expect(directors.map((d) => blocks.get(d)?.block)).toEqual(want);
  });

  it("blocks are aligned, disjoint, and hold their LIPs (no network or broadcast address)", () => {
    const { blocks } = lipBlocks(["10.251.16.0/24"], ["a", "b", "c", "d"]);
    const seen = new Set<string>();
    for (const b of blocks.values()) {
      const c = parseCidr(b.block); // throws on host bits: aligned
      expect(b.lips.every((l) => cidrContainsIp(c, l))).toBe(true);
      expect(b.lips).not.toContain(b.block.split("/")[0]);
      for (const l of b.lips) {
        expect(seen.has(l)).toBe(false);
        seen.add(l);
      }
    }
  });

  it("refuses too few addresses, naming the path and what is expected", () => {
    expect(lipBlocks(["172.19.251.7/32"], ["a", "b"]).issues).toEqual([
      {
        path: ["lvs", "localAddressRanges"],
        message: "1 local address(es) for 2 directors (expected at least one per director)",
      },
    ]);
  });
});
