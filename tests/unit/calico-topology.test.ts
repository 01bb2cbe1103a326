import {
  bgpConfiguration,
  bgpPeers,
  carvePools,
  ipPools,
  routeReflectorNodePatches,
  ROUTE_REFLECTOR_LABEL,
  RR_CLUSTER_ID_ANNOTATION,
} from "../../components/calico-bgp/topology";
import { fixture, modelOf } from "../helpers/config";

const RACK = "cmdb.private-cloud.io/rack";

describe.each([
  ["dc-a", 64601],
  ["dc-b", 64602],
  ["dc-c", 4200000103],
])("bgpConfiguration(%s)", (stack, asn) => {
  it("turns the node-to-node mesh off and sets the datacenter's AS", () => {
    const c = bgpConfiguration(modelOf(fixture(stack)));
    expect(c.metadata.name).toBe("default");
    expect(c.spec).toMatchObject({ nodeToNodeMeshEnabled: false, asNumber: asn, bindMode: "NodeIP" });
  });
});

describe("tor mode: each rack's nodes peer with that rack's router only", () => {
  const model = modelOf(fixture("dc-a"));
  const peers = bgpPeers(model);

  it("has one BGPPeer per configured router", () => {
    expect(peers).toHaveLength(8);
  });

  it.each([
    ["a1r01", "10.16.1.1", 65101],
    ["a1r04", "10.16.4.1", 65104],
    ["a2r01", "10.16.9.1", 65109],
    ["a2r04", "10.16.12.1", 65112],
  ])("rack %s → %s (AS %i)", (rack, ip, asn) => {
    const p = peers.find((x) => x.spec.peerIP === ip);
    expect(p).toEqual({
      apiVersion: "crd.projectcalico.org/v1",
      kind: "BGPPeer",
      metadata: { name: `tor-${rack}-${ip.replace(/\./g, "-")}` },
      spec: { nodeSelector: `${RACK} == '${rack}'`, peerIP: ip, asNumber: asn, sourceAddress: "UseNodeIP" },
    });
  });

  it("peers each rack with routers of that rack only", () => {
    for (const p of peers) {
      const rack = /== '([^']+)'$/.exec(p.spec.nodeSelector)?.[1];
      const cfg = model.config.bgp.peers.find((x) => x.peerIp === p.spec.peerIP);
      expect(rack).toBe(cfg?.rack);
    }
  });

  it("labels no route reflector", () => {
    expect(routeReflectorNodePatches(model)).toEqual([]);
  });

  it("gives a rack with two routers two peers", () => {
    const f = fixture("dc-c");
    (f.raw.bgp as { peers: unknown[] }).peers.push({
      rack: "c1r01",
      peerIp: "172.18.1.2",
      asNumber: 4200001001,
    });
    const names = bgpPeers(modelOf(f)).map((p) => p.metadata.name);
    expect(names.filter((n) => n.startsWith("tor-c1r01-"))).toEqual([
      "tor-c1r01-172-18-1-1",
      "tor-c1r01-172-18-1-2",
    ]);
  });
});

describe("routeReflector mode (dc-b)", () => {
  const model = modelOf(fixture("dc-b"));
  const peers = bgpPeers(model);
  const rr = `has(${ROUTE_REFLECTOR_LABEL})`;

  it.each([
    ["rr-clients", { nodeSelector: `!${rr}`, peerSelector: rr }],
    ["rr-mesh", { nodeSelector: rr, peerSelector: rr }],
    [
      "rr-core-10-32-0-1",
      { nodeSelector: rr, peerIP: "10.32.0.1", asNumber: 65200, sourceAddress: "UseNodeIP" },
    ],
    [
      "rr-core-10-32-0-2",
      { nodeSelector: rr, peerIP: "10.32.0.2", asNumber: 65200, sourceAddress: "UseNodeIP" },
    ],
  ])("%s", (name, spec) => {
    expect(peers.find((p) => p.metadata.name === name)?.spec).toEqual(spec);
  });

  it("has no other peers (clients never talk to the routers directly)", () => {
    expect(peers.map((p) => p.metadata.name).sort()).toEqual([
      "rr-clients",
      "rr-core-10-32-0-1",
      "rr-core-10-32-0-2",
      "rr-mesh",
    ]);
  });

  it("labels the reflector nodes and gives them their cluster ID", () => {
    expect(routeReflectorNodePatches(model)).toEqual([
      {
        node: "dcb-b1r03-04",
        labels: { [ROUTE_REFLECTOR_LABEL]: "true" },
        annotations: { [RR_CLUSTER_ID_ANNOTATION]: "244.0.0.1" },
      },
      {
        node: "dcb-b2r03-04",
        labels: { [ROUTE_REFLECTOR_LABEL]: "true" },
        annotations: { [RR_CLUSTER_ID_ANNOTATION]: "244.0.0.1" },
      },
    ]);
  });
});

const pool = (extra: Record<string, unknown>) => ({
  name: "pods",
  cidr: "10.128.0.0/15",
  blockSize: 26,
  natOutgoing: false,
  ...extra,
});

describe("carvePools", () => {
  it.each([
    [
      "whole pool, every rack",
      pool({}),
      ["r1", "r2"],
      [{ name: "pods", cidr: "10.128.0.0/15", blockSize: 26, natOutgoing: false }],
    ],
    [
      "whole pool, its racks",
      pool({ racks: ["r2"] }),
      ["r1", "r2"],
      [{ name: "pods", cidr: "10.128.0.0/15", blockSize: 26, natOutgoing: false, racks: ["r2"] }],
    ],
    [
      "carved for its racks in their order",
      pool({ racks: ["r3", "r1"], rackBlockPrefix: 17 }),
      ["r1", "r2", "r3"],
      [
        { name: "pods-r3", cidr: "10.128.0.0/17", blockSize: 26, natOutgoing: false, racks: ["r3"] },
        { name: "pods-r1", cidr: "10.128.128.0/17", blockSize: 26, natOutgoing: false, racks: ["r1"] },
      ],
    ],
    [
      "carved for every rack, with room left for more",
      pool({ rackBlockPrefix: 18 }),
      ["r1", "r2", "r3"],
      [
        { name: "pods-r1", cidr: "10.128.0.0/18", blockSize: 26, natOutgoing: false, racks: ["r1"] },
        { name: "pods-r2", cidr: "10.128.64.0/18", blockSize: 26, natOutgoing: false, racks: ["r2"] },
        { name: "pods-r3", cidr: "10.128.128.0/18", blockSize: 26, natOutgoing: false, racks: ["r3"] },
      ],
    ],
    [
      "carved down to one IPAM block per rack",
      pool({ cidr: "10.0.0.0/24", rackBlockPrefix: 26 }),
      ["r1", "r2"],
      [
        { name: "pods-r1", cidr: "10.0.0.0/26", blockSize: 26, natOutgoing: false, racks: ["r1"] },
        { name: "pods-r2", cidr: "10.0.0.64/26", blockSize: 26, natOutgoing: false, racks: ["r2"] },
      ],
    ],
  ])("%s", (_title, p, racks, expected) => {
    expect(carvePools([p], racks)).toEqual({ pools: expected, issues: [] });
  });

  it("appending a rack moves no carved block", () => {
    const before = carvePools([pool({ rackBlockPrefix: 18 })], ["r1", "r2"]).pools;
    const after = carvePools([pool({ rackBlockPrefix: 18 })], ["r1", "r2", "r3"]).pools;
    expect(after.slice(0, 2)).toEqual(before);
  });

  it.each([
    [pool({ rackBlockPrefix: 14 }), ["r1"], "/14 is larger than the pool"],
    [pool({ rackBlockPrefix: 27 }), ["r1"], "/27 is smaller than the IPAM block /26"],
    [pool({ rackBlockPrefix: 16 }), ["r1", "r2", "r3"], "holds 2 /16 block(s) for 3 racks"],
  ])("refuses a carve that does not fit (%#)", (p, racks, message) => {
    const r = carvePools([p], racks);
    expect(r.pools).toEqual([]);
    expect(r.issues).toEqual([
      { path: ["bgp", "ipPools", 0, "rackBlockPrefix"], message: expect.stringContaining(message) },
    ]);
  });
});

describe.each(["dc-a", "dc-b", "dc-c"])("ipPools(%s)", (stack) => {
  const pools = ipPools(modelOf(fixture(stack)));

  it("never encapsulates (pure L3) and only serves workloads", () => {
    for (const p of pools)
      expect(p.spec).toMatchObject({ ipipMode: "Never", vxlanMode: "Never", allowedUses: ["Workload"] });
  });
});

describe("ipPools of dc-a: one /17 per rack, selected by the rack label", () => {
  const pools = ipPools(modelOf(fixture("dc-a")));

  it("has eight rack pools", () => {
    expect(pools.map((p) => [p.metadata.name, p.spec.cidr, p.spec.nodeSelector])).toEqual([
      ["pods-a1-a1r01", "10.128.0.0/17", `${RACK} == 'a1r01'`],
      ["pods-a1-a1r02", "10.128.128.0/17", `${RACK} == 'a1r02'`],
      ["pods-a1-a1r03", "10.129.0.0/17", `${RACK} == 'a1r03'`],
      ["pods-a1-a1r04", "10.129.128.0/17", `${RACK} == 'a1r04'`],
      ["pods-a2-a2r01", "10.130.0.0/17", `${RACK} == 'a2r01'`],
      ["pods-a2-a2r02", "10.130.128.0/17", `${RACK} == 'a2r02'`],
      ["pods-a2-a2r03", "10.131.0.0/17", `${RACK} == 'a2r03'`],
      ["pods-a2-a2r04", "10.131.128.0/17", `${RACK} == 'a2r04'`],
    ]);
  });

  it("takes block size and NAT from config", () => {
    for (const p of pools) expect(p.spec).toMatchObject({ blockSize: 26, natOutgoing: false });
  });
});

describe("ipPools of dc-c: one pool for every node", () => {
  it("selects all()", () => {
    expect(
      ipPools(modelOf(fixture("dc-c"))).map((p) => [p.spec.cidr, p.spec.blockSize, p.spec.nodeSelector]),
    ).toEqual([["10.144.0.0/15", 27, "all()"]]);
  });

  it("uses `in` for a pool restricted to several racks", () => {
    const f = fixture("dc-c");
    (f.raw.bgp as { ipPools: Record<string, unknown>[] }).ipPools = [
      { name: "c1", cidr: "10.144.0.0/16", racks: ["c1r01", "c1r02"] },
      { name: "c2", cidr: "10.145.0.0/16", racks: ["c2r01", "c2r02"], natOutgoing: true },
    ];
    expect(ipPools(modelOf(f)).map((p) => [p.spec.nodeSelector, p.spec.natOutgoing])).toEqual([
      [`${RACK} in { 'c1r01', 'c1r02' }`, false],
      [`${RACK} in { 'c2r01', 'c2r02' }`, true],
    ]);
  });
});
