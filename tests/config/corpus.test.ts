/**
 * The invalid-config corpus: one mistake per case, starting from a real stack,
 * asserting every line the user sees. A case that yields an extra or a
 * different message fails, so messages stay precise.
 */
import { fixture, problems } from "../helpers/config";

type Fixture = ReturnType<typeof fixture>;
// Test mutations reach into the raw config the way a user edits YAML.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Raw = any;
const cfg = (f: Fixture): Raw => f.raw;

interface Case {
  readonly name: string;
  readonly stack?: string;
  readonly mutate: (f: Fixture) => void;
  readonly expected: readonly string[];
}

const cases: Case[] = [
  {
    name: "two masters cannot keep quorum",
    mutate: (f) => cfg(f).masters.hostnames.pop(),
    expected: [
      "private-cloud:masters.hostnames: 2 master(s) cannot keep etcd quorum through a failure (expected 3, 5 or 7)",
    ],
  },
  {
    name: "an even master count",
    stack: "dc-a",
    mutate: (f) => cfg(f).masters.hostnames.pop(),
    expected: [
      "private-cloud:masters.hostnames: 4 masters: an even count tolerates no more failures than 3 (expected 3, 5 or 7)",
    ],
  },
  {
    name: "a master missing from the inventory",
    mutate: (f) => (cfg(f).masters.hostnames[2] = "dcc-c9r01-01"),
    expected: [
      'private-cloud:masters.hostnames[2]: "dcc-c9r01-01" is not in the inventory inventory/dc-c.yaml (expected a hostname of a master host)',
    ],
  },
  {
    name: "a web host listed as master",
    mutate: (f) => (cfg(f).masters.hostnames[2] = "dcc-c2r01-02"),
    expected: [
      'private-cloud:masters.hostnames[2]: "dcc-c2r01-02" has function "web" in the inventory (expected function "master")',
    ],
  },
  {
    name: "a master listed twice",
    mutate: (f) => (cfg(f).masters.hostnames[2] = "dcc-c1r01-01"),
    expected: [
      'private-cloud:masters.hostnames[2]: "dcc-c1r01-01" is already used by masters.hostnames[0] (expected distinct masters)',
    ],
  },
  {
    name: "every master in one rack",
    mutate: (f) => {
      const h = f.inventory.hosts.find((x) => x.hostname === "dcc-c2r01-01");
      Object.assign(h ?? {}, { rack: "c1r01", room: "c1", ip: "172.18.1.40" });
    },
    expected: [
      "private-cloud:masters.hostnames: every master is in rack c1r01 (expected masters spread over at least 2 racks, so one rack failure keeps quorum)",
    ],
  },
  {
    name: "a duplicate hostname",
    mutate: (f) => (f.inventory.hosts[10].hostname = f.inventory.hosts[9].hostname),
    expected: [
      'inventory/dc-c.yaml: hosts[10].hostname: "dcc-c1r01-10" is already used by hosts[9] (expected unique hostnames)',
    ],
  },
  {
    name: "a duplicate IP (which is also in the wrong rack)",
    mutate: (f) => (f.inventory.hosts[10].ip = f.inventory.hosts[9].ip),
    expected: [
      'inventory/dc-c.yaml: hosts[10].ip: "172.18.1.20" is already used by hosts[9] (expected unique IPs)',
      `inventory/dc-c.yaml: hosts[10].ip: "172.18.1.20" of dcc-c1r02-01 is outside rack c1r02's subnet 172.18.1.64/26 (expected an address inside it)`,
    ],
  },
  {
    name: "an IP outside its rack's subnet",
    mutate: (f) => (f.inventory.hosts[5].ip = "172.18.9.5"),
    expected: [
      `inventory/dc-c.yaml: hosts[5].ip: "172.18.9.5" of dcc-c1r01-06 is outside rack c1r01's subnet 172.18.1.0/26 (expected an address inside it)`,
    ],
  },
  {
    name: "an inventory rack not declared in network.racks",
    mutate: (f) => (cfg(f).network.racks = cfg(f).network.racks.filter((r: Raw) => r.name !== "c2r02")),
    expected: [
      'inventory/dc-c.yaml: hosts[27].rack: "c2r02" and 6 more host(s) of that rack is not declared in private-cloud:network.racks (expected one of ["c1r01","c1r02","c2r01"])',
    ],
  },
  {
    name: "a declared rack that holds no host",
    mutate: (f) =>
      cfg(f).network.racks.push({ name: "c2r09", subnet: "172.18.3.0/26", gateway: "172.18.3.1" }),
    expected: [
      'private-cloud:network.racks[4].name: rack "c2r09" is not in the inventory inventory/dc-c.yaml (expected a rack that holds hosts)',
    ],
  },
  {
    name: "a rack gateway outside the rack subnet",
    mutate: (f) => (cfg(f).network.racks[0].gateway = "172.18.9.1"),
    expected: [
      'private-cloud:network.racks[0].gateway: "172.18.9.1" is outside the rack subnet 172.18.1.0/26 (expected an address inside it)',
    ],
  },
  {
    name: "the API VIP inside the service CIDR (and so outside the VIP pool)",
    mutate: (f) => (cfg(f).apiServer.vip = "10.98.0.10"),
    expected: [
      'private-cloud:apiServer.vip: "10.98.0.10" is inside network.serviceCidr 10.98.0.0/16 (expected an address outside pod and service ranges)',
      'private-cloud:apiServer.vip: "10.98.0.10" is not in any lvs.vipPools ["172.19.250.0/26"] (expected an address the LVS tier can announce)',
    ],
  },
  {
    name: "the API VIP outside every VIP pool",
    mutate: (f) => (cfg(f).apiServer.vip = "172.19.252.10"),
    expected: [
      'private-cloud:apiServer.vip: "172.19.252.10" is not in any lvs.vipPools ["172.19.250.0/26"] (expected an address the LVS tier can announce)',
    ],
  },
  {
    name: "lvs mode without a VIP",
    mutate: (f) => delete cfg(f).apiServer.vip,
    expected: [
      "private-cloud:apiServer.vip: is required in lvs mode (expected the VIP the LVS directors announce)",
    ],
  },
  {
    name: "dns mode without a name",
    mutate: (f) => {
      cfg(f).apiServer.mode = "dns";
      delete cfg(f).apiServer.vip;
    },
    expected: [
      "private-cloud:apiServer.name: is required in dns mode (expected the DNS name clients resolve to the masters)",
    ],
  },
  {
    name: "the service CIDR overlapping the pod CIDR",
    mutate: (f) => (cfg(f).network.serviceCidr = "10.145.0.0/16"),
    expected: [
      "private-cloud:network.serviceCidr: 10.145.0.0/16 overlaps private-cloud:network.podCidr 10.144.0.0/15 (expected disjoint address ranges)",
    ],
  },
  {
    name: "LVS local addresses overlapping the VIP pool",
    mutate: (f) => (cfg(f).lvs.localAddressRanges = ["172.19.250.32/27"]),
    expected: [
      "private-cloud:lvs.localAddressRanges[0]: 172.19.250.32/27 overlaps private-cloud:lvs.vipPools[0] 172.19.250.0/26 (expected disjoint address ranges)",
    ],
  },
  {
    name: "a CIDR with host bits set",
    mutate: (f) => (cfg(f).network.serviceCidr = "10.98.0.1/16"),
    expected: [
      'private-cloud:network.serviceCidr: "10.98.0.1/16" has host bits set (expected the network address "10.98.0.0/16")',
    ],
  },
  {
    name: "a malformed IP in the inventory",
    mutate: (f) => (f.inventory.hosts[3].ip = "172.18.1.300"),
    expected: [
      'inventory/dc-c.yaml: hosts[3].ip: "172.18.1.300" is not valid (expected an IPv4 address such as 10.16.1.11)',
    ],
  },
  {
    name: "a misspelt config key",
    mutate: (f) => (cfg(f).master = { hostnames: [] }),
    expected: [
      "private-cloud:master: unknown setting (expected one of: datacenter, kubernetes, images, masters, apiServer, hostAccess, network, minions, bgp, lvs, businesses, monitoring, logging)",
    ],
  },
  {
    name: "a missing section",
    mutate: (f) => delete cfg(f).kubernetes,
    expected: ['private-cloud:kubernetes: is required (expected this setting; see README "Configuration")'],
  },
  {
    name: "a 'latest' installer tag",
    mutate: (f) => (cfg(f).images.installerTag = "latest"),
    expected: [
      `private-cloud:images.installerTag: "latest" is not valid (expected an immutable image tag such as v1.34.4-pc.1, never 'latest')`,
    ],
  },
  {
    name: "a malformed Kubernetes version",
    mutate: (f) => (cfg(f).kubernetes.version = "1.34"),
    expected: [
      'private-cloud:kubernetes.version: "1.34" is not valid (expected a Kubernetes release such as v1.34.4)',
    ],
  },
  {
    name: "the kubelet root on LVM",
    mutate: (f) => (f.inventory.hosts[7].disks[1].lvm = true),
    expected: [
      "inventory/dc-c.yaml: hosts[7].disks: dcc-c1r01-08's /var/lib/kubelet (sdb) is on LVM (expected a plain partition: LVM metadata exhaustion took logging down in production)",
    ],
  },
  {
    name: "no kubelet partition",
    mutate: (f) => f.inventory.hosts[7].disks.splice(1, 1),
    expected: [
      "inventory/dc-c.yaml: hosts[7].disks: dcc-c1r01-08 has no partition mounted at /var/lib/kubelet (expected a dedicated plain partition for EmptyDir log volumes)",
    ],
  },
  {
    name: "another datacenter's inventory",
    mutate: (f) => (f.inventory.datacenter = "dc-b"),
    expected: ['inventory/dc-c.yaml: datacenter: "dc-b" does not match stack datacenter (expected "dc-c")'],
  },
  {
    name: "host access off without a reason",
    mutate: (f) => (cfg(f).hostAccess = { enabled: false, kubeconfigPath: ".sim/kubeconfig" }),
    expected: [
      "private-cloud:hostAccess.disabledReason: is required when hostAccess.enabled is false (expected a sentence saying why no host work is done)",
    ],
  },
  {
    name: "host access off without a kubeconfig",
    mutate: (f) => (cfg(f).hostAccess = { enabled: false, disabledReason: "no hosts in this test" }),
    expected: [
      "private-cloud:hostAccess.kubeconfigPath: is required when hostAccess.enabled is false (expected the kubeconfig file of the running cluster, e.g. .sim/kubeconfig)",
    ],
  },
  {
    name: "an IP pool outside the pod CIDR",
    mutate: (f) => (cfg(f).bgp.ipPools[0].cidr = "10.200.0.0/16"),
    expected: [
      "private-cloud:bgp.ipPools[0].cidr: 10.200.0.0/16 is outside network.podCidr 10.144.0.0/15 (expected a block inside it)",
    ],
  },
  {
    name: "a rack left without a router peer (tor mode)",
    mutate: (f) => cfg(f).bgp.peers.pop(),
    expected: [
      'private-cloud:bgp.peers: rack "c2r02" has no router peer (expected at least one peer per rack in tor mode; there is no node-to-node mesh)',
    ],
  },
  {
    name: "an unknown host function",
    mutate: (f) => ((f.inventory.hosts[12] as Raw).function = "database"),
    expected: [
      'inventory/dc-c.yaml: hosts[12].function: "database" is not valid (expected one of master, web, ingress, monitoring, logging, lvs)',
    ],
  },
  {
    name: "tuning for a machine type the inventory lacks",
    mutate: (f) => (cfg(f).minions.tuning = { m99: { somaxconn: 4096 } }),
    expected: [
      'private-cloud:minions.tuning.m99: machine type "m99" is not in the inventory (expected one of ["m16c64","m16c64x","m24c128","m32c128n","m32c256","m40c256s"])',
    ],
  },
];

describe("invalid config corpus", () => {
  it("has at least 20 cases", () => expect(cases.length).toBeGreaterThanOrEqual(20));

  it.each(cases.map((c) => [c.name, c] as const))("%s", (_name, c) => {
    const f = fixture(c.stack ?? "dc-c");
    expect(problems(f)).toEqual([]); // the untouched stack is valid
    c.mutate(f);
    expect(problems(f)).toEqual(c.expected);
  });
});
