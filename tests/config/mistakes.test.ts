/**
 * The classes of mistakes an SRE makes that are syntactically fine: each case
 * is one edit of a real stack, refused with exactly the listed messages (path,
 * value and what is expected), and — run through the whole program under
 * Pulumi mocks — before a single resource is registered.
 */
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { runMocked } from "../helpers/pulumi";
import { fixture, modelOf, problems, projectDir } from "../helpers/config";
import { deployDatacenter } from "../../stacks/datacenter";
import { ConfigError } from "../../stacks/validate";
import { readStackFile } from "../../stacks/config";
import { modelFromPulumiConfig } from "../../stacks/pulumi-config";

type Fixture = ReturnType<typeof fixture>;
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- mutations reach into the raw YAML object
type Raw = any;
const cfg = (f: Fixture): Raw => f.raw;
const biz = (f: Fixture, i = 0): Raw => cfg(f).businesses[i];
const host = (f: Fixture, name: string) => f.inventory.hosts.find((h) => h.hostname === name) as Raw;

interface Case {
  readonly stack: "dc-a" | "dc-b" | "dc-c";
  readonly mutate: (f: Fixture) => void;
  readonly expected: readonly string[];
}

const classes: Record<string, Record<string, Case>> = {
  "addresses that are fine syntactically but unusable": {
    "a rack gateway that is the subnet's network address": {
      stack: "dc-c",
      mutate: (f) => (cfg(f).network.racks[0].gateway = "172.18.1.0"),
      expected: [
        'private-cloud:network.racks[0].gateway: "172.18.1.0" is the network address of rack c1r01\'s subnet 172.18.1.0/26 (expected a usable address, 172.18.1.1-172.18.1.62)',
      ],
    },
    "a rack gateway that is the subnet's broadcast address": {
      stack: "dc-c",
      mutate: (f) => (cfg(f).network.racks[1].gateway = "172.18.1.127"),
      expected: [
        'private-cloud:network.racks[1].gateway: "172.18.1.127" is the broadcast address of rack c1r02\'s subnet 172.18.1.64/26 (expected a usable address, 172.18.1.65-172.18.1.126)',
      ],
    },
    "a host address that is its rack's broadcast address": {
      stack: "dc-c",
      mutate: (f) => (host(f, "dcc-c1r01-02").ip = "172.18.1.63"),
      expected: [
        'inventory/dc-c.yaml: hosts[1].ip: "172.18.1.63" is the broadcast address of rack c1r01\'s subnet 172.18.1.0/26 (expected a usable address, 172.18.1.1-172.18.1.62)',
      ],
    },
    "a host address that is its rack's network address": {
      stack: "dc-c",
      mutate: (f) => (host(f, "dcc-c1r02-01").ip = "172.18.1.64"),
      expected: [
        'inventory/dc-c.yaml: hosts[10].ip: "172.18.1.64" is the network address of rack c1r02\'s subnet 172.18.1.64/26 (expected a usable address, 172.18.1.65-172.18.1.126)',
      ],
    },
    "an API VIP that is the VIP pool's network address": {
      stack: "dc-c",
      mutate: (f) => (cfg(f).apiServer.vip = "172.19.250.0"),
      expected: [
        'private-cloud:apiServer.vip: "172.19.250.0" is the network address of lvs.vipPools 172.19.250.0/26 (expected a usable address, 172.19.250.1-172.19.250.62)',
      ],
    },
    "a pinned VIP that is the VIP pool's broadcast address": {
      stack: "dc-c",
      mutate: (f) => (cfg(f).lvs.vipPins = { appstore: "172.19.250.63" }),
      expected: [
        'private-cloud:lvs.vipPins.appstore: "172.19.250.63" is the network or broadcast address of 172.19.250.0/26 (expected a usable address inside it)',
      ],
    },
    "a ToR peer that is its rack's broadcast address": {
      stack: "dc-c",
      mutate: (f) => (cfg(f).bgp.peers[0].peerIp = "172.18.1.63"),
      expected: [
        'private-cloud:bgp.peers[0].peerIp: "172.18.1.63" is the broadcast address of rack c1r01\'s subnet 172.18.1.0/26 (expected a usable address, 172.18.1.1-172.18.1.62)',
      ],
    },
    "a service range kube-apiserver refuses (/11)": {
      stack: "dc-c",
      mutate: (f) => (cfg(f).network.serviceCidr = "10.160.0.0/11"),
      expected: [
        "private-cloud:network.serviceCidr: 10.160.0.0/11 has 21 host bits, more than kube-apiserver accepts (expected a prefix of /12 or longer: the API server refuses a larger --service-cluster-ip-range)",
      ],
    },
    "a service range kube-apiserver refuses (/8)": {
      stack: "dc-b",
      mutate: (f) => {
        cfg(f).network.serviceCidr = "11.0.0.0/8";
      },
      expected: [
        "private-cloud:network.serviceCidr: 11.0.0.0/8 has 24 host bits, more than kube-apiserver accepts (expected a prefix of /12 or longer: the API server refuses a larger --service-cluster-ip-range)",
      ],
    },
    "a core-router peer on a rack subnet's broadcast address (routeReflector mode)": {
      stack: "dc-b",
      mutate: (f) => (cfg(f).bgp.peers[1].peerIp = "10.32.9.127"),
      expected: [
        'private-cloud:bgp.peers[1].peerIp: "10.32.9.127" is the broadcast address of rack b2r03\'s subnet 10.32.9.0/25 (expected a usable address, 10.32.9.1-10.32.9.126)',
      ],
    },
    "a BGP peer that is a node's own address": {
      stack: "dc-c",
      mutate: (f) => (cfg(f).bgp.peers[0].peerIp = "172.18.1.11"),
      expected: [
        "private-cloud:bgp.peers[0].peerIp: \"172.18.1.11\" is the address of dcc-c1r01-01 (function master), one of the datacenter's own BGP speakers (expected the router's address: a speaker cannot peer with itself)",
      ],
    },
    "a BGP peer that is a director's own address": {
      stack: "dc-c",
      mutate: (f) => (cfg(f).bgp.peers[0].peerIp = "172.18.1.13"),
      expected: [
        "private-cloud:bgp.peers[0].peerIp: \"172.18.1.13\" is the address of dcc-c1r01-03 (function lvs), one of the datacenter's own BGP speakers (expected the router's address: a speaker cannot peer with itself)",
      ],
    },
    "a core-router peer that is a route reflector's own address": {
      stack: "dc-b",
      mutate: (f) =>
        (cfg(f).bgp.peers[0].peerIp = (
          f.inventory.hosts.find((h) => h.hostname === cfg(f).bgp.routeReflectors[0].hostname) as Raw
        ).ip),
      expected: [
        "private-cloud:bgp.peers[0].peerIp: \"10.32.2.14\" is the address of dcb-b1r03-04 (function web), one of the datacenter's own BGP speakers (expected the router's address: a speaker cannot peer with itself)",
      ],
    },
  },
  "cross-field capacity sums and memory for what the CPU implies": {
    "Elasticsearch roles whose CPU together exceeds a logging machine": {
      stack: "dc-c",
      mutate: (f) =>
        Object.assign(cfg(f).logging, {
          master: { cpuLimitMillis: 10000 },
          data: { cpuLimitMillis: 20000, memoryLimitMiB: 65536 },
          client: { cpuLimitMillis: 12000, memoryLimitMiB: 16384 },
        }),
      expected: [
        "private-cloud:logging: one logging machine may run a master, a data and a client node: master 10000 + data 20000 + client 12000 = 42000m CPU, more than the smallest logging machine's 40000m (expected the three roles' cpuLimitMillis to sum to at most 40000)",
      ],
    },
    "Elasticsearch roles whose memory together exceeds a logging machine": {
      stack: "dc-a",
      mutate: (f) =>
        Object.assign(cfg(f).logging, {
          data: { cpuLimitMillis: 12000, memoryLimitMiB: 200000 },
          client: { memoryLimitMiB: 65536 },
        }),
      expected: [
        "private-cloud:logging: one logging machine may run a master, a data and a client node: master 4096 + data 200000 + client 65536 = 269632 MiB, more than the smallest logging machine's 262144 MiB (expected the three roles' memoryLimitMiB to sum to at most 262144)",
      ],
    },
    "an Elasticsearch client whose memory cannot hold heap plus JVM overhead for its CPU": {
      stack: "dc-c",
      mutate: (f) => (cfg(f).logging.client = { cpuLimitMillis: 24000, memoryLimitMiB: 1024 }),
      expected: [
        "private-cloud:logging.client.memoryLimitMiB: 1024 cannot hold a 512 MiB heap plus the JVM's direct memory, metaspace and the thread stacks of 24 processors (from cpuLimitMillis 24000) (expected at least 1088, or a lower cpuLimitMillis)",
      ],
    },
    "a data node with 20 processors in 1 GiB": {
      stack: "dc-b",
      mutate: (f) => (cfg(f).logging.data = { cpuLimitMillis: 20000, memoryLimitMiB: 1024 }),
      expected: [
        "private-cloud:logging.data.memoryLimitMiB: 1024 cannot hold a 512 MiB heap plus the JVM's direct memory, metaspace and the thread stacks of 20 processors (from cpuLimitMillis 20000) (expected at least 1056, or a lower cpuLimitMillis)",
      ],
    },
    "ingress tiers whose CPU requests at minReplicas exceed an ingress machine": {
      stack: "dc-c",
      mutate: (f) =>
        cfg(f).businesses.push({
          name: "video",
          hosts: ["video.example.com"],
          ports: [{ port: 443 }],
          cpuLimitMillis: 12000,
          cpuRequestMillis: 10000,
          minReplicas: 12,
          maxReplicas: 12,
        }),
      expected: [
        "private-cloud:businesses: the ingress tiers at minReplicas need 33000m CPU on each ingress machine (appstore 1 × 3000m + video 3 × 10000m) but the smallest has 32000m (expected the tiers' CPU requests per machine to fit it: lower minReplicas or requests, or add ingress machines)",
      ],
    },
    "ingress tiers whose memory at minReplicas exceeds an ingress machine": {
      stack: "dc-c",
      mutate: (f) =>
        cfg(f).businesses.push({
          name: "video",
          hosts: ["video.example.com"],
          ports: [{ port: 443 }],
          cpuLimitMillis: 4000,
          memoryLimitMiB: 65000,
          minReplicas: 8,
          maxReplicas: 8,
        }),
      expected: [
        "private-cloud:businesses: the ingress tiers at minReplicas need 133072 MiB on each ingress machine (appstore 1 × 3072 MiB + video 2 × 65000 MiB) but the smallest has 131072 MiB (expected the tiers' memory per machine to fit it: lower minReplicas or memoryLimitMiB, or add ingress machines)",
      ],
    },
    "an nginx tier whose memory cannot hold its workers' connections": {
      stack: "dc-c",
      mutate: (f) => (biz(f).memoryLimitMiB = 512),
      expected: [
        "private-cloud:businesses[0].memoryLimitMiB: 512 cannot hold 3 nginx workers (from cpuLimitMillis 3000) with 16384 connections each (expected at least 736: 256 for the controller + 3 × (32 + 128) per worker)",
      ],
    },
    "the smallest nginx tier in 128 MiB": {
      stack: "dc-a",
      mutate: (f) => Object.assign(biz(f, 2), { cpuLimitMillis: 250, memoryLimitMiB: 128 }),
      expected: [
        "private-cloud:businesses[2].memoryLimitMiB: 128 cannot hold 1 nginx workers (from cpuLimitMillis 250) with 16384 connections each (expected at least 416: 256 for the controller + 1 × (32 + 128) per worker)",
      ],
    },
    "one nginx pod larger than an ingress machine's memory": {
      stack: "dc-c",
      mutate: (f) => (biz(f).memoryLimitMiB = 200000),
      expected: [
        "private-cloud:businesses[0].memoryLimitMiB: 200000 exceeds the smallest ingress machine's 131072 MiB (expected at most 131072)",
      ],
    },
  },
  "regexes Alertmanager/Prometheus read (RE2, not JavaScript)": {
    "a lookahead": {
      stack: "dc-b",
      mutate: (f) =>
        (cfg(f).monitoring.alertmanager.routes[0].matchers = ['namespace=~"ingress-(?!test).*"']),
      expected: [
        'private-cloud:monitoring.alertmanager.routes[0].matchers[0]: "namespace=~\\"ingress-(?!test).*\\"" has a regular expression Alertmanager refuses: invalid or unsupported Perl syntax: `(?!` (expected RE2 syntax: no lookaround, backreferences or possessive quantifiers)',
      ],
    },
    "a backreference": {
      stack: "dc-b",
      mutate: (f) => (cfg(f).monitoring.alertmanager.routes[0].matchers = ['alertname=~"(Kube)\\1.*"']),
      expected: [
        'private-cloud:monitoring.alertmanager.routes[0].matchers[0]: "alertname=~\\"(Kube)\\\\1.*\\"" has a regular expression Alertmanager refuses: invalid escape sequence: `\\1` (expected RE2 syntax: no lookaround, backreferences or possessive quantifiers)',
      ],
    },
    "a possessive quantifier": {
      stack: "dc-b",
      mutate: (f) => (cfg(f).monitoring.alertmanager.routes[0].matchers = ['severity!~"crit.*+"']),
      expected: [
        'private-cloud:monitoring.alertmanager.routes[0].matchers[0]: "severity!~\\"crit.*+\\"" has a regular expression Alertmanager refuses: invalid nested repetition operator: `*+` (expected RE2 syntax: no lookaround, backreferences or possessive quantifiers)',
      ],
    },
    "a repeat count above RE2's 1000": {
      stack: "dc-b",
      mutate: (f) => (cfg(f).monitoring.alertmanager.routes[0].matchers = ['pod=~"a{1001}"']),
      expected: [
        'private-cloud:monitoring.alertmanager.routes[0].matchers[0]: "pod=~\\"a{1001}\\"" has a regular expression Alertmanager refuses: invalid repeat count: `{1001}` (expected RE2 syntax: no lookaround, backreferences or possessive quantifiers)',
      ],
    },
    "a lookbehind": {
      stack: "dc-b",
      mutate: (f) => (cfg(f).monitoring.alertmanager.routes[0].matchers = ['namespace=~"(?<=ingress-)shop"']),
      expected: [
        'private-cloud:monitoring.alertmanager.routes[0].matchers[0]: "namespace=~\\"(?<=ingress-)shop\\"" has a regular expression Alertmanager refuses: invalid named capture: `(?<=ingress-)shop` (expected RE2 syntax: no lookaround, backreferences or possessive quantifiers)',
      ],
    },
  },
  "collisions between generated objects": {
    "an L4 port equal to the upstream port (one Service, two 9000/TCP)": {
      stack: "dc-c",
      mutate: (f) => Object.assign(biz(f), { upstreamPort: 9000, ports: [{ port: 443 }, { port: 9000 }] }),
      expected: [
        "private-cloud:businesses[0].ports[1].port: 9000/TCP is also businesses[0].upstreamPort, and the upstream Service would carry it twice (expected an L4 port other than the upstream port 9000, or another upstreamPort)",
      ],
    },
    "one public host name claimed by two businesses": {
      stack: "dc-a",
      mutate: (f) => biz(f, 1).hosts.push("m.shop.example.com"),
      expected: [
        'private-cloud:businesses[1].hosts[1]: "m.shop.example.com" is already served by businesses[0] "shop" (expected each public host name in one business)',
      ],
    },
    "a host name claimed again by a later business": {
      stack: "dc-b",
      mutate: (f) => (biz(f, 1).hosts[1] = "shop.example.com"),
      expected: [
        'private-cloud:businesses[1].hosts[1]: "shop.example.com" is already served by businesses[0] "shop" (expected each public host name in one business)',
      ],
    },
    "a business named node-tuning": {
      stack: "dc-c",
      mutate: (f) => (biz(f).name = "node-tuning"),
      expected: [
        'private-cloud:businesses[0].name: "node-tuning" is a platform namespace or prefix (expected a business name that is none of default, kube-system, kube-public, kube-node-lease, calico-apiserver, private-cloud, calico-system, lvs-system, node-tuning, node-exporter, monitoring, logging and does not start with ingress- or kube-)',
      ],
    },
    "a business named node-exporter": {
      stack: "dc-c",
      mutate: (f) => (biz(f).name = "node-exporter"),
      expected: [
        'private-cloud:businesses[0].name: "node-exporter" is a platform namespace or prefix (expected a business name that is none of default, kube-system, kube-public, kube-node-lease, calico-apiserver, private-cloud, calico-system, lvs-system, node-tuning, node-exporter, monitoring, logging and does not start with ingress- or kube-)',
      ],
    },
    "a business named calico-system": {
      stack: "dc-c",
      mutate: (f) => (biz(f).name = "calico-system"),
      expected: [
        'private-cloud:businesses[0].name: "calico-system" is a platform namespace or prefix (expected a business name that is none of default, kube-system, kube-public, kube-node-lease, calico-apiserver, private-cloud, calico-system, lvs-system, node-tuning, node-exporter, monitoring, logging and does not start with ingress- or kube-)',
      ],
    },
  },
  "sections later code needs": {
    "more businesses than the bound their shared dashboards ConfigMap is checked for": {
      stack: "dc-c",
      mutate: (f) =>
        (cfg(f).businesses = Array.from({ length: 101 }, (_, i) => ({
          ...biz(f),
          name: `b${i}`,
          hosts: [`b${i}.example.com`],
        }))),
      expected: [
        "private-cloud:businesses: 101 entries is not valid (expected at most 100 businesses per datacenter (their dashboards share one Grafana ConfigMap))",
      ],
    },
    "businesses without an LVS tier (dns-mode API)": {
      stack: "dc-b",
      mutate: (f) => delete cfg(f).lvs,
      expected: [
        'private-cloud:lvs: is required when businesses are configured (expected the LVS directors and VIP pools that carry the VIPs of ["shop","music"]; or no businesses)',
      ],
    },
    "businesses without an LVS tier (lvs-mode API)": {
      stack: "dc-c",
      mutate: (f) => delete cfg(f).lvs,
      expected: [
        'private-cloud:lvs: is required when apiServer.mode is "lvs" (expected the LVS directors and VIP pools)',
        'private-cloud:lvs: is required when businesses are configured (expected the LVS directors and VIP pools that carry the VIPs of ["appstore"]; or no businesses)',
      ],
    },
    "a business added to a datacenter that has none and no LVS tier": {
      stack: "dc-b",
      mutate: (f) => {
        delete cfg(f).lvs;
        cfg(f).businesses = [cfg(f).businesses[1]];
      },
      expected: [
        'private-cloud:lvs: is required when businesses are configured (expected the LVS directors and VIP pools that carry the VIPs of ["music"]; or no businesses)',
      ],
    },
  },
  "config that would be silently ignored": {
    "kubernetes.clusterDomain, which nothing reads": {
      stack: "dc-c",
      mutate: (f) => (cfg(f).kubernetes.clusterDomain = "corp.local"),
      expected: ["private-cloud:kubernetes.clusterDomain: unknown setting (expected one of: version)"],
    },
    "apiServer.vip in dns mode": {
      stack: "dc-b",
      mutate: (f) => (cfg(f).apiServer.vip = "10.250.32.10"),
      expected: [
        'private-cloud:apiServer.vip: "10.250.32.10" is not used in dns mode (expected no vip: clients resolve apiServer.name to the masters; set apiServer.mode to "lvs" to use a VIP)',
      ],
    },
    "a misspelt section name": {
      stack: "dc-c",
      mutate: (f) => {
        cfg(f).bussinesses = cfg(f).businesses;
      },
      expected: [
        "private-cloud:bussinesses: unknown setting (expected one of: datacenter, kubernetes, images, masters, apiServer, hostAccess, network, minions, bgp, lvs, businesses, monitoring, logging)",
      ],
    },
  },
  "messages that say what is expected": {
    "a quoted number says to remove the quotes and gives the range": {
      stack: "dc-c",
      mutate: (f) => (biz(f).maxReplicas = "10"),
      expected: [
        'private-cloud:businesses[0].maxReplicas: "10" is not valid (expected an integer 1-1000; remove the quotes)',
      ],
    },
    "a quoted boolean says to remove the quotes": {
      stack: "dc-c",
      mutate: (f) => (cfg(f).hostAccess = { ...cfg(f).hostAccess, enabled: "true" }),
      expected: [
        'private-cloud:hostAccess.enabled: "true" is not valid (expected a boolean, true or false; remove the quotes)',
      ],
    },
    "a relative path where an absolute one is needed": {
      stack: "dc-c",
      mutate: (f) => (cfg(f).masters.etcdDataDir = "var/lib/etcd"),
      expected: [
        'private-cloud:masters.etcdDataDir: "var/lib/etcd" is not valid (expected an absolute path such as /var/lib/etcd)',
      ],
    },
    "an unknown BGP mode lists the modes": {
      stack: "dc-c",
      mutate: (f) => (cfg(f).bgp.mode = "mesh"),
      expected: ['private-cloud:bgp.mode: "mesh" is not valid (expected one of "tor", "routeReflector")'],
    },
    "an unknown port protocol lists the protocols": {
      stack: "dc-c",
      mutate: (f) => (biz(f).ports[0].protocol = "SCTP"),
      expected: [
        'private-cloud:businesses[0].ports[0].protocol: "SCTP" is not valid (expected one of "TCP", "UDP")',
      ],
    },
    "an unquoted 5.10 tag read as the number 5.1": {
      stack: "dc-c",
      mutate: (f) => (cfg(f).images.installerTag = 5.1),
      expected: [
        "private-cloud:images.installerTag: 5.1 is a number, not a string: YAML read the unquoted value as one (expected an immutable image tag such as v1.34.4-pc.1, never 'latest'; quote it, e.g. \"5.10\", which unquoted becomes 5.1)",
      ],
    },
    "an unquoted version read as a number": {
      stack: "dc-c",
      mutate: (f) => (cfg(f).kubernetes.version = 1.34),
      expected: [
        'private-cloud:kubernetes.version: 1.34 is a number, not a string: YAML read the unquoted value as one (expected a Kubernetes release such as v1.34.4; quote it, e.g. "5.10", which unquoted becomes 5.1)',
      ],
    },
    "a duplicate receiver blames the later entry and names the first": {
      stack: "dc-b",
      mutate: (f) =>
        cfg(f).monitoring.alertmanager.receivers.push({ ...cfg(f).monitoring.alertmanager.receivers[0] }),
      expected: [
        'private-cloud:monitoring.alertmanager.receivers[2].name: "platform-oncall" is already used by receivers[0] (expected unique receiver names)',
      ],
    },
  },
};

const all = Object.entries(classes).flatMap(([cls, cases]) =>
  Object.entries(cases).map(([name, c]) => [cls, name, c] as const),
);

describe.each(Object.entries(classes))("%s", (_cls, cases) => {
  it("has several cases", () => expect(Object.keys(cases).length).toBeGreaterThanOrEqual(3));
  it.each(Object.entries(cases))("%s", (_name, c) => {
    const f = fixture(c.stack);
    expect(problems(f)).toEqual([]); // the untouched stack is valid
    c.mutate(f);
    expect(problems(f)).toEqual(c.expected);
  });
});

describe("every mistake stops the whole program before anything is registered", () => {
  it.each(all.map(([cls, name, c]) => [`${cls}: ${name}`, c] as const))("%s", async (_name, c) => {
    const f = fixture(c.stack);
    c.mutate(f);
    let error: unknown;
    const records = await runMocked(
      () => {
        try {
          deployDatacenter(modelOf(f), { sshPrivateKey: "KEY", projectDir });
        } catch (e) {
          error = e;
        }
      },
      { stack: c.stack },
    );
    expect(error).toBeInstanceOf(ConfigError);
    expect(records).toEqual([]);
  });
});

/** The whole program on a stack file's config map, as `pulumi up -s <stack>` would run it. */
async function runProgram(stack: string, edit: (config: Record<string, unknown>) => void) {
  const config = readStackFile(path.join(projectDir, "Pulumi.dc-c.yaml"));
  edit(config);
  let error: unknown;
  const records = await runMocked(
    () => {
      try {
        deployDatacenter(modelFromPulumiConfig(projectDir), { sshPrivateKey: "KEY", projectDir });
      } catch (e) {
        error = e;
      }
    },
    { stack, config },
  );
  return { records, message: error instanceof pulumi.RunError ? error.message.split("\n").slice(1) : error };
}

describe("config keys and stack names nothing would read", () => {
  it("a typo in the config namespace (private-clod:) is refused, not dropped", async () => {
    const { records, message } = await runProgram("dc-c", (c) => {
      c["private-clod:logging"] = c["private-cloud:logging"];
      delete c["private-cloud:logging"];
    });
    expect(records).toEqual([]);
    expect(message).toEqual([
      '  - private-clod:logging: unknown config namespace "private-clod": nothing reads this key (expected private-cloud:logging, or a provider\'s namespace: pulumi, kubernetes, command, random)',
    ]);
  });

  it("a key with no namespace is refused", async () => {
    const { records, message } = await runProgram("dc-c", (c) => (c["businesses"] = []));
    expect(records).toEqual([]);
    expect(message).toEqual([
      "  - businesses: has no config namespace: nothing reads this key (expected private-cloud:businesses)",
    ]);
  });

  it("a provider's namespace is left alone", async () => {
    const { message } = await runProgram("dc-c", (c) => {
      c["kubernetes:enableServerSideApply"] = "true";
      c["private-cloud:masters"] = { hostnames: [] };
    });
    expect(message).toEqual([
      "  - private-cloud:masters.hostnames: [] is not valid (expected a list of 3, 5 or 7 master hostnames)",
    ]);
  });

  it("a stack file run as another stack is refused", async () => {
    const { records, message } = await runProgram("dc-b", () => undefined);
    expect(records).toEqual([]);
    expect(message).toEqual([
      '  - private-cloud:datacenter.name: "dc-c" does not match the stack "dc-b" it is run as (expected "dc-b", or run it as stack "dc-c")',
    ]);
  });
});
