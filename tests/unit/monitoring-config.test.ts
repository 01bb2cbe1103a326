/**
 * The Prometheus configuration builder: which jobs each instance runs, what
 * the scrape contract selects (relabeling evaluated on discovered pods), and
 * the values derived from config.
 */
import { fixture, modelOf } from "../helpers/config";
import {
  annotatedPodsScrapeConfig,
  ownScrapeConfigs,
  prometheusConfig,
  renderPrometheusConfig,
  sdLabelName,
  type RelabelConfig,
  type ScrapeConfig,
} from "../../components/monitoring-stack/prometheus-config";
import { prometheusInstances, retentionSize } from "../../components/monitoring-stack/instances";
import { scrapeAnnotations, SCRAPE_ANNOTATIONS } from "../../components/monitoring-stack/contract";

const namespaces = { monitoring: "monitoring", nodeExporter: "node-exporter" };

/**
 * Prometheus's relabeling for the actions we use (regexes are anchored, as in
 * Prometheus). Returns the target's labels, or undefined when it is dropped.
 */
function relabel(
  labels: Record<string, string>,
  rules: readonly RelabelConfig[],
): Record<string, string> | undefined {
  const out = { ...labels };
  for (const r of rules) {
    const value = (r.source_labels ?? []).map((l) => out[l] ?? "").join(r.separator ?? ";");
    const re = new RegExp(`^(?:${r.regex ?? "(.*)"})$`);
    const m = re.exec(value);
    const action = r.action ?? "replace";
    if (action === "keep" && !m) return undefined;
    if (action === "drop" && m) return undefined;
    if (action === "replace" && m && r.target_label) {
      const v = (r.replacement ?? "$1").replace(/\$([0-9])/g, (_, i) => m[Number(i)] ?? "");
      // An empty value removes the label (Prometheus drops empty labels).
      out[r.target_label] = v;
    }
  }
  return Object.fromEntries(Object.entries(out).filter(([, v]) => v !== ""));
}

/** Discovery labels of one container port of a running pod. */
function podTarget(over: {
  namespace?: string;
  app?: string;
  portName?: string;
  annotations?: Record<string, string>;
  phase?: string;
}): Record<string, string> {
  const meta: Record<string, string> = {
    __address__: "10.144.3.7:9102",
    __metrics_path__: "/metrics",
    __scheme__: "http",
    job: "business-pods",
    __meta_kubernetes_namespace: over.namespace ?? "shop",
    __meta_kubernetes_pod_name: "cart-7d9f-abcde",
    __meta_kubernetes_pod_container_name: "app",
    __meta_kubernetes_pod_node_name: "dca-a1r05-07",
    __meta_kubernetes_pod_phase: over.phase ?? "Running",
    __meta_kubernetes_pod_container_port_name: over.portName ?? "metrics",
    __meta_kubernetes_pod_label_app_kubernetes_io_name: over.app ?? "cart",
    __meta_kubernetes_node_label_cmdb_private_cloud_io_rack: "a1r05",
  };
  for (const [k, v] of Object.entries(over.annotations ?? {}))
    meta[`__meta_kubernetes_pod_annotation_${sdLabelName(k)}`] = v;
  return meta;
}

describe("the scrape contract (annotated pods)", () => {
  const business = annotatedPodsScrapeConfig("business").relabel_configs ?? [];
  it.each([
    ["annotated for business, port named metrics", { annotations: scrapeAnnotations("business") }, true],
    ["annotated for infra", { annotations: scrapeAnnotations("infra") }, false],
    ["not annotated", {}, false],
    [
      "annotated, but the port is another one",
      { annotations: scrapeAnnotations("business"), portName: "http" },
      false,
    ],
    [
      "annotated, but the pod has finished",
      { annotations: scrapeAnnotations("business"), phase: "Succeeded" },
      false,
    ],
  ])("%s: scraped by business = %s", (_t, pod, scraped) => {
    expect(relabel(podTarget(pod), business) !== undefined).toBe(scraped);
  });

  it.each([
    ["defaults", {}, { job: "shop/cart", __metrics_path__: "/metrics", __scheme__: "http" }],
    [
      "own path",
      { path: "/actuator/prometheus" },
      { job: "shop/cart", __metrics_path__: "/actuator/prometheus" },
    ],
    ["https", { scheme: "https" as const }, { __scheme__: "https" }],
    ["named job", { job: "jetty" }, { job: "jetty" }],
  ])("%s → target labels", (_t, opts, expected) => {
    const labels = relabel(podTarget({ annotations: scrapeAnnotations("business", opts) }), business);
    expect(labels).toMatchObject({
      ...expected,
      namespace: "shop",
      pod: "cart-7d9f-abcde",
      node: "dca-a1r05-07",
      app: "cart",
      rack: "a1r05",
    });
  });

  it.each([
    [{}, { [SCRAPE_ANNOTATIONS.instance]: "business" }],
    [{ path: "/metrics" }, { [SCRAPE_ANNOTATIONS.instance]: "business" }],
    [
      { path: "/m", scheme: "https" as const, job: "j" },
      {
        [SCRAPE_ANNOTATIONS.instance]: "business",
        [SCRAPE_ANNOTATIONS.path]: "/m",
        [SCRAPE_ANNOTATIONS.scheme]: "https",
        [SCRAPE_ANNOTATIONS.job]: "j",
      },
    ],
  ])("scrapeAnnotations(%j) writes only what differs from the defaults", (opts, expected) => {
    expect(scrapeAnnotations("business", opts)).toEqual(expected);
  });

  it.each([
    ["app.kubernetes.io/name", "app_kubernetes_io_name"],
    ["monitoring.private-cloud.io/scrape", "monitoring_private_cloud_io_scrape"],
    ["component", "component"],
  ])("SD label name of %s is %s", (key, name) => expect(sdLabelName(key)).toBe(name));
});

describe("jobs per instance", () => {
  const jobs = (i: "infra" | "business") => ownScrapeConfigs(i, namespaces).map((s) => s.job_name);
  it("infra scrapes the platform: control plane (MasterHA's job names), kubelets, nodes, kube-state-metrics", () => {
    expect(jobs("infra")).toEqual([
      "kube-apiserver",
      "kube-controller-manager",
      "kube-scheduler",
      "etcd",
      "kubelet",
      "cadvisor",
      "node-exporter",
      "kube-state-metrics",
      "prometheus",
      "alertmanager",
      "grafana",
      "infra-pods",
    ]);
  });
  it("business scrapes annotated business pods and watches the monitoring stack", () => {
    expect(jobs("business")).toEqual(["prometheus", "alertmanager", "grafana", "business-pods"]);
  });

  it("kubelet series carry the node name as `node` (MasterHA's drift alerts join on it)", () => {
    const kubelet = ownScrapeConfigs("infra", namespaces).find(
      (s) => s.job_name === "kubelet",
    ) as ScrapeConfig;
    const labels = relabel(
      { __address__: "10.16.5.17:10250", job: "kubelet", __meta_kubernetes_node_name: "dca-a1r05-07" },
      kubelet.relabel_configs ?? [],
    );
    expect(labels).toMatchObject({ node: "dca-a1r05-07" });
  });

  it.each([
    ["kube-controller-manager", "10.16.1.11:10257"],
    ["kube-scheduler", "10.16.1.11:10259"],
    ["etcd", "10.16.1.11:2381"],
  ])("%s is scraped on the master at %s", (job, address) => {
    const cfg = ownScrapeConfigs("infra", namespaces).find((s) => s.job_name === job) as ScrapeConfig;
    const labels = relabel(
      {
        __address__: "10.16.1.11",
        __meta_kubernetes_pod_label_component: job,
        __meta_kubernetes_pod_ip: "10.16.1.11",
        __meta_kubernetes_pod_node_name: "dca-a1r01-01",
      },
      cfg.relabel_configs ?? [],
    );
    expect(labels).toMatchObject({ __address__: address, instance: "dca-a1r01-01" });
  });
});

describe("prometheusConfig", () => {
  const base = { datacenter: "dc-a", scrapeIntervalSeconds: 30, namespaces };
  it.each([
    [30, "30s", "10s"],
    [5, "5s", "5s"],
    [60, "60s", "10s"],
  ])("interval %ss → scrape %s, timeout %s", (seconds, interval, timeout) => {
    const g = prometheusConfig({ ...base, instance: "infra", scrapeIntervalSeconds: seconds }).global;
    expect([g.scrape_interval, g.evaluation_interval, g.scrape_timeout]).toEqual([
      interval,
      interval,
      timeout,
    ]);
  });

  it("labels every series with the datacenter and the instance, and loads the rule directory", () => {
    const c = prometheusConfig({ ...base, instance: "business" });
    expect(c.global.external_labels).toEqual({ datacenter: "dc-a", prometheus: "business" });
    expect(c.rule_files).toEqual(["/etc/prometheus/rules/*.yml"]);
    expect(c.alerting.alertmanagers[0].kubernetes_sd_configs).toEqual([
      { role: "pod", namespaces: { names: ["monitoring"] } },
    ]);
  });

  it("renders plain YAML without anchors, so the file reads like the object", () => {
    const text = renderPrometheusConfig(prometheusConfig({ ...base, instance: "infra" }));
    expect(text).toMatch(/^# Generated by/);
    expect(text).not.toMatch(/[&*]a[0-9]+/);
    expect(text.match(/credentials_file: \/var\/run\/secrets/g)?.length).toBeGreaterThan(3);
  });

  it("appends contributed jobs, and refuses one that reuses a job name", () => {
    const extra: ScrapeConfig = { job_name: "bird", static_configs: [{ targets: ["10.0.0.1:9324"] }] };
    const c = prometheusConfig({ ...base, instance: "infra", extraScrapeConfigs: [extra] });
    expect(c.scrape_configs.at(-1)).toEqual(extra);
    expect(() =>
      prometheusConfig({ ...base, instance: "infra", extraScrapeConfigs: [{ ...extra, job_name: "etcd" }] }),
    ).toThrow(
      'Prometheus infra: scrape job "etcd" is defined twice (expected unique job names; rename the contributed job)',
    );
  });
});

describe("instances from config", () => {
  it.each([
    [10, "8GB"],
    [200, "170GB"],
    [1500, "1275GB"],
  ])("a %s GiB volume keeps at most %s", (gib, size) => expect(retentionSize(gib)).toBe(size));

  it("take the section's retention and storage unless they set their own", () => {
    const f = fixture("dc-a");
    const byName = Object.fromEntries(prometheusInstances(modelOf(f)).map((i) => [i.name, i]));
    expect(byName.infra).toMatchObject({
      retentionDays: 30,
      storageGiB: 1500,
      replicas: 2,
      scrapeIntervalSeconds: 30,
    });
    expect(byName.business).toMatchObject({ retentionDays: 15, storageGiB: 1200, replicas: 2 });
  });

  it("fill their defaults when the stack says nothing", () => {
    const f = fixture("dc-c");
    const [infra] = prometheusInstances(modelOf(f));
    expect(infra).toEqual({
      name: "infra",
      retentionDays: 10,
      storageGiB: 300,
      replicas: 2,
      cpuLimitMillis: 4000,
      memoryLimitMiB: 16384,
      scrapeIntervalSeconds: 30,
    });
  });
});
