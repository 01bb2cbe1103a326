/**
 * Workload builders: derived values (GOMAXPROCS, gossip peers), RBAC that
 * matches what each reader does, and placement on the monitoring machines.
 */
import { labelKeys } from "../../stacks/labels";
import {
  alertmanagerPeers,
  alertmanagerStatefulSet,
  goEnv,
  kubeStateMetricsClusterRoleRules,
  kubeStateMetricsDeployment,
  ksmResources,
  monitoringPlacement,
  prometheusClusterRoleRules,
} from "../../components/monitoring-stack/workloads";

describe("GOMAXPROCS follows the CPU limit (the Go runtime counts host cores otherwise)", () => {
  it.each([
    [250, "1"],
    [1000, "1"],
    [1500, "2"],
    [4000, "4"],
    [6000, "6"],
  ])("%sm → %s", (millis, procs) => expect(goEnv(millis)).toEqual([{ name: "GOMAXPROCS", value: procs }]));
});

describe("Alertmanager gossip", () => {
  const am = (replicas: number) =>
    alertmanagerStatefulSet({
      namespace: "monitoring",
      image: "am",
      replicas,
      storageGiB: 2,
      storageClass: "local-retain",
      configSecretName: "alertmanager-config",
      configDigest: "d",
    });
  const args = (replicas: number) =>
    ((am(replicas).spec as { template: { spec: { containers: { args: string[] }[] } } }).template.spec
      .containers[0].args ?? []) as string[];

  it.each([
    [
      2,
      ["alertmanager-0.alertmanager.monitoring.svc:9094", "alertmanager-1.alertmanager.monitoring.svc:9094"],
    ],
    [
      3,
      ["alertmanager-0", "alertmanager-1", "alertmanager-2"].map(
        (p) => `${p}.alertmanager.monitoring.svc:9094`,
      ),
    ],
  ])("%s replicas peer with every replica", (replicas, peers) => {
    expect(alertmanagerPeers("monitoring", replicas)).toEqual(peers);
    expect(args(replicas).filter((a) => a.startsWith("--cluster.peer="))).toEqual(
      peers.map((p) => `--cluster.peer=${p}`),
    );
  });

  it("a single replica does not gossip", () => {
    expect(args(1)).toContain("--cluster.listen-address=");
    expect(args(1).some((a) => a.startsWith("--cluster.peer="))).toBe(false);
  });
});

describe("RBAC written for what each reader does", () => {
  it("kube-state-metrics may list and watch exactly the resources it is told to export", () => {
    const rules = kubeStateMetricsClusterRoleRules();
    const granted = rules.flatMap((r) => (r.resources as string[]).map((res) => res)).sort();
    expect(granted).toEqual(ksmResources.map((r) => r.resource).sort());
    for (const r of rules) expect(r.verbs).toEqual(["list", "watch"]);
    const spec = kubeStateMetricsDeployment("monitoring", "ksm", "kube-state-metrics").spec as {
      template: { spec: { containers: { args: string[] }[] } };
    };
    expect(spec.template.spec.containers[0].args).toContain(
      `--resources=${ksmResources.map((r) => r.resource).join(",")}`,
    );
    expect(granted).not.toContain("secrets");
  });

  it("Prometheus reads kubelet metrics and /metrics, and writes nothing", () => {
    const rules = prometheusClusterRoleRules();
    expect(rules.flatMap((r) => r.verbs as string[]).every((v) => ["get", "list", "watch"].includes(v))).toBe(
      true,
    );
    expect(rules[0].resources).toContain("nodes/metrics");
    expect(rules.find((r) => r.nonResourceURLs)?.nonResourceURLs).toEqual(["/metrics", "/metrics/cadvisor"]);
  });
});

describe("placement on the monitoring machines", () => {
  it("requires the monitoring function, keeps replicas apart per host and spreads them over racks", () => {
    const selector = { "app.kubernetes.io/name": "prometheus", "app.kubernetes.io/instance": "infra" };
    const p = monitoringPlacement(selector);
    expect(p.tolerations).toEqual([
      { key: labelKeys.function, operator: "Equal", value: "monitoring", effect: "NoSchedule" },
    ]);
    expect(p.topologySpreadConstraints).toEqual([
      {
        maxSkew: 1,
        topologyKey: labelKeys.rack,
        whenUnsatisfiable: "DoNotSchedule",
        labelSelector: { matchLabels: selector },
      },
    ]);
    expect(JSON.stringify(p.affinity)).toContain(`"topologyKey":"${labelKeys.hostname}"`);
  });
});
