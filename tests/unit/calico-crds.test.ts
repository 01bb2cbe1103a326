/**
 * The CRD schemas must accept every CR this program writes and refuse bad
 * values, as the API server would. ajv stands in for the API server's
 * OpenAPI validation here (the end-to-end suite applies them for real).
 */
import Ajv from "ajv";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { stringify } from "yaml";
import { calicoCrd, calicoCrds, CALICO_KINDS, TYPED_KINDS } from "../../components/calico-bgp/crds";
import { bgpConfiguration, bgpPeers, ipPools } from "../../components/calico-bgp/topology";
import {
  failsafePorts,
  felixConfiguration,
  kubeControllersConfiguration,
  lvsUntrackedPolicy,
} from "../../components/calico-bgp/dataplane";
import { calicoRuleGroups, calicoScrapeConfigs } from "../../components/calico-bgp/monitoring";
import { ruleFile } from "../../components/common/alerts";
import { probeFloors } from "../../components/common/probes";
import { calicoNodeDaemonSet, kubeControllersDeployment } from "../../components/calico-bgp/workloads";
import { fixture, modelOf } from "../helpers/config";
import { describeWithTool, runTool } from "../helpers/tools";

/** The CRD's openAPIV3Schema with Kubernetes' x- extensions renamed back, as ajv input. */
function validatorFor(kind: string) {
  const k = CALICO_KINDS.find((x) => x.kind === kind);
  if (!k) throw new Error(kind);
  const crd = calicoCrd(k) as unknown as {
    spec: { versions: { schema: { openAPIV3Schema: unknown } }[] };
  };
  const schema = JSON.parse(
    JSON.stringify(crd.spec.versions[0].schema.openAPIV3Schema).replace(
      /"x_kubernetes_([a-z_]+)"/g,
      (_m, k2: string) => JSON.stringify(`x-kubernetes-${k2.replace(/_/g, "-")}`),
    ),
  );
  return new Ajv({ strict: false, allErrors: true }).compile(schema);
}

describe("calicoCrds", () => {
  const crds = calicoCrds();

  it("defines every Calico v3.30 kind once, in crd.projectcalico.org/v1", () => {
    expect(crds).toHaveLength(CALICO_KINDS.length);
    expect(new Set(crds.map((c) => c.metadata.name)).size).toBe(crds.length);
    for (const c of crds) expect(c.metadata.name).toMatch(/^[a-z]+\.crd\.projectcalico\.org$/);
  });

  it.each(["NetworkPolicy", "NetworkSet", "StagedNetworkPolicy", "StagedKubernetesNetworkPolicy"])(
    "%s is namespaced, the others cluster-scoped",
    (kind) => {
      const c = crds.find((x) => (x.spec as { names: { kind: string } }).names.kind === kind);
      expect((c?.spec as { scope: string }).scope).toBe("Namespaced");
      expect(crds.filter((x) => (x.spec as { scope: string }).scope === "Namespaced")).toHaveLength(4);
    },
  );

  it("types the spec of every kind this program writes", () => {
    expect(TYPED_KINDS.sort()).toEqual(
      [
        "BGPConfiguration",
        "BGPPeer",
        "FelixConfiguration",
        "GlobalNetworkPolicy",
        "HostEndpoint",
        "IPPool",
        "KubeControllersConfiguration",
      ].sort(),
    );
  });

  it("keeps fields Calico writes itself (no pruning)", () => {
    for (const c of crds) {
      const spec = (
        c.spec as unknown as { versions: { schema: { openAPIV3Schema: { properties: { spec: object } } } }[] }
      ).versions[0].schema.openAPIV3Schema.properties.spec;
      expect(spec).toMatchObject({ type: "object", x_kubernetes_preserve_unknown_fields: true });
    }
  });
});

describe.each(["dc-a", "dc-b", "dc-c"])("the CRs of %s pass their CRD schema", (stack) => {
  const model = modelOf(fixture(stack));
  const crs = [
    bgpConfiguration(model),
    ...bgpPeers(model),
    ...ipPools(model),
    felixConfiguration(model),
    kubeControllersConfiguration(),
    ...(lvsUntrackedPolicy(model) ? [lvsUntrackedPolicy(model)] : []),
  ];
  it.each(crs.map((c) => [`${c?.kind} ${c?.metadata.name}`, c]))("%s", (_n, cr) => {
    const validate = validatorFor((cr as { kind: string }).kind);
    expect(validate(cr)).toBe(true);
  });
});

describe("the CRD schemas refuse bad values", () => {
  const model = modelOf(fixture("dc-c"));
  it.each([
    ["IPPool", { ...ipPools(model)[0], spec: { ...ipPools(model)[0].spec, ipipMode: "Sometimes" } }],
    ["IPPool", { ...ipPools(model)[0], spec: { ...ipPools(model)[0].spec, blockSize: 33 } }],
    ["BGPPeer", { ...bgpPeers(model)[0], spec: { ...bgpPeers(model)[0].spec, asNumber: 0 } }],
    ["BGPPeer", { ...bgpPeers(model)[0], spec: { ...bgpPeers(model)[0].spec, peerIP: "router-1" } }],
    ["BGPConfiguration", { ...bgpConfiguration(model), spec: { asNumber: 4294967295 } }],
    ["BGPConfiguration", { ...bgpConfiguration(model), spec: { nodeToNodeMeshEnabled: "no" } }],
    ["FelixConfiguration", { ...felixConfiguration(model), spec: { reportingInterval: "soon" } }],
    ["GlobalNetworkPolicy", { ...lvsUntrackedPolicy(model), spec: { ingress: [{ action: "Accept" }] } }],
  ])("%s %#", (kind, cr) => {
    expect(validatorFor(kind)(cr)).toBe(false);
  });
});

describe("conntrack bypass for LVS traffic", () => {
  it.each(["dc-a", "dc-c"])(
    "%s: untracked, on forward, both directions between LIPs and pod pools",
    (stack) => {
      const model = modelOf(fixture(stack));
      const p = lvsUntrackedPolicy(model) as { spec: Record<string, unknown> };
      const lips = model.config.lvs?.localAddressRanges;
      const pods = ipPools(model).map((x) => x.spec.cidr);
      expect(p.spec).toMatchObject({ doNotTrack: true, applyOnForward: true, types: ["Ingress", "Egress"] });
      expect(p.spec.ingress).toEqual([
        { action: "Allow", source: { nets: lips }, destination: { nets: pods } },
      ]);
      expect(p.spec.egress).toEqual([
        { action: "Allow", source: { nets: pods }, destination: { nets: lips } },
      ]);
      // projectcalico/calico#2609: replies are INVALID to conntrack and would be dropped.
      expect(felixConfiguration(model).spec.disableConntrackInvalidCheck).toBe(true);
      expect(kubeControllersConfiguration().spec).toMatchObject({
        controllers: { node: { hostEndpoint: { autoCreate: "Enabled" } } },
      });
    },
  );

  it("keeps the conntrack-invalid check where there is no LVS tier", () => {
    const f = fixture("dc-b");
    // Without an LVS tier there can be no businesses (their VIPs live on it).
    delete f.raw.lvs;
    f.raw.businesses = [];
    const model = modelOf(f);
    expect(lvsUntrackedPolicy(model)).toBeUndefined();
    expect(felixConfiguration(model).spec.disableConntrackInvalidCheck).toBe(false);
  });

  it.each([
    ["dc-c", 2222],
    ["dc-a", 22],
  ])("%s keeps its SSH port %i failsafe", (stack, port) => {
    expect(failsafePorts(modelOf(fixture(stack))).inbound).toContainEqual({ protocol: "TCP", port });
  });
});

describe("calico-node DaemonSet", () => {
  const ds = calicoNodeDaemonSet(modelOf(fixture("dc-a"))) as unknown as {
    spec: { template: { spec: Record<string, unknown> & { containers: Record<string, unknown>[] } } };
  };
  const pod = ds.spec.template.spec;
  const node = pod.containers.find((c) => c.name === "calico-node") as Record<string, unknown>;

  it("is ready only when Felix and BIRD are", () => {
    expect(node.readinessProbe).toMatchObject({
      exec: { command: ["/bin/calico-node", "-felix-ready", "-bird-ready"] },
    });
  });

  it("keeps probe timeouts at or above the floor", () => {
    for (const c of pod.containers)
      for (const p of ["readinessProbe", "livenessProbe"])
        if (c[p])
          expect((c[p] as { timeoutSeconds: number }).timeoutSeconds).toBeGreaterThanOrEqual(
            probeFloors.minTimeoutSeconds,
          );
  });

  it("runs on the host network everywhere but the LVS directors", () => {
    expect(pod.hostNetwork).toBe(true);
    expect(JSON.stringify(pod.affinity)).toContain('"operator":"NotIn","values":["lvs"]');
  });

  it("has requests and limits on every container", () => {
    for (const c of [...pod.containers, ...(pod.initContainers as Record<string, unknown>[])]) {
      const r = c.resources as { requests: object; limits: object };
      expect(Object.keys(r.requests).sort()).toEqual(["cpu", "memory"]);
      expect(Object.keys(r.limits).sort()).toEqual(["cpu", "memory"]);
    }
  });

  it("creates no default pool and uses no encapsulation", () => {
    const env = node.env as { name: string; value?: string }[];
    expect(env).toEqual(
      expect.arrayContaining([
        { name: "NO_DEFAULT_POOLS", value: "true" },
        { name: "CALICO_IPV4POOL_IPIP", value: "Never" },
        { name: "CALICO_IPV4POOL_VXLAN", value: "Never" },
        { name: "CALICO_NETWORKING_BACKEND", value: "bird" },
      ]),
    );
  });

  it("kube-controllers runs a single replica", () => {
    const d = kubeControllersDeployment(modelOf(fixture("dc-a"))) as unknown as {
      spec: { replicas: number };
    };
    expect(d.spec.replicas).toBe(1);
  });
});

describe("Calico alert rules", () => {
  const groups = calicoRuleGroups();
  const rules = groups.flatMap((g) => g.rules);

  it.each([
    ["CalicoNodeNotReady", "critical"],
    ["CalicoBgpSessionDown", "critical"],
    ["CalicoBgpPeerDownOnManyNodes", "critical"],
    ["CalicoBgpSessionFlapping", "warning"],
    ["CalicoDataplaneFailures", "warning"],
    ["CalicoIptablesRestoreErrors", "warning"],
    ["ConntrackTableFilling", "warning"],
    ["ConntrackTableNearlyFull", "critical"],
  ])("%s is a %s alert", (name, severity) => {
    expect(rules.find((r) => r.alert === name)?.labels.severity).toBe(severity);
  });

  it("scrapes BIRD's sessions from the bird-metrics port, labelled by node", () => {
    expect(calicoScrapeConfigs()).toEqual([
      expect.objectContaining({
        job_name: "calico-bird",
        relabel_configs: [
          {
            source_labels: ["__meta_kubernetes_pod_container_port_name"],
            regex: "bird-metrics",
            action: "keep",
          },
          { source_labels: ["__meta_kubernetes_pod_node_name"], target_label: "node" },
        ],
      }),
    ]);
  });

  it("alerts on conntrack above 75%", () => {
    expect(rules.find((r) => r.alert === "ConntrackTableFilling")?.expr).toBe(
      "node_nf_conntrack_entries / node_nf_conntrack_entries_limit > 0.75",
    );
  });

  it("keeps per-node and per-peer BGP alerts apart", () => {
    expect(rules.find((r) => r.alert === "CalicoBgpPeerDownOnManyNodes")?.expr).toContain("count by (name)");
    expect(rules.find((r) => r.alert === "CalicoBgpSessionDown")?.annotations.summary).toContain(
      "{{ $labels.node }}",
    );
  });
});

describeWithTool("promtool", "Calico monitoring data", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "calico-rules-"));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("the rule groups pass promtool check rules", () => {
    const file = path.join(dir, "calico.rules.yaml");
    fs.writeFileSync(file, stringify(ruleFile(calicoRuleGroups())));
    const r = runTool("promtool", ["check", "rules", file]);
    expect(r.output).toContain("SUCCESS");
    expect(r.status).toBe(0);
  });

  // The scrape config is not checked here: Debian's promtool (2.42+ds) is
  // built without Kubernetes service discovery and refuses
  // kubernetes_sd_configs; the MonitoringStack's own checks cover the merged file.
});

describe("CRDs round-trip through the API server unchanged", () => {
  it("carry no empty description (the API server drops it, and every preview would show a diff)", () => {
    const empty: string[] = [];
    const walk = (v: unknown, at: string): void => {
      if (Array.isArray(v)) v.forEach((x, i) => walk(x, `${at}[${i}]`));
      else if (v && typeof v === "object")
        for (const [k, x] of Object.entries(v)) {
          if (k === "description" && x === "") empty.push(at);
          walk(x, `${at}.${k}`);
        }
    };
    for (const crd of calicoCrds()) walk(crd, crd.metadata.name);
    expect(empty).toEqual([]);
  });
});
