/**
 * The Prometheus configuration of each instance, as typed data: our own
 * scrape jobs (Kubernetes service discovery + relabeling), those other
 * components contribute, alerting towards Alertmanager, and the rule files.
 * `renderPrometheusConfig` turns it into the prometheus.yml that promtool checks.
 *
 * Field names are Prometheus's own (snake_case) so the object IS the file.
 */
import { stringify } from "yaml";
import { labelKeys } from "../../stacks/labels";
import { ports as controlPlanePorts } from "../master-ha/manifests";
import { METRICS_PORT_NAME, SCRAPE_ANNOTATIONS, type PrometheusInstanceName } from "./contract";

export type RelabelAction =
  | "replace"
  | "keep"
  | "drop"
  | "keepequal"
  | "dropequal"
  | "labelmap"
  | "labeldrop"
  | "labelkeep"
  | "hashmod"
  | "lowercase"
  | "uppercase";

export interface RelabelConfig {
  readonly source_labels?: readonly string[];
  readonly separator?: string;
  readonly regex?: string;
  readonly target_label?: string;
  readonly replacement?: string;
  readonly action?: RelabelAction;
  readonly modulus?: number;
}

export interface KubernetesSdConfig {
  readonly role: "node" | "pod" | "service" | "endpoints" | "endpointslice" | "ingress";
  readonly namespaces?: { readonly names: readonly string[] };
  /** Pod role: also attach the node's labels (`__meta_kubernetes_node_label_*`). */
  readonly attach_metadata?: { readonly node: boolean };
}

export interface ScrapeConfig {
  readonly job_name: string;
  readonly scrape_interval?: string;
  readonly scrape_timeout?: string;
  readonly metrics_path?: string;
  readonly scheme?: "http" | "https";
  readonly honor_labels?: boolean;
  readonly authorization?: { readonly credentials_file: string };
  readonly tls_config?: { readonly ca_file?: string; readonly insecure_skip_verify?: boolean };
  readonly kubernetes_sd_configs?: readonly KubernetesSdConfig[];
  readonly static_configs?: readonly {
    readonly targets: readonly string[];
    readonly labels?: Readonly<Record<string, string>>;
  }[];
  readonly relabel_configs?: readonly RelabelConfig[];
  readonly metric_relabel_configs?: readonly RelabelConfig[];
  /** Refuse a scrape returning more series than this (a cardinality explosion stays one target's problem). */
  readonly sample_limit?: number;
}

/**
 * A scrape job another component contributes: typed, or plain Prometheus
 * YAML-as-object (CalicoBGP and FullnatLVS write theirs that way). It needs a
 * string `job_name`; promtool checks the rest.
 */
export type ContributedScrapeConfig = ScrapeConfig | Readonly<Record<string, unknown>>;

export interface PrometheusConfig {
  readonly global: {
    readonly scrape_interval: string;
    readonly scrape_timeout: string;
    readonly evaluation_interval: string;
    readonly external_labels: Readonly<Record<string, string>>;
  };
  readonly alerting: {
    readonly alert_relabel_configs?: readonly RelabelConfig[];
    readonly alertmanagers: readonly {
      readonly api_version: "v2";
      readonly kubernetes_sd_configs: readonly KubernetesSdConfig[];
      readonly relabel_configs: readonly RelabelConfig[];
    }[];
  };
  readonly rule_files: readonly string[];
  readonly scrape_configs: readonly ContributedScrapeConfig[];
}

/** The in-cluster service account credentials Prometheus authenticates with. */
export const SA_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";
const saAuth = { credentials_file: `${SA_DIR}/token` } as const;

/** Where rule files are mounted in the Prometheus container. */
export const RULES_DIR = "/etc/prometheus/rules";
/**
 * Where the `business` instance finds the rule files business releases
 * deliver (one per onboarded business, see `releaseRuleSources`): a directory
 * of its own, so the platform's rule files and the releases' never collide.
 */
export const RELEASE_RULES_DIR = "/etc/prometheus/release-rules";
export const CONFIG_DIR = "/etc/prometheus/config";
export const CONFIG_FILE = "prometheus.yml";

/** Prometheus label name for a Kubernetes label or annotation key, as SD exposes it (non-alphanumerics → `_`). */
export function sdLabelName(key: string): string {
  return key.replace(/[^a-zA-Z0-9_]/g, "_");
}

/** Pod labels the Prometheus pods carry; the app label distinguishes our own workloads. */
export const appLabel = "app.kubernetes.io/name";
export const instanceLabel = "app.kubernetes.io/instance";

const podMeta = (what: string) => `__meta_kubernetes_pod_${what}`;
/** Every role puts the object's namespace here (not under `_pod_`). */
const NAMESPACE_META = "__meta_kubernetes_namespace";
const podLabel = (key: string) => podMeta(`label_${sdLabelName(key)}`);
const podAnnotation = (key: string) => podMeta(`annotation_${sdLabelName(key)}`);
const nodeLabelMeta = (key: string) => `__meta_kubernetes_node_label_${sdLabelName(key)}`;

/** CMDB node labels copied onto series as `rack`, `room`, `function`, `machine_type` (alerts say where). */
function cmdbLabels(): RelabelConfig[] {
  return (
    [
      ["rack", labelKeys.rack],
      ["room", labelKeys.room],
      ["function", labelKeys.function],
      ["machine_type", labelKeys.machineType],
    ] as const
  ).map(([target, key]) => ({ source_labels: [nodeLabelMeta(key)], target_label: target }));
}

/** Standard target labels of a pod target: namespace, pod, container, node. */
function podTargetLabels(): RelabelConfig[] {
  return [
    { source_labels: [NAMESPACE_META], target_label: "namespace" },
    { source_labels: [podMeta("name")], target_label: "pod" },
    { source_labels: [podMeta("container_name")], target_label: "container" },
    { source_labels: [podMeta("node_name")], target_label: "node" },
  ];
}

/** Keep only running pods' named port: pending/finished pods have no endpoint worth scraping. */
function keepPodPort(portName: string): RelabelConfig[] {
  return [
    { source_labels: [podMeta("phase")], regex: "Pending|Succeeded|Failed", action: "drop" },
    { source_labels: [podMeta("container_port_name")], regex: portName, action: "keep" },
  ];
}

/** A pod job selecting `app.kubernetes.io/name=<app>` in one namespace, scraping its port named `portName`. */
function appPodJob(
  jobName: string,
  namespace: string,
  app: string,
  portName: string,
  extra: Partial<ScrapeConfig> = {},
): ScrapeConfig {
  return {
    job_name: jobName,
    kubernetes_sd_configs: [{ role: "pod", namespaces: { names: [namespace] } }],
    ...extra,
    relabel_configs: [
      { source_labels: [podLabel(appLabel)], regex: app, action: "keep" },
      ...keepPodPort(portName),
      ...podTargetLabels(),
      ...(extra.relabel_configs ?? []),
    ],
  };
}

/** kubelet and cAdvisor on every node (job `kubelet` carries `node`, as MasterHA's drift alerts expect). */
export function kubeletScrapeConfigs(): ScrapeConfig[] {
  const base = (job: string, path: string): ScrapeConfig => ({
    job_name: job,
    scheme: "https",
    metrics_path: path,
    authorization: saAuth,
    // Kubelet serving certificates are self-signed unless serverTLSBootstrap
    // is on, so they cannot be verified against the cluster CA; the bearer
    // token is still required (kube-prometheus makes the same trade-off).
    tls_config: { ca_file: `${SA_DIR}/ca.crt`, insecure_skip_verify: true },
    kubernetes_sd_configs: [{ role: "node" }],
    relabel_configs: [
      { source_labels: ["__meta_kubernetes_node_name"], target_label: "node" },
      ...cmdbLabels(),
    ],
  });
  return [
    base("kubelet", "/metrics"),
    {
      ...base("cadvisor", "/metrics/cadvisor"),
      // cAdvisor repeats every pod-level cgroup without a container name;
      // those duplicate the per-container series and double every sum.
      metric_relabel_configs: [
        {
          source_labels: ["__name__", "container"],
          regex: "container_(cpu|memory|fs|network)_.+;",
          action: "drop",
        },
      ],
    },
  ];
}

/** node-exporter on every host. Pod discovery with node metadata, so host series carry rack/room/function. */
export function nodeExporterScrapeConfig(namespace: string): ScrapeConfig {
  return {
    job_name: "node-exporter",
    kubernetes_sd_configs: [
      { role: "pod", namespaces: { names: [namespace] }, attach_metadata: { node: true } },
    ],
    relabel_configs: [
      { source_labels: [podLabel(appLabel)], regex: "node-exporter", action: "keep" },
      ...keepPodPort(METRICS_PORT_NAME),
      // hostNetwork: the pod IP is the host's; `instance` is the node name, which people search for.
      { source_labels: [podMeta("node_name")], target_label: "instance" },
      { source_labels: [podMeta("node_name")], target_label: "node" },
      ...cmdbLabels(),
    ],
  };
}

/** kube-state-metrics: honor its own `namespace`/`pod`/`node` labels, which describe the objects, not the exporter. */
export function kubeStateMetricsScrapeConfig(namespace: string): ScrapeConfig {
  return {
    job_name: "kube-state-metrics",
    honor_labels: true,
    kubernetes_sd_configs: [{ role: "pod", namespaces: { names: [namespace] } }],
    relabel_configs: [
      { source_labels: [podLabel(appLabel)], regex: "kube-state-metrics", action: "keep" },
      ...keepPodPort(METRICS_PORT_NAME),
    ],
  };
}

/**
 * The control plane (MasterHA's label contract: jobs kube-apiserver,
 * kube-controller-manager, kube-scheduler, etcd). The API servers through the
 * `kubernetes` Service's endpoints; the other three are static pods found by
 * their `component` label and scraped on the host at MasterHA's ports.
 */
export function controlPlaneScrapeConfigs(): ScrapeConfig[] {
  const staticPod = (
    job: string,
    component: string,
    port: number,
    scheme: "http" | "https",
  ): ScrapeConfig => ({
    job_name: job,
    scheme,
    ...(scheme === "https"
      ? {
          authorization: saAuth,
          // Their serving certificates are self-signed at start-up (no --tls-cert-file).
          tls_config: { insecure_skip_verify: true },
        }
      : {}),
    kubernetes_sd_configs: [{ role: "pod", namespaces: { names: ["kube-system"] } }],
    relabel_configs: [
      { source_labels: [podLabel("component")], regex: component, action: "keep" },
      {
        source_labels: [podMeta("ip")],
        regex: "(.+)",
        replacement: `$1:${port}`,
        target_label: "__address__",
      },
      { source_labels: [podMeta("node_name")], target_label: "instance" },
      { source_labels: [podMeta("node_name")], target_label: "node" },
    ],
  });
  return [
    {
      job_name: "kube-apiserver",
      scheme: "https",
      authorization: saAuth,
      tls_config: { ca_file: `${SA_DIR}/ca.crt` },
      kubernetes_sd_configs: [{ role: "endpointslice", namespaces: { names: ["default"] } }],
      relabel_configs: [
        {
          source_labels: ["__meta_kubernetes_service_name", "__meta_kubernetes_endpointslice_port_name"],
          regex: "kubernetes;https",
          action: "keep",
        },
      ],
      // Histograms with a bucket series per resource × verb × bucket that no
      // dashboard or alert reads: on a 127-node cluster they are the largest
      // share of the apiserver's series.
      metric_relabel_configs: [
        {
          source_labels: ["__name__"],
          regex:
            "etcd_request_duration_seconds_bucket|apiserver_request_body_size_bytes_bucket|apiserver_response_sizes_bucket|apiserver_watch_events_sizes_bucket",
          action: "drop",
        },
      ],
    },
    staticPod(
      "kube-controller-manager",
      "kube-controller-manager",
      controlPlanePorts.controllerManager,
      "https",
    ),
    staticPod("kube-scheduler", "kube-scheduler", controlPlanePorts.scheduler, "https"),
    staticPod("etcd", "etcd", controlPlanePorts.etcdMetrics, "http"),
  ];
}

/** Every Prometheus and Alertmanager pod, scraped by every instance: each instance watches the others. */
export function monitoringSelfScrapeConfigs(namespace: string): ScrapeConfig[] {
  return [
    appPodJob("prometheus", namespace, "prometheus", "web", {
      relabel_configs: [{ source_labels: [podLabel(instanceLabel)], target_label: "prometheus_instance" }],
    }),
    appPodJob("alertmanager", namespace, "alertmanager", "web"),
    appPodJob("grafana", namespace, "grafana", "http"),
  ];
}

/**
 * Pods that opted in with the scrape annotation for this instance (see
 * contract.ts). This is how Calico, LVS, the ingress tiers, Jetty and
 * Elasticsearch exporters are found without each needing its own job here.
 */
export function annotatedPodsScrapeConfig(instance: PrometheusInstanceName): ScrapeConfig {
  return {
    job_name: `${instance}-pods`,
    kubernetes_sd_configs: [{ role: "pod", attach_metadata: { node: true } }],
    // A pod that suddenly exports millions of series (a label with user IDs)
    // must not take the instance down with it.
    sample_limit: 200000,
    relabel_configs: [
      { source_labels: [podAnnotation(SCRAPE_ANNOTATIONS.instance)], regex: instance, action: "keep" },
      ...keepPodPort(METRICS_PORT_NAME),
      {
        source_labels: [podAnnotation(SCRAPE_ANNOTATIONS.path)],
        regex: "(.+)",
        target_label: "__metrics_path__",
      },
      {
        source_labels: [podAnnotation(SCRAPE_ANNOTATIONS.scheme)],
        regex: "(https?)",
        target_label: "__scheme__",
      },
      // job = <namespace>/<app name> unless the pod names its job.
      {
        source_labels: [NAMESPACE_META, podLabel(appLabel)],
        separator: "/",
        regex: "(.+/.+)",
        target_label: "job",
      },
      { source_labels: [podAnnotation(SCRAPE_ANNOTATIONS.job)], regex: "(.+)", target_label: "job" },
      ...podTargetLabels(),
      { source_labels: [podLabel(appLabel)], target_label: "app" },
      ...cmdbLabels(),
    ],
  };
}

/** The jobs an instance runs by itself (before what other components contribute). */
export function ownScrapeConfigs(
  instance: PrometheusInstanceName,
  namespaces: { readonly monitoring: string; readonly nodeExporter: string },
): ScrapeConfig[] {
  const common = [...monitoringSelfScrapeConfigs(namespaces.monitoring), annotatedPodsScrapeConfig(instance)];
  if (instance === "business") return common;
  return [
    ...controlPlaneScrapeConfigs(),
    ...kubeletScrapeConfigs(),
    nodeExporterScrapeConfig(namespaces.nodeExporter),
    kubeStateMetricsScrapeConfig(namespaces.monitoring),
    ...common,
  ];
}

export interface PrometheusConfigInput {
  readonly instance: PrometheusInstanceName;
  readonly datacenter: string;
  readonly scrapeIntervalSeconds: number;
  readonly namespaces: { readonly monitoring: string; readonly nodeExporter: string };
  /** Jobs other components contribute to this instance. */
  readonly extraScrapeConfigs?: readonly ContributedScrapeConfig[];
  /** Also load the rule files business releases deliver (RELEASE_RULES_DIR). Default: false. */
  readonly releaseRules?: boolean;
}

/** The whole prometheus.yml of one instance. Throws when two jobs share a name (Prometheus refuses that). */
export function prometheusConfig(input: PrometheusConfigInput): PrometheusConfig {
  const interval = `${input.scrapeIntervalSeconds}s`;
  const scrape = [...ownScrapeConfigs(input.instance, input.namespaces), ...(input.extraScrapeConfigs ?? [])];
  const seen = new Set<string>();
  for (const s of scrape) {
    const job = s.job_name;
    if (typeof job !== "string" || job === "")
      throw new Error(
        `Prometheus ${input.instance}: a contributed scrape config has no job_name (expected a string): ${JSON.stringify(s).slice(0, 120)}`,
      );
    if (seen.has(job))
      throw new Error(
        `Prometheus ${input.instance}: scrape job ${JSON.stringify(job)} is defined twice (expected unique job names; rename the contributed job)`,
      );
    seen.add(job);
  }
  return {
    global: {
      scrape_interval: interval,
      // A scrape may take at most the interval; 10s is enough for node-exporter on a busy 24-core minion.
      scrape_timeout: `${Math.min(10, input.scrapeIntervalSeconds)}s`,
      evaluation_interval: interval,
      // Replicas of one instance send identical alerts (no replica label), so
      // Alertmanager deduplicates them; `prometheus` says which map an alert came from.
      external_labels: { datacenter: input.datacenter, prometheus: input.instance },
    },
    alerting: {
      alertmanagers: [
        {
          api_version: "v2",
          kubernetes_sd_configs: [{ role: "pod", namespaces: { names: [input.namespaces.monitoring] } }],
          relabel_configs: [
            { source_labels: [podLabel(appLabel)], regex: "alertmanager", action: "keep" },
            ...keepPodPort("web"),
          ],
        },
      ],
    },
    rule_files: [`${RULES_DIR}/*.yml`, ...(input.releaseRules ? [`${RELEASE_RULES_DIR}/*.yml`] : [])],
    scrape_configs: scrape,
  };
}

/** prometheus.yml text. */
export function renderPrometheusConfig(config: PrometheusConfig): string {
  return `# Generated by private-cloud's MonitoringStack (components/monitoring-stack); edit the builder, not this file.\n${stringify(config, { lineWidth: 0, aliasDuplicateObjects: false })}`;
}
