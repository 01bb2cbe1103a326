/**
 * What the logging stack contributes to monitoring, as data: Elasticsearch
 * and filebeat alert rules, the scrape job that reaches every filebeat
 * sidecar, the exporters that turn both into Prometheus metrics, and a
 * dashboard of the shipping side (the Elasticsearch dashboard itself is the
 * MonitoringStack's `elasticsearchDashboard`).
 *
 * filebeat has no Prometheus endpoint (elastic/beats#7432); its HTTP endpoint
 * serves JSON at /stats. One json-exporter in the logging namespace converts
 * it per target (`/probe?target=…`, like the blackbox exporter), so the
 * sidecars stay within their 100m/100Mi and no exporter rides in every pod.
 */
import type * as k8s from "@pulumi/kubernetes";
import { stringify } from "yaml";
import type { DatacenterModel } from "../../stacks/model";
import { ES_MASTER_NODES } from "../../stacks/model";
import { imagesFor } from "../../stacks/images";
import { managedBy } from "../../stacks/labels";
import type { RuleGroup } from "../common/alerts";
import { FILEBEAT_POD_LABEL, FILEBEAT_STATS_PORT_NAME } from "../common/filebeat";
import { httpGetProbe, livenessTiming, probeFloors, readinessTiming, startupTiming } from "../common/probes";
import { METRICS_PORT_NAME, scrapeAnnotations } from "../monitoring-stack/contract";
import { dashboard, type Dashboard } from "../monitoring-stack/dashboards";
import type { ScrapeConfig } from "../monitoring-stack/prometheus-config";
import {
  CA_FILE,
  caVolume,
  caVolumeMount,
  clientUrl,
  CREDENTIAL_KEYS,
  esNames,
  LOGGING_NAMESPACE,
  replicasOf,
  restrictedContainer,
  smallResources,
} from "./elasticsearch";

export const loggingThresholds = {
  /** Events waiting in a filebeat queue (of 2048) that, held for 10 minutes, mean shipping lags behind writing. */
  filebeatBacklogEvents: 1024,
  /** Free share of a data node's disk below which Elasticsearch is close to its 85% low watermark. */
  esDiskFreeRatio: 0.2,
  /** Heap use of a node that warns (old-generation GC can no longer keep up). */
  esHeapRatio: 0.9,
} as const;

export const JSON_EXPORTER_PORT = 7979;
/**
 * The exporters are static Go binaries that own no files: they run as
 * nobody (65534), not as Elasticsearch's 1000, a UID other images own
 * files as (kube-score container-security-context-user-group-id).
 */
const exporterContainer = { ...restrictedContainer, runAsUser: 65534, runAsGroup: 65534 };
/** Exporters start in a second, but liveness still waits out the platform's default warm-up. */
const exporterStartup = startupTiming(probeFloors.minWarmupSeconds);
export const ES_EXPORTER_PORT = 9114;

/** Elasticsearch health, from elasticsearch-exporter (scraped by the infra instance). */
export function elasticsearchRules(model: DatacenterModel): RuleGroup {
  const t = loggingThresholds;
  const expectedNodes = ES_MASTER_NODES + replicasOf(model, "data") + replicasOf(model, "client");
  const cluster = `cluster="${model.name}-logs"`;
  return {
    name: "elasticsearch",
    rules: [
      {
        alert: "ElasticsearchClusterRed",
        expr: `max by (cluster) (elasticsearch_cluster_health_status{${cluster}, color="red"}) == 1`,
        for: "5m",
        labels: { severity: "critical" },
        annotations: {
          summary: "Elasticsearch cluster {{ $labels.cluster }} is red",
          description:
            "At least one primary shard is unassigned: some business logs cannot be written or searched. Check data nodes and their volumes.",
        },
      },
      {
        alert: "ElasticsearchClusterYellow",
        expr: `max by (cluster) (elasticsearch_cluster_health_status{${cluster}, color="yellow"}) == 1`,
        for: "30m",
        labels: { severity: "warning" },
        annotations: {
          summary: "Elasticsearch cluster {{ $labels.cluster }} is yellow for 30 minutes",
          description: "Replica shards are unassigned: one more data node failure loses logs.",
        },
      },
      {
        alert: "ElasticsearchNodesMissing",
        expr: `max by (cluster) (elasticsearch_cluster_health_number_of_nodes{${cluster}}) < ${expectedNodes}`,
        for: "10m",
        labels: { severity: "warning" },
        annotations: {
          summary: "Elasticsearch has {{ $value }} of ${expectedNodes} nodes",
          description: "A master, data or client node has left the cluster for 10 minutes.",
        },
      },
      {
        alert: "ElasticsearchDiskLow",
        expr: `elasticsearch_filesystem_data_available_bytes{${cluster}} / elasticsearch_filesystem_data_size_bytes{${cluster}} < ${t.esDiskFreeRatio}`,
        for: "15m",
        labels: { severity: "warning" },
        annotations: {
          summary: "{{ $labels.name }}: {{ $value | humanizePercentage }} disk free",
          description:
            "Past the 85% low watermark no new shards go to this node; at 95% its indices turn read-only. Lower logging.retentionDays or add data nodes.",
        },
      },
      {
        alert: "ElasticsearchHeapHigh",
        expr: `elasticsearch_jvm_memory_used_bytes{${cluster}, area="heap"} / elasticsearch_jvm_memory_max_bytes{${cluster}, area="heap"} > ${t.esHeapRatio}`,
        for: "15m",
        labels: { severity: "warning" },
        annotations: {
          summary: "{{ $labels.name }}: heap {{ $value | humanizePercentage }} used",
          description: "Long GC pauses follow; the node may drop out of the cluster.",
        },
      },
      {
        alert: "ElasticsearchWriteRejections",
        expr: `sum by (name) (rate(elasticsearch_thread_pool_rejected_count{${cluster}, type="write"}[5m])) > 0`,
        for: "10m",
        labels: { severity: "warning" },
        annotations: {
          summary: "{{ $labels.name }} rejects writes",
          description:
            "The write thread pool (sized from node.processors, i.e. the CPU limit) is full: filebeat retries and falls behind. Raise logging.data.cpuLimitMillis or add data nodes.",
        },
      },
    ],
  };
}

/** filebeat shipping, from json-exporter's conversion of each sidecar's /stats (infra instance). */
export function filebeatRules(): RuleGroup {
  const t = loggingThresholds;
  return {
    name: "filebeat",
    rules: [
      {
        alert: "FilebeatLagging",
        expr: `min_over_time(filebeat_pipeline_events_active[10m]) > ${t.filebeatBacklogEvents}`,
        for: "5m",
        labels: { severity: "warning" },
        annotations: {
          summary: "{{ $labels.namespace }}/{{ $labels.pod }}: filebeat backlog of {{ $value }} events",
          description:
            "The sidecar's queue has not drained for 15 minutes: logs reach Elasticsearch late (what fluentd did in the seed). Check Elasticsearch write rejections and the client nodes.",
        },
      },
      {
        alert: "FilebeatOutputFailing",
        expr: `rate(filebeat_output_events_failed_total[5m]) > 0`,
        for: "10m",
        labels: { severity: "warning" },
        annotations: {
          summary: "{{ $labels.namespace }}/{{ $labels.pod }}: filebeat fails to ship",
          description: "Bulk requests to Elasticsearch fail (credentials, template, or a red cluster).",
        },
      },
      {
        alert: "FilebeatStalled",
        expr: `rate(filebeat_pipeline_events_published_total[15m]) > 0 and rate(filebeat_output_events_acked_total[15m]) == 0`,
        for: "15m",
        labels: { severity: "critical" },
        annotations: {
          summary:
            "{{ $labels.namespace }}/{{ $labels.pod }}: filebeat reads logs but nothing is acknowledged",
          description:
            "Events enter the pipeline but Elasticsearch acknowledges none: this pod's logs are not being stored. The EmptyDir keeps them until they are pruned.",
        },
      },
    ],
  };
}

export function loggingAlertRules(model: DatacenterModel): RuleGroup[] {
  return [elasticsearchRules(model), filebeatRules()];
}

/** json-exporter module mapping filebeat's /stats JSON to metrics. */
export function jsonExporterConfig(): Record<string, unknown> {
  const m = (name: string, path: string, help: string, valuetype: "gauge" | "counter") => ({
    name,
    path: `{ ${path} }`,
    help,
    valuetype,
  });
  return {
    modules: {
      filebeat: {
        metrics: [
          m(
            "filebeat_pipeline_events_active",
            ".libbeat.pipeline.events.active",
            "Events in the queue, not yet acknowledged.",
            "gauge",
          ),
          m(
            "filebeat_pipeline_events_published_total",
            ".libbeat.pipeline.events.published",
            "Events read by harvesters and published to the queue.",
            "counter",
          ),
          m(
            "filebeat_output_events_acked_total",
            ".libbeat.output.events.acked",
            "Events acknowledged by Elasticsearch.",
            "counter",
          ),
          m(
            "filebeat_output_events_failed_total",
            ".libbeat.output.events.failed",
            "Events whose bulk request failed.",
            "counter",
          ),
          m("filebeat_harvester_open_files", ".filebeat.harvester.open_files", "Log files open.", "gauge"),
        ],
      },
    },
  };
}

/**
 * The scrape job for the infra instance: every pod carrying the sidecar label,
 * its `filebeat-stats` port, probed through json-exporter. Keeps namespace and
 * pod as labels for the alerts.
 */
export function filebeatScrapeConfig(): ScrapeConfig {
  const label = FILEBEAT_POD_LABEL.replace(/[^a-zA-Z0-9_]/g, "_");
  return {
    job_name: "filebeat",
    metrics_path: "/probe",
    kubernetes_sd_configs: [{ role: "pod" }],
    relabel_configs: [
      { source_labels: [`__meta_kubernetes_pod_label_${label}`], regex: ".+", action: "keep" },
      {
        source_labels: ["__meta_kubernetes_pod_container_port_name"],
        regex: FILEBEAT_STATS_PORT_NAME,
        action: "keep",
      },
      {
        source_labels: ["__address__"],
        regex: "(.+)",
        target_label: "__param_target",
        replacement: "http://$1/stats",
      },
      { target_label: "__param_module", replacement: "filebeat" },
      { source_labels: ["__meta_kubernetes_namespace"], target_label: "namespace" },
      { source_labels: ["__meta_kubernetes_pod_name"], target_label: "pod" },
      { source_labels: [`__meta_kubernetes_pod_label_${label}`], target_label: "business" },
      {
        target_label: "__address__",
        replacement: `${esNames.filebeatExporter}.${LOGGING_NAMESPACE}.svc:${JSON_EXPORTER_PORT}`,
      },
    ],
  };
}

const exporterPod = (name: string, extraLabels: Record<string, string> = {}) => ({
  labels: { ...managedBy, "app.kubernetes.io/name": name, ...extraLabels },
});

/** elasticsearch-exporter: cluster health, nodes, indices; scraped through the annotation contract. */
export function esExporterDeployment(model: DatacenterModel): k8s.types.input.apps.v1.Deployment {
  const secret = (name: string, key: string) => ({
    name,
    valueFrom: { secretKeyRef: { name: esNames.credentials, key } },
  });
  return {
    metadata: { name: esNames.exporter, namespace: LOGGING_NAMESPACE, labels: { ...managedBy } },
    spec: {
      replicas: 1,
      selector: { matchLabels: { "app.kubernetes.io/name": esNames.exporter } },
      template: {
        metadata: {
          ...exporterPod(esNames.exporter),
          annotations: scrapeAnnotations("infra", { job: "elasticsearch" }),
        },
        spec: {
          // Exporters read Elasticsearch or filebeat over HTTP, never the Kubernetes API.
          automountServiceAccountToken: false,
          securityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
          containers: [
            {
              name: "exporter",
              image: imagesFor(model).elasticsearchExporter,
              args: [`--es.uri=${clientUrl()}`, `--es.ca=${CA_FILE}`, "--es.indices", "--es.timeout=10s"],
              env: [
                secret("ES_USERNAME", CREDENTIAL_KEYS.exporterUsername),
                secret("ES_PASSWORD", CREDENTIAL_KEYS.exporterPassword),
              ],
              ports: [{ name: METRICS_PORT_NAME, containerPort: ES_EXPORTER_PORT, protocol: "TCP" }],
              startupProbe: httpGetProbe("/healthz", ES_EXPORTER_PORT, exporterStartup),
              livenessProbe: httpGetProbe("/healthz", ES_EXPORTER_PORT, livenessTiming),
              readinessProbe: httpGetProbe("/healthz", ES_EXPORTER_PORT, readinessTiming),
              resources: smallResources,
              securityContext: exporterContainer,
              volumeMounts: [caVolumeMount],
            },
          ],
          volumes: [caVolume],
        },
      },
    },
  };
}

export function jsonExporterConfigMap(): k8s.types.input.core.v1.ConfigMap {
  return {
    metadata: { name: esNames.filebeatExporter, namespace: LOGGING_NAMESPACE, labels: { ...managedBy } },
    data: { "config.yml": stringify(jsonExporterConfig(), { lineWidth: 0 }) },
  };
}

export function jsonExporterDeployment(model: DatacenterModel): k8s.types.input.apps.v1.Deployment {
  return {
    metadata: { name: esNames.filebeatExporter, namespace: LOGGING_NAMESPACE, labels: { ...managedBy } },
    spec: {
      replicas: 1,
      selector: { matchLabels: { "app.kubernetes.io/name": esNames.filebeatExporter } },
      template: {
        metadata: exporterPod(esNames.filebeatExporter),
        spec: {
          // Exporters read Elasticsearch or filebeat over HTTP, never the Kubernetes API.
          automountServiceAccountToken: false,
          securityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
          containers: [
            {
              name: "json-exporter",
              image: imagesFor(model).jsonExporter,
              args: ["--config.file=/config/config.yml"],
              ports: [{ name: "http", containerPort: JSON_EXPORTER_PORT, protocol: "TCP" }],
              startupProbe: httpGetProbe("/metrics", JSON_EXPORTER_PORT, exporterStartup),
              livenessProbe: httpGetProbe("/metrics", JSON_EXPORTER_PORT, livenessTiming),
              readinessProbe: httpGetProbe("/metrics", JSON_EXPORTER_PORT, readinessTiming),
              volumeMounts: [{ name: "config", mountPath: "/config", readOnly: true }],
              resources: smallResources,
              securityContext: exporterContainer,
            },
          ],
          volumes: [{ name: "config", configMap: { name: esNames.filebeatExporter } }],
        },
      },
    },
  };
}

export function jsonExporterService(): k8s.types.input.core.v1.Service {
  return {
    metadata: { name: esNames.filebeatExporter, namespace: LOGGING_NAMESPACE, labels: { ...managedBy } },
    spec: {
      selector: { "app.kubernetes.io/name": esNames.filebeatExporter },
      ports: [{ name: "http", port: JSON_EXPORTER_PORT, targetPort: JSON_EXPORTER_PORT, protocol: "TCP" }],
    },
  };
}

/** Log shipping per business: backlog, throughput and failures of the filebeat sidecars. */
export function logShippingDashboard(): Dashboard {
  const q = (expr: string, legend?: string) => ({ expr, legend });
  return dashboard(
    "pc-log-shipping",
    "Log shipping (filebeat)",
    ["logging", "filebeat"],
    [
      [
        {
          title: "Queue backlog per pod",
          description: "Events read but not yet acknowledged by Elasticsearch; a floor that stays up is lag.",
          instance: "infra",
          queries: [q(`max by (business, pod) (filebeat_pipeline_events_active)`, "{{business}} {{pod}}")],
          threshold: loggingThresholds.filebeatBacklogEvents,
        },
        {
          title: "Events shipped per second",
          instance: "infra",
          unit: "ops",
          queries: [q(`sum by (business) (rate(filebeat_output_events_acked_total[5m]))`, "{{business}}")],
        },
      ],
      [
        {
          title: "Failed events per second",
          instance: "infra",
          unit: "ops",
          queries: [q(`sum by (business) (rate(filebeat_output_events_failed_total[5m]))`, "{{business}}")],
        },
        {
          title: "Open log files",
          instance: "infra",
          queries: [q(`sum by (business) (filebeat_harvester_open_files)`, "{{business}}")],
        },
      ],
    ],
  );
}
