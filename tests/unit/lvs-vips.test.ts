import { allocateVips, hashedVip, usableRange, type VipAllocationInput } from "../../stacks/derive/vips";
import { vipAssignments } from "../../components/fullnat-lvs/vips";
import {
  LVS_BUSINESS_ANNOTATION,
  LVS_SERVICE_LABEL,
  LVS_VIP_ANNOTATION,
  lvsServiceMetadata,
} from "../../components/fullnat-lvs/contract";
import { parseCidr } from "../../stacks/net";
import { fixture, modelOf } from "../helpers/config";

const tcp = (port: number) => ({ port, protocol: "TCP" as const });
const biz = (name: string) => ({ name, ports: [tcp(443)] });
const input = (names: string[], extra: Partial<VipAllocationInput> = {}): VipAllocationInput => ({
  pools: ["10.250.16.0/24"],
  pins: {},
  businesses: names.map(biz),
  reserved: [],
  ...extra,
});
const vipMap = (i: VipAllocationInput) =>
  Object.fromEntries(allocateVips(i).assignments.map((a) => [a.business, a.vip]));

/** Names that hash to the same address of `pool`, found by search so the test does not depend on hash internals. */
function collidingPair(pool: string): [string, string] {
  const seen = new Map<string, string>();
  for (let i = 0; i < 10000; i++) {
    const name = `biz-${i}`;
    const ip = hashedVip(name, pool);
    const other = seen.get(ip);
    if (other) return [other, name];
    seen.set(ip, name);
  }
  throw new Error("no collision found");
}

describe.each([
  ["10.0.0.0/24", "10.0.0.1", 254],
  ["10.0.0.0/30", "10.0.0.1", 2],
  ["10.0.0.0/31", "10.0.0.0", 2],
  ["10.0.0.7/32", "10.0.0.7", 1],
])("usableRange(%s)", (pool, first, count) => {
  it(`starts at ${first} with ${count} addresses`, () => {
    const r = usableRange(parseCidr(pool));
    expect(r.count).toBe(count);
    expect(r.first).toBe(parseCidr(`${first}/32`).first);
  });
});

describe("hashed VIPs", () => {
  // Ten names without a collision in a /24 (music and video do collide: see
  // the collision tests for what happens then).
  const names = ["shop", "account", "push", "music", "appstore", "mail", "cloud", "bbs", "game", "pay"];

  it("the table itself allocates without problems", () => {
    expect(allocateVips(input(names)).issues).toEqual([]);
  });

  it("are inside the first pool's usable range and never its network/broadcast address", () => {
    for (const n of names) {
      const ip = hashedVip(n, "10.250.16.0/24");
      expect(ip).toMatch(/^10\.250\.16\.([0-9]+)$/);
      const last = Number(ip.split(".")[3]);
      expect(last).toBeGreaterThanOrEqual(1);
      expect(last).toBeLessThanOrEqual(254);
    }
  });

  it("are deterministic", () => {
    expect(vipMap(input(names))).toEqual(vipMap(input(names)));
  });

  // The property the issue asks for: removing or adding a business never
  // moves another's VIP. Checked over every leave-one-out subset and every
  // insertion position.
  it.each(names.map((n, i) => [n, i]))("removing %s moves no other VIP", (removed) => {
    const all = vipMap(input(names));
    const after = vipMap(input(names.filter((n) => n !== removed)));
    for (const [name, vip] of Object.entries(after)) expect(vip).toBe(all[name]);
    expect(after[removed as string]).toBeUndefined();
  });

  it.each([0, 3, 10])("adding a business at position %i moves no existing VIP", (pos) => {
    const before = vipMap(input(names));
    const withNew = [...names.slice(0, pos), "newcomer", ...names.slice(pos)];
    const after = vipMap(input(withNew));
    for (const [name, vip] of Object.entries(before)) expect(after[name]).toBe(vip);
  });

  it("reordering businesses moves nothing", () => {
    expect(vipMap(input([...names].reverse()))).toEqual(vipMap(input(names)));
  });

  it("appending a pool moves nothing (only vipPools[0] is hashed into)", () => {
    const after = vipMap(input(names, { pools: ["10.250.16.0/24", "10.250.17.0/24"] }));
    expect(after).toEqual(vipMap(input(names)));
  });

  it("gives every port of a business the same VIP, TCP and UDP alike", () => {
    const { assignments } = allocateVips({
      ...input([]),
      businesses: [{ name: "push", ports: [tcp(443), { port: 5228, protocol: "UDP" }] }],
    });
    expect(assignments).toEqual([
      {
        business: "push",
        vip: hashedVip("push", "10.250.16.0/24"),
        ports: [tcp(443), { port: 5228, protocol: "UDP" }],
        source: "hashed",
      },
    ]);
  });
});

describe("collisions are refused, never probed", () => {
  it("music and video collide in a /24, and video is told to pin", () => {
    expect(allocateVips(input(["music", "video"])).issues).toEqual([
      {
        path: ["businesses", 1, "name"],
        message:
          '"video" hashes to VIP 10.250.16.235, already the VIP of business "music" (businesses[0]) (expected a pin for the newer of the two, e.g. lvs.vipPins.video: 10.250.16.236)',
      },
    ]);
  });

  const pool = "10.9.9.0/28";
  const [a, b] = collidingPair(pool);
  const ip = hashedVip(a, pool);

  it("reports the second business with both names and a free address to pin", () => {
    const { assignments, issues } = allocateVips(input([a, b], { pools: [pool] }));
    expect(assignments.map((x) => x.business)).toEqual([a]);
    expect(issues).toHaveLength(1);
    expect(issues[0].path).toEqual(["businesses", 1, "name"]);
    expect(issues[0].message).toMatch(
      new RegExp(
        `^"${b}" hashes to VIP ${ip.replace(/\./g, "\\.")}, already the VIP of business "${a}" \\(businesses\\[0\\]\\) \\(expected a pin for the newer of the two, e.g. lvs\\.vipPins\\.${b}: 10\\.9\\.9\\.[0-9]+\\)$`,
      ),
    );
  });

  it("is resolved by pinning one, and the other keeps its hashed VIP", () => {
    const suggestion = /lvs\.vipPins\.[^:]+: ([0-9.]+)\)$/.exec(
      allocateVips(input([a, b], { pools: [pool] })).issues[0].message,
    )?.[1] as string;
    const { assignments, issues } = allocateVips(input([a, b], { pools: [pool], pins: { [b]: suggestion } }));
    expect(issues).toEqual([]);
    expect(assignments).toEqual([
      { business: a, vip: ip, ports: [tcp(443)], source: "hashed" },
      { business: b, vip: suggestion, ports: [tcp(443)], source: "pinned" },
    ]);
  });

  it("treats the API server VIP as taken", () => {
    const { issues } = allocateVips(
      input([a], { pools: [pool], reserved: [{ ip, holder: "the API server (apiServer.vip)" }] }),
    );
    expect(issues.map((i) => i.message)).toEqual([
      expect.stringContaining(`hashes to VIP ${ip}, already the VIP of the API server (apiServer.vip)`),
    ]);
  });

  it("treats another business's pinned VIP as taken", () => {
    const { issues } = allocateVips(input([a, "other"], { pools: [pool], pins: { other: ip } }));
    expect(issues.map((i) => i.message)).toEqual([
      expect.stringContaining(`already the VIP of business "other" (pinned)`),
    ]);
  });
});

describe.each([
  [
    "a pin for no business",
    { ghost: "10.250.16.9" },
    ["lvs", "vipPins", "ghost"],
    `"ghost" is not a business`,
  ],
  [
    "a pin outside every pool",
    { shop: "10.1.1.1" },
    ["lvs", "vipPins", "shop"],
    `"10.1.1.1" is not in any lvs.vipPools`,
  ],
  [
    "a pin on the pool's network address",
    { shop: "10.250.16.0" },
    ["lvs", "vipPins", "shop"],
    `"10.250.16.0" is the network or broadcast address of 10.250.16.0/24`,
  ],
  [
    "a pin on the API VIP",
    { shop: "10.250.16.10" },
    ["lvs", "vipPins", "shop"],
    `"10.250.16.10" is already the VIP of the API server`,
  ],
  [
    "two businesses pinned to one address",
    { shop: "10.250.16.9", account: "10.250.16.9" },
    ["lvs", "vipPins", "shop"],
    `"10.250.16.9" is already the VIP of business "account" (pinned)`,
  ],
])("bad pins: %s", (_title, pins, path, message) => {
  it("is reported at the pin's path", () => {
    const { issues } = allocateVips(
      input(["shop", "account"], { pins, reserved: [{ ip: "10.250.16.10", holder: "the API server" }] }),
    );
    expect(issues).toEqual([{ path, message: expect.stringContaining(message) }]);
  });
});

describe.each(["dc-a", "dc-b", "dc-c"])("vipAssignments(%s)", (stack) => {
  const model = modelOf(fixture(stack));
  const assignments = vipAssignments(model);

  it("gives every business one distinct VIP, none the API VIP", () => {
    expect(assignments.map((a) => a.business)).toEqual(model.config.businesses.map((b) => b.name));
    const vips = assignments.map((a) => a.vip);
    expect(new Set(vips).size).toBe(vips.length);
    if (model.api.mode === "lvs") expect(vips).not.toContain(model.api.host);
  });

  it("puts the VIP on the Service metadata the director-sync reads", () => {
    const a = assignments[0];
    expect(lvsServiceMetadata(model, a.business)).toEqual({
      labels: { [LVS_SERVICE_LABEL]: "true" },
      annotations: { [LVS_VIP_ANNOTATION]: a.vip, [LVS_BUSINESS_ANNOTATION]: a.business },
    });
  });
});

describe("pinned VIPs of the real stacks", () => {
  it("dc-a's VIPs are the ones published (changing them is an outage: update this table only on purpose)", () => {
    expect(
      Object.fromEntries(vipAssignments(modelOf(fixture("dc-a"))).map((a) => [a.business, a.vip])),
    ).toEqual({
      shop: "10.250.16.214",
      account: "10.250.16.119",
      push: "10.250.16.224",
    });
  });

  it("an unknown business has no Service metadata", () => {
    expect(() => lvsServiceMetadata(modelOf(fixture("dc-c")), "nope")).toThrow(
      'business "nope" has no VIP in datacenter dc-c',
    );
  });
});
