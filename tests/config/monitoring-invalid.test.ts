/**
 * Invalid monitoring configs and the exact problems each reports. Each case is
 * one mutation of a real stack; the list must be exactly the expected one, so
 * a check that fires too often fails too.
 */
import { fixture, problems } from "../helpers/config";

type Fixture = ReturnType<typeof fixture>;
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- mutations reach into the raw YAML object
type Raw = any;
const mon = (f: Fixture): Raw => (f.raw as Raw).monitoring;
const am = (f: Fixture): Raw => mon(f).alertmanager;

const cases: [string, string, (f: Fixture) => void, string[]][] = [
  [
    "no alertmanager section",
    "dc-c",
    (f) => delete mon(f).alertmanager,
    [
      "private-cloud:monitoring.alertmanager: is required (expected alert routing: defaultReceiver and receivers with a webhook URL or e-mail (alerts must reach someone))",
    ],
  ],
  [
    "no receivers",
    "dc-c",
    (f) => (am(f).receivers = []),
    [
      "private-cloud:monitoring.alertmanager.receivers: [] is not valid (expected at least one receiver with a webhook URL or an e-mail address)",
    ],
  ],
  [
    "default receiver not declared",
    "dc-b",
    (f) => (am(f).defaultReceiver = "sre-pager"),
    [
      'private-cloud:monitoring.alertmanager.defaultReceiver: receiver "sre-pager" is not declared (expected one of ["platform-oncall","business-oncall"])',
    ],
  ],
  [
    "route to an unknown receiver",
    "dc-b",
    (f) => (am(f).routes[0].receiver = "biz-oncall"),
    [
      'private-cloud:monitoring.alertmanager.routes[0].receiver: receiver "biz-oncall" is not declared (expected one of ["platform-oncall","business-oncall"])',
    ],
  ],
  [
    "receiver declared twice",
    "dc-b",
    (f) => (am(f).receivers[1].name = "platform-oncall"),
    [
      'private-cloud:monitoring.alertmanager.receivers[1].name: "platform-oncall" is already used by receivers[0] (expected unique receiver names)',
      'private-cloud:monitoring.alertmanager.routes[0].receiver: receiver "business-oncall" is not declared (expected one of ["platform-oncall"])',
    ],
  ],
  [
    "receiver without a target",
    "dc-c",
    (f) => (am(f).receivers[0].webhookUrls = []),
    [
      'private-cloud:monitoring.alertmanager.receivers[0]: receiver "platform-oncall" has no webhookUrls and no emailTo (expected at least one target: alerts routed here would be dropped)',
    ],
  ],
  [
    "e-mail without smtp",
    "dc-a",
    (f) => delete am(f).smtp,
    [
      'private-cloud:monitoring.alertmanager.receivers[2].emailTo: receiver "sre-mail" sends e-mail but monitoring.alertmanager.smtp is not set (expected an smtp smarthost and from address)',
    ],
  ],
  [
    "matcher without quotes",
    "dc-b",
    (f) => (am(f).routes[0].matchers = ["namespace=~ingress-.*"]),
    [
      'private-cloud:monitoring.alertmanager.routes[0].matchers[0]: "namespace=~ingress-.*" is not valid (expected a matcher label="value", label!="value", label=~"regex" or label!~"regex")',
    ],
  ],
  [
    "matcher with a broken regex",
    "dc-b",
    (f) => (am(f).routes[0].matchers = ['namespace=~"ingress-(.*"']),
    [
      'private-cloud:monitoring.alertmanager.routes[0].matchers[0]: "namespace=~\\"ingress-(.*\\"" has a regular expression Alertmanager refuses: missing closing ): `ingress-(.*` (expected RE2 syntax: no lookaround, backreferences or possessive quantifiers)',
    ],
  ],
  [
    "webhook URL without scheme",
    "dc-c",
    (f) => (am(f).receivers[0].webhookUrls = ["oncall.dc-c.cloud.internal/hook"]),
    [
      'private-cloud:monitoring.alertmanager.receivers[0].webhookUrls[0]: "oncall.dc-c.cloud.internal/hook" is not valid (expected an http:// or https:// URL)',
    ],
  ],
  [
    "unknown Prometheus instance",
    "dc-c",
    (f) => (mon(f).prometheus = { infra: {}, logs: {} }),
    ["private-cloud:monitoring.prometheus.logs: unknown setting (expected one of: infra, business)"],
  ],
  [
    "more Prometheus replicas than monitoring hosts",
    "dc-c",
    (f) => (mon(f).prometheus = { business: { replicas: 3 } }),
    [
      "private-cloud:monitoring.prometheus.business.replicas: 3 Prometheus business replicas but only 2 monitoring host(s) (expected at most 2: replicas never share a host)",
    ],
  ],
  [
    "more Alertmanager replicas than monitoring hosts",
    "dc-b",
    (f) => (am(f).replicas = 3),
    [
      "private-cloud:monitoring.alertmanager.replicas: 3 Alertmanager replicas but only 2 monitoring host(s) (expected at most 2: replicas never share a host)",
    ],
  ],
  [
    "volumes that do not fit the data disk",
    "dc-a",
    (f) => (mon(f).storageGiB = 2500),
    [
      "private-cloud:monitoring.storageGiB: one replica of every Prometheus instance plus Alertmanager needs 3702 GiB per host but /data/prometheus holds 3600 GiB on dca-a1r03-01, dca-a1r03-02, dca-a2r03-01 (expected volumes that fit the smallest monitoring data disk)",
    ],
  ],
  [
    "monitoring hosts without the data disk",
    "dc-c",
    (f) => (mon(f).dataMount = "/data/tsdb"),
    [
      'private-cloud:monitoring.dataMount: no monitoring host has a disk mounted at "/data/tsdb" (expected one of their mounts ["/","/data/prometheus","/var/lib/kubelet"] for monitoring.storageClass "local-retain" volumes)',
    ],
  ],
  [
    "retention of zero days",
    "dc-c",
    (f) => (mon(f).prometheus = { infra: { retentionDays: 0 } }),
    ["private-cloud:monitoring.prometheus.infra.retentionDays: 0 is not valid (expected an integer 1-400)"],
  ],
  [
    "one monitoring host without the data disk",
    "dc-c",
    (f) => (f.inventory.hosts.find((h) => h.hostname === "dcc-c2r02-03")?.disks.pop(), undefined),
    [
      "inventory/dc-c.yaml: hosts[29].disks: dcc-c2r02-03 has no disk mounted at /data/prometheus (expected the data disk the other monitoring hosts have)",
    ],
  ],
  // Network storage: the local data disk does not limit the volumes.
  [
    "big volumes on a network storage class",
    "dc-a",
    (f) => Object.assign(mon(f), { storageGiB: 2500, storageClass: "ceph-rbd" }),
    [],
  ],
  // Defaults fill in: one receiver with one webhook is a complete routing.
  [
    "the smallest valid routing",
    "dc-b",
    (f) =>
      (mon(f).alertmanager = {
        defaultReceiver: "a",
        receivers: [{ name: "a", webhookUrls: ["http://gw/a"] }],
      }),
    [],
  ],
];

describe("invalid monitoring config", () => {
  it.each(cases)("%s (%s)", (_title, stack, mutate, expected) => {
    const f = fixture(stack);
    mutate(f);
    expect(problems(f)).toEqual(expected);
  });
});
