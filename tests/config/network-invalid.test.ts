/**
 * Invalid network configs (BGP, IP pools, LVS) and the exact problem each one
 * reports. Each case is one mutation of a real stack; the list of problems
 * must be exactly the expected one, so a check that fires too often fails too.
 */
import { fixture, problems } from "../helpers/config";

type Fixture = ReturnType<typeof fixture>;
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- mutations reach into the raw YAML object
type Raw = any;

const cases: [string, string, (f: Fixture) => void, string[]][] = [
  [
    "node AS is AS_TRANS",
    "dc-c",
    (f) => ((f.raw as Raw).bgp.asNumber = 23456),
    [
      "private-cloud:bgp.asNumber: 23456 is AS_TRANS, the placeholder for 4-byte ASNs (RFC 6793) (expected a private AS 64512-65534 or 4200000000-4294967294)",
    ],
  ],
  [
    "peer AS is 65535",
    "dc-c",
    (f) => ((f.raw as Raw).bgp.peers[1].asNumber = 65535),
    [
      "private-cloud:bgp.peers[1].asNumber: 65535 is reserved (RFC 7300) (expected a private AS 64512-65534 or 4200000000-4294967294)",
    ],
  ],
  [
    "peer AS 0 (refused by the schema)",
    "dc-c",
    (f) => ((f.raw as Raw).bgp.peers[0].asNumber = 0),
    ["private-cloud:bgp.peers[0].asNumber: 0 is not valid (expected an AS number 1-4294967294)"],
  ],
  [
    "node AS 4294967295 (refused by the schema)",
    "dc-c",
    (f) => ((f.raw as Raw).bgp.asNumber = 4294967295),
    ["private-cloud:bgp.asNumber: 4294967295 is not valid (expected an AS number 1-4294967294)"],
  ],
  [
    "documentation AS",
    "dc-a",
    (f) => ((f.raw as Raw).bgp.peers[2].asNumber = 64500),
    [
      "private-cloud:bgp.peers[2].asNumber: 64500 is reserved for documentation (RFC 5398) (expected a private AS 64512-65534 or 4200000000-4294967294)",
    ],
  ],
  [
    "public AS for the nodes",
    "dc-a",
    (f) => ((f.raw as Raw).bgp.asNumber = 4134),
    [
      "private-cloud:bgp.asNumber: 4134 is a public AS number (expected a private AS 64512-65534 or 4200000000-4294967294 for the datacenter's own speakers)",
    ],
  ],
  ["public AS for a core router is fine", "dc-b", (f) => ((f.raw as Raw).bgp.peers[0].asNumber = 4134), []],
  [
    "public AS for the directors",
    "dc-c",
    (f) => ((f.raw as Raw).lvs.asNumber = 13335),
    [
      "private-cloud:lvs.asNumber: 13335 is a public AS number (expected a private AS 64512-65534 or 4200000000-4294967294 for the datacenter's own speakers)",
    ],
  ],
  [
    "peer in a rack that does not exist",
    "dc-c",
    (f) => ((f.raw as Raw).bgp.peers[3].rack = "c9r09"),
    [
      'private-cloud:bgp.peers[3].rack: rack "c9r09" is not in the inventory (expected one of ["c1r01","c1r02","c2r01","c2r02"])',
      'private-cloud:bgp.peers: rack "c2r02" has no router peer (expected at least one peer per rack in tor mode; there is no node-to-node mesh)',
    ],
  ],
  [
    "the same router twice",
    "dc-c",
    (f) => (f.raw as Raw).bgp.peers.push({ ...(f.raw as Raw).bgp.peers[0] }),
    [
      'private-cloud:bgp.peers[4]: "c1r01/172.18.1.1" is already used by bgp.peers[0] (expected one entry per rack and router)',
    ],
  ],
  [
    "route reflectors in tor mode",
    "dc-c",
    (f) => ((f.raw as Raw).bgp.routeReflectors = [{ hostname: "dcc-c1r02-05", clusterId: "244.0.0.1" }]),
    [
      'private-cloud:bgp.routeReflectors: 1 route reflector(s) in tor mode (expected none: set bgp.mode to "routeReflector" to use them)',
    ],
  ],
  [
    "route reflector cluster ID 0.0.0.0",
    "dc-b",
    (f) => ((f.raw as Raw).bgp.routeReflectors[1].clusterId = "0.0.0.0"),
    [
      'private-cloud:bgp.routeReflectors[1].clusterId: "0.0.0.0" is not a usable cluster ID (expected a 32-bit ID in dotted quad other than 0.0.0.0 and 255.255.255.255, e.g. 244.0.0.1)',
    ],
  ],
  [
    "route reflector cluster ID not dotted quad",
    "dc-b",
    (f) => ((f.raw as Raw).bgp.routeReflectors[0].clusterId = "1"),
    [
      'private-cloud:bgp.routeReflectors[0].clusterId: "1" is not valid (expected an IPv4 address such as 10.16.1.11)',
    ],
  ],
  [
    "both route reflectors in one rack",
    "dc-b",
    (f) => ((f.raw as Raw).bgp.routeReflectors[1].hostname = "dcb-b1r03-05"),
    [
      "private-cloud:bgp.routeReflectors: every route reflector is in rack b1r03 (expected reflectors in at least 2 racks, so one rack failure keeps the sessions)",
    ],
  ],
  [
    "a director as route reflector",
    "dc-b",
    (f) => ((f.raw as Raw).bgp.routeReflectors[0].hostname = "dcb-b1r01-02"),
    [
      'private-cloud:bgp.routeReflectors[0].hostname: "dcb-b1r01-02" has function "lvs" (expected a minion: directors run their own BGP speaker and masters stay out of the data path)',
    ],
  ],
  [
    "route reflectors without routers",
    "dc-b",
    (f) => ((f.raw as Raw).bgp.peers = []),
    [
      "private-cloud:bgp.peers: is empty in routeReflector mode (expected the core routers the reflectors peer with, or pod routes never leave the cluster)",
    ],
  ],
  [
    "a rack in no pool",
    "dc-a",
    (f) => ((f.raw as Raw).bgp.ipPools[1].racks = ["a2r01", "a2r02", "a2r03"]),
    [
      'private-cloud:bgp.ipPools: rack "a2r04" is in no IP pool (expected every rack in some pool\'s racks, or a pool without racks; its pods would get no address)',
    ],
  ],
  [
    "a rack in two pools",
    "dc-a",
    (f) => ((f.raw as Raw).bgp.ipPools[1].racks = ["a1r04", "a2r01", "a2r02", "a2r03", "a2r04"]),
    [
      'private-cloud:bgp.ipPools[1].racks: rack "a1r04" is already in bgp.ipPools[0] (expected each rack in one rack-restricted pool, so its routes aggregate)',
      "private-cloud:bgp.ipPools[1].rackBlockPrefix: 10.130.0.0/15 holds 4 /17 block(s) for 5 racks (expected a longer prefix, at most /18, or a larger pool)",
    ],
  ],
  [
    "overlapping pools",
    "dc-a",
    (f) => ((f.raw as Raw).bgp.ipPools[1].cidr = "10.129.0.0/16"),
    [
      "private-cloud:bgp.ipPools[1].cidr: 10.129.0.0/16 overlaps bgp.ipPools[0] 10.128.0.0/15 (expected disjoint pools)",
      "private-cloud:bgp.ipPools[1].rackBlockPrefix: 10.129.0.0/16 holds 2 /17 block(s) for 4 racks (expected a longer prefix, at most /18, or a larger pool)",
    ],
  ],
  [
    "pool over the service CIDR",
    "dc-c",
    (f) => ((f.raw as Raw).bgp.ipPools[0].cidr = "10.98.0.0/16"),
    [
      "private-cloud:bgp.ipPools[0].cidr: 10.98.0.0/16 is outside network.podCidr 10.144.0.0/15 (expected a block inside it)",
    ],
  ],
  [
    "VIP pool over a rack subnet",
    "dc-c",
    (f) => ((f.raw as Raw).lvs.vipPools = ["172.19.250.0/26", "172.18.2.0/25"]),
    [
      "private-cloud:lvs.vipPools[1]: 172.18.2.0/25 overlaps private-cloud:network.racks[2].subnet 172.18.2.0/26 (expected disjoint address ranges)",
      "private-cloud:lvs.vipPools[1]: 172.18.2.0/25 overlaps private-cloud:network.racks[3].subnet 172.18.2.64/26 (expected disjoint address ranges)",
    ],
  ],
  [
    "LIP range inside the pod CIDR",
    "dc-c",
    (f) => ((f.raw as Raw).lvs.localAddressRanges = ["10.145.255.0/24"]),
    [
      "private-cloud:lvs.localAddressRanges[0]: 10.145.255.0/24 overlaps private-cloud:network.podCidr 10.144.0.0/15 (expected disjoint address ranges)",
    ],
  ],
  [
    "fewer LIPs than directors",
    "dc-c",
    (f) => ((f.raw as Raw).lvs.localAddressRanges = ["172.19.251.7/32"]),
    [
      "private-cloud:lvs.localAddressRanges: 1 local address(es) for 2 directors (expected at least one per director)",
    ],
  ],
  [
    "a director listed twice",
    "dc-c",
    (f) => ((f.raw as Raw).lvs.directors = ["dcc-c1r01-03", "dcc-c1r01-04", "dcc-c1r01-03"]),
    [
      'private-cloud:lvs.directors[2]: "dcc-c1r01-03" is already used by lvs.directors[0] (expected distinct directors)',
    ],
  ],
  [
    "a VIP pin for a business that does not exist",
    "dc-c",
    (f) => ((f.raw as Raw).lvs.vipPins = { ghost: "172.19.250.30" }),
    [
      'private-cloud:lvs.vipPins.ghost: "ghost" is not a business (expected one of ["appstore"]; remove the pin of a removed business)',
    ],
  ],
  [
    "a VIP pin on the API VIP",
    "dc-c",
    (f) => ((f.raw as Raw).lvs.vipPins = { appstore: "172.19.250.10" }),
    [
      'private-cloud:lvs.vipPins.appstore: "172.19.250.10" is already the VIP of the API server (apiServer.vip) (expected a VIP of its own)',
    ],
  ],
  [
    "a VIP pin outside the pools",
    "dc-c",
    (f) => ((f.raw as Raw).lvs.vipPins = { appstore: "172.19.251.30" }),
    [
      'private-cloud:lvs.vipPins.appstore: "172.19.251.30" is not in any lvs.vipPools ["172.19.250.0/26"] (expected an address the directors announce)',
    ],
  ],
  [
    "two businesses hashing to one VIP",
    "dc-a",
    (f) => {
      const b = (f.raw as Raw).businesses;
      b.push({ ...b[0], name: "music", hosts: ["music.example.com"] });
      b.push({ ...b[0], name: "video", hosts: ["video.example.com"] });
    },
    [
      'private-cloud:businesses[4].name: "video" hashes to VIP 10.250.16.235, already the VIP of business "music" (businesses[3]) (expected a pin for the newer of the two, e.g. lvs.vipPins.video: 10.250.16.236)',
    ],
  ],
  [
    "… resolved by the suggested pin",
    "dc-a",
    (f) => {
      const b = (f.raw as Raw).businesses;
      b.push({ ...b[0], name: "music", hosts: ["music.example.com"] });
      b.push({ ...b[0], name: "video", hosts: ["video.example.com"] });
      (f.raw as Raw).lvs.vipPins = { video: "10.250.16.236" };
    },
    [],
  ],
  [
    "a rack carve larger than the pool",
    "dc-a",
    (f) => ((f.raw as Raw).bgp.ipPools[0].rackBlockPrefix = 14),
    [
      "private-cloud:bgp.ipPools[0].rackBlockPrefix: /14 is larger than the pool 10.128.0.0/15 (expected a prefix length >= 15)",
    ],
  ],
  [
    "a rack carve smaller than an IPAM block",
    "dc-a",
    (f) => ((f.raw as Raw).bgp.ipPools[1].rackBlockPrefix = 27),
    [
      "private-cloud:bgp.ipPools[1].rackBlockPrefix: /27 is smaller than the IPAM block /26 (expected a prefix length <= blockSize 26)",
    ],
  ],
  [
    "more racks than carved blocks",
    "dc-a",
    (f) => ((f.raw as Raw).bgp.ipPools[0].rackBlockPrefix = 16),
    [
      "private-cloud:bgp.ipPools[0].rackBlockPrefix: 10.128.0.0/15 holds 2 /16 block(s) for 4 racks (expected a longer prefix, at most /17, or a larger pool)",
    ],
  ],
  [
    "unknown LVS implementation",
    "dc-c",
    (f) => ((f.raw as Raw).lvs.implementation = "ipvs"),
    ["private-cloud:lvs.implementation: \"ipvs\" is not valid (expected 'dpvs' or 'alibaba')"],
  ],
];

describe.each(cases)("%s (%s)", (_title, stack, mutate, expected) => {
  it(expected.length === 0 ? "is valid" : `reports exactly ${expected.length} problem(s)`, () => {
    const f = fixture(stack);
    mutate(f);
    expect(problems(f)).toEqual(expected);
  });
});
