/**
 * Invalid ingress-tier and logging configs and the exact problems they report.
 * Each case is one mutation of a real stack; the list must match exactly, so a
 * check that fires too often fails as well as one that stays silent.
 */
import { fixture, problems } from "../helpers/config";

type Fixture = ReturnType<typeof fixture>;
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- mutations reach into the raw YAML object
type Raw = any;
const biz = (f: Fixture, i = 0): Raw => (f.raw as Raw).businesses[i];
const hostsOf = (f: Fixture, fn: string) => f.inventory.hosts.filter((h) => h.function === fn);

const cases: [string, string, (f: Fixture) => void, string[]][] = [
  [
    "a single nginx replica",
    "dc-c",
    (f) => (biz(f).minReplicas = 1),
    [
      "private-cloud:businesses[0].minReplicas: 1 is not valid (expected an integer 2-1000 (one replica cannot survive a rack failure or a node drain))",
    ],
  ],
  [
    "a business named like a platform namespace",
    "dc-c",
    (f) => (biz(f).name = "logging"),
    [
      'private-cloud:businesses[0].name: "logging" is a platform namespace or prefix (expected a business name that is none of default, kube-system, kube-public, kube-node-lease, calico-apiserver, private-cloud, calico-system, lvs-system, node-tuning, node-exporter, monitoring, logging and does not start with ingress- or kube-)',
    ],
  ],
  [
    "a business named with the tier prefix",
    "dc-c",
    (f) => (biz(f).name = "ingress-apps"),
    [
      'private-cloud:businesses[0].name: "ingress-apps" is a platform namespace or prefix (expected a business name that is none of default, kube-system, kube-public, kube-node-lease, calico-apiserver, private-cloud, calico-system, lvs-system, node-tuning, node-exporter, monitoring, logging and does not start with ingress- or kube-)',
    ],
  ],
  [
    "a business name too long for ingress-<name>",
    "dc-c",
    (f) => (biz(f).name = "a".repeat(56)),
    [
      `private-cloud:businesses[0].name: "${"a".repeat(56)}" is 56 characters (expected at most 55: the tier's namespace is ingress-<name>)`,
    ],
  ],
  [
    "CPU request above the limit",
    "dc-c",
    (f) => (biz(f).cpuRequestMillis = 4000),
    [
      "private-cloud:businesses[0].cpuRequestMillis: 4000 is above cpuLimitMillis 3000 (expected a request <= the limit)",
    ],
  ],
  [
    "more nginx workers than the ingress machines have cores",
    "dc-c",
    (f) =>
      Object.assign(biz(f), {
        cpuLimitMillis: 40000,
        cpuRequestMillis: 4000,
        memoryLimitMiB: 8192,
        maxReplicas: 3,
      }),
    [
      "private-cloud:businesses[0].cpuLimitMillis: 40000 gives 40 nginx workers but the smallest ingress machine has 32 cores (expected at most 32999: more workers than cores only adds context switches)",
    ],
  ],
  [
    "max replicas that the ingress fleet cannot hold",
    "dc-c",
    (f) => (biz(f).maxReplicas = 50),
    [
      "private-cloud:businesses[0].maxReplicas: 50 replicas × 3000m CPU request = 150000m exceeds the 4 ingress machines' 128000m (expected maxReplicas <= 42, or more ingress machines)",
    ],
  ],
  ["a lower CPU request is fine", "dc-c", (f) => (biz(f).cpuRequestMillis = 1500), []],
  [
    "a privileged L4 port",
    "dc-c",
    (f) => biz(f).ports.push({ port: 22 }),
    [
      "private-cloud:businesses[0].ports[1].port: 22 is a privileged port (expected 80, 443 or a port >= 1024: L4 ports are proxied on the same number by a non-root nginx)",
    ],
  ],
  [
    "an L4 port the pod already uses",
    "dc-c",
    (f) => biz(f).ports.push({ port: 10254 }),
    [
      "private-cloud:businesses[0].ports[1].port: 10254 is used inside the ingress pod (expected a port other than 5066, 8080, 8081, 8181, 8443, 10245, 10246, 10247, 10254)",
    ],
  ],
  [
    "HTTPS over UDP",
    "dc-c",
    (f) => (biz(f).ports[0].protocol = "UDP"),
    [
      "private-cloud:businesses[0].ports[0].protocol: 443/UDP: ports 80 and 443 are nginx's HTTP(S) listeners (expected TCP)",
    ],
  ],
  [
    "a port listed twice",
    "dc-c",
    (f) => biz(f).ports.push({ port: 443, protocol: "TCP" }),
    [
      'private-cloud:businesses[0].ports[1]: "443/TCP" is already used by ports[0] (expected each port/protocol once)',
    ],
  ],
  [
    "a UDP port for the L4 proxy is fine",
    "dc-c",
    (f) => biz(f).ports.push({ port: 5228, protocol: "UDP" }),
    [],
  ],
  [
    "more data nodes than logging machines",
    "dc-c",
    (f) => ((f.raw as Raw).logging.dataNodes = 4),
    [
      "private-cloud:logging.dataNodes: 4 data nodes but only 3 logging host(s) (expected at most 3: data nodes never share a host)",
    ],
  ],
  [
    "too few logging machines for three masters",
    "dc-c",
    (f) => (hostsOf(f, "logging")[0].function = "web"),
    [
      "private-cloud:logging: only 2 logging host(s) (expected at least 3: the 3 Elasticsearch masters each need their own host)",
      "private-cloud:logging.dataNodes: 3 data nodes but only 2 logging host(s) (expected at most 2: data nodes never share a host)",
    ],
  ],
  [
    "a data node larger than a logging machine",
    "dc-c",
    (f) => ((f.raw as Raw).logging.data = { cpuLimitMillis: 48000 }),
    [
      "private-cloud:logging.data.cpuLimitMillis: 48000 exceeds the smallest logging machine's 40 cores (expected at most 40000)",
    ],
  ],
  [
    "a logging machine with little memory",
    "dc-c",
    (f) => (hostsOf(f, "logging")[1].memoryGiB = 16),
    [
      "private-cloud:logging.data.memoryLimitMiB: 32768 exceeds the smallest logging machine's 16384 MiB (expected at most 16384)",
    ],
  ],
  [
    "an unknown Elasticsearch role setting",
    "dc-c",
    (f) => ((f.raw as Raw).logging.client = { heapMiB: 4096 }),
    [
      "private-cloud:logging.client.heapMiB: unknown setting (expected one of: cpuLimitMillis, memoryLimitMiB)",
    ],
  ],
];

describe.each(cases)("%s (%s)", (_title, stack, mutate, expected) => {
  it(expected.length === 0 ? "is valid" : `reports exactly ${expected.length} problem(s)`, () => {
    const f = fixture(stack);
    mutate(f);
    expect(problems(f)).toEqual(expected);
  });
});
