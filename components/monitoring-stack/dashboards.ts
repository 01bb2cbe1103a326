/**
 * Grafana dashboards as typed data. A small builder (rows of panels laid out
 * on Grafana's 24-column grid) and the platform's own dashboards: control
 * plane, nodes/conntrack, one per business for nginx, Jetty/JVM and
 * Elasticsearch. Other components contribute theirs (LVS, log shipping).
 *
 * Panels name their datasource: a dashboard can mix instances (nginx series
 * live in `business`, the same tier's CPU throttling in `infra`).
 */
import { datasourceUid, type PrometheusInstanceName } from "./contract";
import { alertThresholds } from "./rules";
import { CONNTRACK_WARN_RATIO } from "../calico-bgp/monitoring";

export interface DatasourceRef {
  readonly type: "prometheus";
  readonly uid: string;
}

export interface PanelTarget {
  readonly refId: string;
  readonly expr: string;
  readonly legendFormat?: string;
  readonly datasource: DatasourceRef;
}

export type Unit = "short" | "percentunit" | "s" | "bytes" | "reqps" | "ops" | "Bps" | "none";

export interface Panel {
  readonly id: number;
  readonly type: "timeseries" | "stat";
  readonly title: string;
  readonly description?: string;
  readonly gridPos: { readonly x: number; readonly y: number; readonly w: number; readonly h: number };
  readonly datasource: DatasourceRef;
  readonly targets: readonly PanelTarget[];
  readonly fieldConfig: {
    readonly defaults: {
      readonly unit: Unit;
      readonly min?: number;
      readonly max?: number;
      readonly custom?: { readonly stacking?: { readonly mode: "normal" | "none" } };
      readonly thresholds?: {
        readonly mode: "absolute";
        readonly steps: readonly { readonly color: string; readonly value: number | null }[];
      };
    };
    readonly overrides: readonly never[];
  };
}

export interface TemplateVariable {
  readonly name: string;
  readonly label: string;
  readonly type: "query";
  readonly datasource: DatasourceRef;
  readonly query: string;
  readonly refresh: 2;
  readonly includeAll: boolean;
  readonly multi: boolean;
}

export interface Dashboard {
  readonly uid: string;
  readonly title: string;
  readonly tags: readonly string[];
  readonly editable: false;
  readonly schemaVersion: 39;
  readonly timezone: "browser";
  readonly refresh: string;
  readonly time: { readonly from: string; readonly to: string };
  readonly templating: { readonly list: readonly TemplateVariable[] };
  readonly panels: readonly Panel[];
}

/** What a panel shows, before layout. */
export interface PanelSpec {
  readonly title: string;
  readonly description?: string;
  readonly instance: PrometheusInstanceName;
  readonly queries: readonly { readonly expr: string; readonly legend?: string }[];
  readonly unit?: Unit;
  readonly type?: "timeseries" | "stat";
  readonly stacked?: boolean;
  /** Draw a red threshold at this value (e.g. the alert's). */
  readonly threshold?: number;
  readonly max?: number;
}

export const ds = (instance: PrometheusInstanceName): DatasourceRef => ({
  type: "prometheus",
  uid: datasourceUid(instance),
});

const ROW_HEIGHT = 8;
const GRID_WIDTH = 24;

/**
 * Lays rows of panels out on the grid: each row splits the 24 columns evenly
 * (the last panel takes the remainder), panel ids count from 1.
 */
export function layout(rows: readonly (readonly PanelSpec[])[]): Panel[] {
  const panels: Panel[] = [];
  rows.forEach((row, r) => {
    const w = Math.floor(GRID_WIDTH / row.length);
    row.forEach((spec, i) => {
      const threshold = spec.threshold;
      panels.push({
        id: panels.length + 1,
        type: spec.type ?? "timeseries",
        title: spec.title,
        ...(spec.description ? { description: spec.description } : {}),
        gridPos: {
          x: i * w,
          y: r * ROW_HEIGHT,
          w: i === row.length - 1 ? GRID_WIDTH - i * w : w,
          h: ROW_HEIGHT,
        },
        datasource: ds(spec.instance),
        targets: spec.queries.map((q, j) => ({
          refId: String.fromCharCode(65 + j),
          expr: q.expr,
          ...(q.legend ? { legendFormat: q.legend } : {}),
          datasource: ds(spec.instance),
        })),
        fieldConfig: {
          defaults: {
            unit: spec.unit ?? "short",
            ...(spec.unit === "percentunit" ? { min: 0 } : {}),
            ...(spec.max !== undefined ? { max: spec.max } : {}),
            ...(spec.stacked ? { custom: { stacking: { mode: "normal" } } } : {}),
            ...(threshold !== undefined
              ? {
                  thresholds: {
                    mode: "absolute",
                    steps: [
                      { color: "green", value: null },
                      { color: "red", value: threshold },
                    ],
                  },
                }
              : {}),
          },
          overrides: [],
        },
      });
    });
  });
  return panels;
}

export function dashboard(
  uid: string,
  title: string,
  tags: readonly string[],
  rows: readonly (readonly PanelSpec[])[],
  variables: readonly TemplateVariable[] = [],
): Dashboard {
  if (!/^[a-zA-Z0-9_-]{1,40}$/.test(uid))
    throw new Error(
      `dashboard uid ${JSON.stringify(uid)} must be 1-40 characters of [a-zA-Z0-9_-] (Grafana's limit)`,
    );
  return {
    uid,
    title,
    tags: ["private-cloud", ...tags],
    editable: false,
    schemaVersion: 39,
    timezone: "browser",
    refresh: "30s",
    time: { from: "now-6h", to: "now" },
    templating: { list: variables },
    panels: layout(rows),
  };
}

export function queryVariable(
  name: string,
  label: string,
  instance: PrometheusInstanceName,
  query: string,
  multi = true,
): TemplateVariable {
  return {
    name,
    label,
    type: "query",
    datasource: ds(instance),
    query,
    refresh: 2,
    includeAll: multi,
    multi,
  };
}

const q = (expr: string, legend?: string) => ({ expr, legend });
const histogramQuantiles = (bucket: string, by: string, legendPrefix = "") =>
  [0.5, 0.9, 0.99].map((p) =>
    q(
      `histogram_quantile(${p}, sum by (le${by ? `, ${by}` : ""}) (rate(${bucket}[5m])))`,
      `${legendPrefix}p${p * 100}${by ? ` {{${by}}}` : ""}`,
    ),
  );

export function controlPlaneDashboard(): Dashboard {
  return dashboard(
    "pc-control-plane",
    "Control plane",
    ["control-plane"],
    [
      [
        {
          title: "Components up",
          instance: "infra",
          type: "stat",
          queries: [
            q(
              `sum by (job) (up{job=~"kube-apiserver|kube-controller-manager|kube-scheduler|etcd"})`,
              "{{job}}",
            ),
          ],
        },
        {
          title: "Nodes Ready (API) vs kubelets answering",
          description:
            "The seed: a controller-manager restart can leave Node status out of sync. The two lines should be equal.",
          instance: "infra",
          queries: [
            q(`sum(kube_node_status_condition{condition="Ready",status="true"})`, "Ready in the API"),
            q(`sum(up{job="kubelet"})`, "kubelets answering"),
          ],
        },
      ],
      [
        {
          title: "API requests by code",
          instance: "infra",
          unit: "reqps",
          stacked: true,
          queries: [q(`sum by (code) (rate(apiserver_request_total[5m]))`, "{{code}}")],
        },
        {
          title: "API latency p99 by verb (excluding WATCH)",
          instance: "infra",
          unit: "s",
          queries: [
            q(
              `histogram_quantile(0.99, sum by (le, verb) (rate(apiserver_request_duration_seconds_bucket{verb!~"WATCH|CONNECT"}[5m])))`,
              "{{verb}}",
            ),
          ],
        },
      ],
      [
        {
          title: "Leader (lease holder) per component",
          instance: "infra",
          queries: [q(`max by (name, instance) (leader_election_master_status)`, "{{name}} {{instance}}")],
        },
        {
          title: "etcd leader changes (1h)",
          instance: "infra",
          queries: [q(`increase(etcd_server_leader_changes_seen_total[1h])`, "{{instance}}")],
        },
        {
          title: "etcd database size",
          instance: "infra",
          unit: "bytes",
          queries: [q(`etcd_mvcc_db_total_size_in_bytes`, "{{instance}}")],
        },
      ],
      [
        {
          title: "Scheduler pending pods",
          instance: "infra",
          queries: [q(`sum by (queue) (scheduler_pending_pods)`, "{{queue}}")],
        },
        {
          title: "Controller work queue depth",
          instance: "infra",
          queries: [
            q(`topk(10, sum by (name) (workqueue_depth{job="kube-controller-manager"}))`, "{{name}}"),
          ],
        },
      ],
    ],
  );
}

export function nodesDashboard(): Dashboard {
  const rack = `rack=~"$rack"`;
  return dashboard(
    "pc-nodes",
    "Nodes and conntrack",
    ["nodes"],
    [
      [
        {
          title: "Conntrack table use",
          description:
            "entries / nf_conntrack_max per host. The seed monitors conntrack use; headless Services and the LVS NOTRACK bypass keep it down.",
          instance: "infra",
          unit: "percentunit",
          max: 1,
          threshold: CONNTRACK_WARN_RATIO,
          queries: [
            q(
              `node_nf_conntrack_entries{${rack}} / node_nf_conntrack_entries_limit{${rack}}`,
              "{{instance}}",
            ),
          ],
        },
      ],
      [
        {
          title: "CPU busy",
          instance: "infra",
          unit: "percentunit",
          max: 1,
          queries: [
            q(
              `1 - avg by (instance) (rate(node_cpu_seconds_total{mode="idle", ${rack}}[5m]))`,
              "{{instance}}",
            ),
          ],
        },
        {
          title: "Memory available",
          instance: "infra",
          unit: "percentunit",
          max: 1,
          queries: [
            q(
              `node_memory_MemAvailable_bytes{${rack}} / node_memory_MemTotal_bytes{${rack}}`,
              "{{instance}}",
            ),
          ],
        },
      ],
      [
        {
          title: "Network receive",
          instance: "infra",
          unit: "Bps",
          queries: [
            q(
              `sum by (instance) (rate(node_network_receive_bytes_total{device!~"lo|cali.*|tunl.*", ${rack}}[5m]))`,
              "{{instance}}",
            ),
          ],
        },
        {
          title: "Listen queue overflows (TCP backlog)",
          description:
            "The seed tunes the TCP backlog: overflows mean somaxconn / the accept queue are too short.",
          instance: "infra",
          unit: "ops",
          queries: [q(`rate(node_netstat_TcpExt_ListenOverflows{${rack}}[5m])`, "{{instance}}")],
        },
        {
          title: "Softnet drops (IRQ / RPS)",
          description: "Packets dropped before the stack: the seed tunes interrupts and RPS for this.",
          instance: "infra",
          unit: "ops",
          queries: [q(`sum by (instance) (rate(node_softnet_dropped_total{${rack}}[5m]))`, "{{instance}}")],
        },
      ],
    ],
    [queryVariable("rack", "Rack", "infra", `label_values(node_uname_info, rack)`)],
  );
}

/**
 * One business's ingress tier: the seed's hard metrics (qps, HTTP code
 * distribution, latency) plus what the nginx incident taught: CPU use
 * against the limit and CFS throttling of the nginx container.
 */
export function nginxDashboard(business: string): Dashboard {
  const ns = `ingress-${business}`;
  const sel = `controller_namespace="${ns}"`;
  return dashboard(
    `pc-nginx-${business}`.slice(0, 40),
    `nginx: ${business}`,
    ["nginx", "business", business],
    [
      [
        {
          title: "Requests per second",
          instance: "business",
          unit: "reqps",
          queries: [q(`sum(rate(nginx_ingress_controller_requests{${sel}}[1m]))`, "qps")],
        },
        {
          title: "HTTP status codes",
          instance: "business",
          unit: "reqps",
          stacked: true,
          queries: [q(`sum by (status) (rate(nginx_ingress_controller_requests{${sel}}[1m]))`, "{{status}}")],
        },
        {
          title: "5xx ratio",
          instance: "business",
          unit: "percentunit",
          queries: [
            q(
              `sum(rate(nginx_ingress_controller_requests{${sel}, status=~"5.."}[5m])) / sum(rate(nginx_ingress_controller_requests{${sel}}[5m]))`,
              "5xx",
            ),
          ],
        },
      ],
      [
        {
          title: "Request latency (client → nginx → upstream)",
          instance: "business",
          unit: "s",
          queries: histogramQuantiles(`nginx_ingress_controller_request_duration_seconds_bucket{${sel}}`, ""),
        },
        {
          title: "Upstream (Jetty) response time",
          description:
            "When this is low and request latency high, nginx itself is the problem (the seed's worker incident).",
          instance: "business",
          unit: "s",
          queries: histogramQuantiles(
            `nginx_ingress_controller_response_duration_seconds_bucket{${sel}}`,
            "",
          ),
        },
      ],
      [
        {
          title: "nginx CPU use vs limit",
          instance: "infra",
          unit: "percentunit",
          queries: [
            q(
              `sum by (pod) (rate(container_cpu_usage_seconds_total{namespace="${ns}", container!=""}[5m])) / sum by (pod) (kube_pod_container_resource_limits{namespace="${ns}", resource="cpu"})`,
              "{{pod}}",
            ),
          ],
        },
        {
          title: "CFS throttled periods",
          description:
            "Throttling is how too many workers for the CPU limit show up (24 workers on a 6-core limit).",
          instance: "infra",
          unit: "percentunit",
          queries: [
            q(
              `sum by (pod) (rate(container_cpu_cfs_throttled_periods_total{namespace="${ns}", container!=""}[5m])) / sum by (pod) (rate(container_cpu_cfs_periods_total{namespace="${ns}", container!=""}[5m]))`,
              "{{pod}}",
            ),
          ],
        },
        {
          title: "Replicas (HPA)",
          instance: "infra",
          queries: [
            q(`sum(kube_horizontalpodautoscaler_status_current_replicas{namespace="${ns}"})`, "current"),
            q(`sum(kube_horizontalpodautoscaler_spec_max_replicas{namespace="${ns}"})`, "max"),
          ],
        },
      ],
    ],
  );
}

export function jvmDashboard(): Dashboard {
  const sel = `namespace=~"$namespace", app=~"$app"`;
  return dashboard(
    "pc-jetty-jvm",
    "Jetty and JVM",
    ["jvm", "jetty", "business"],
    [
      [
        {
          title: "Heap used / max",
          instance: "business",
          unit: "percentunit",
          max: 1,
          threshold: alertThresholds.jvmHeapRatio,
          queries: [
            q(
              `sum by (pod) (jvm_memory_used_bytes{area="heap", ${sel}}) / sum by (pod) (jvm_memory_max_bytes{area="heap", ${sel}})`,
              "{{pod}}",
            ),
          ],
        },
        {
          title: "Time in GC",
          instance: "business",
          unit: "percentunit",
          threshold: alertThresholds.jvmGcTimeRatio,
          queries: [
            q(`sum by (pod, gc) (rate(jvm_gc_collection_seconds_sum{${sel}}[5m]))`, "{{pod}} {{gc}}"),
          ],
        },
        {
          title: "JVM threads",
          instance: "business",
          queries: [q(`sum by (pod) (jvm_threads_current{${sel}})`, "{{pod}}")],
        },
      ],
      [
        {
          title: "Jetty requests per second",
          instance: "business",
          unit: "reqps",
          queries: [q(`sum by (pod) (rate(jetty_requests_total{${sel}}[1m]))`, "{{pod}}")],
        },
        {
          title: "Jetty responses by code class",
          instance: "business",
          unit: "reqps",
          stacked: true,
          queries: [q(`sum by (code) (rate(jetty_responses_total{${sel}}[1m]))`, "{{code}}")],
        },
        {
          title: "Jetty thread pool busy",
          instance: "business",
          unit: "percentunit",
          max: 1,
          queries: [
            q(
              `1 - sum by (pod) (jetty_queued_thread_pool_threads_idle{${sel}}) / sum by (pod) (jetty_queued_thread_pool_threads{${sel}})`,
              "{{pod}}",
            ),
          ],
        },
      ],
      [
        {
          title: "Logger errors per second",
          instance: "business",
          unit: "ops",
          threshold: alertThresholds.loggerErrorsPerSecond,
          queries: [q(`sum by (app) (rate(logback_appender_total{level="error", ${sel}}[5m]))`, "{{app}}")],
        },
        {
          title: "Logger warnings per second",
          instance: "business",
          unit: "ops",
          queries: [q(`sum by (app) (rate(logback_appender_total{level="warn", ${sel}}[5m]))`, "{{app}}")],
        },
      ],
    ],
    [
      queryVariable("namespace", "Namespace", "business", `label_values(jvm_memory_used_bytes, namespace)`),
      queryVariable(
        "app",
        "App",
        "business",
        `label_values(jvm_memory_used_bytes{namespace=~"$namespace"}, app)`,
      ),
    ],
  );
}

/**
 * Elasticsearch through elasticsearch_exporter (infra instance). Thread pool
 * rejections are the panel the seed cares about: pools sized from more cores
 * than the CPU limit reject under load.
 */
export function elasticsearchDashboard(): Dashboard {
  return dashboard(
    "pc-elasticsearch",
    "Elasticsearch",
    ["elasticsearch", "logging"],
    [
      [
        {
          title: "Cluster health",
          instance: "infra",
          type: "stat",
          queries: [q(`max by (color) (elasticsearch_cluster_health_status) == 1`, "{{color}}")],
        },
        {
          title: "Nodes / data nodes",
          instance: "infra",
          type: "stat",
          queries: [
            q(`max(elasticsearch_cluster_health_number_of_nodes)`, "nodes"),
            q(`max(elasticsearch_cluster_health_number_of_data_nodes)`, "data"),
          ],
        },
        {
          title: "Unassigned shards",
          instance: "infra",
          type: "stat",
          queries: [q(`max(elasticsearch_cluster_health_unassigned_shards)`, "unassigned")],
        },
      ],
      [
        {
          title: "Indexing rate",
          instance: "infra",
          unit: "ops",
          queries: [q(`sum by (name) (rate(elasticsearch_indices_indexing_index_total[5m]))`, "{{name}}")],
        },
        {
          title: "Thread pool rejections",
          instance: "infra",
          unit: "ops",
          queries: [
            q(
              `sum by (name, type) (rate(elasticsearch_thread_pool_rejected_count[5m])) > 0`,
              "{{name}} {{type}}",
            ),
          ],
        },
        {
          title: "JVM heap used",
          instance: "infra",
          unit: "percentunit",
          max: 1,
          queries: [
            q(
              `elasticsearch_jvm_memory_used_bytes{area="heap"} / elasticsearch_jvm_memory_max_bytes{area="heap"}`,
              "{{name}}",
            ),
          ],
        },
      ],
    ],
  );
}

/**
 * A dashboard and the Grafana folder it is provisioned into. Contributed
 * dashboards may be plain Grafana JSON (FullnatLVS writes its own); they need
 * a string `uid` and `title`.
 */
export interface FolderedDashboard {
  readonly folder: string;
  readonly dashboard: Dashboard | Readonly<Record<string, unknown>>;
}

/**
 * The platform's own dashboards for one datacenter: one nginx dashboard per
 * business. LVS and log shipping come from their components.
 */
export function platformDashboards(businesses: readonly string[]): FolderedDashboard[] {
  return [
    { folder: "platform", dashboard: controlPlaneDashboard() },
    { folder: "platform", dashboard: nodesDashboard() },
    { folder: "platform", dashboard: elasticsearchDashboard() },
    { folder: "business", dashboard: jvmDashboard() },
    ...businesses.map((b) => ({ folder: "business", dashboard: nginxDashboard(b) })),
  ];
}
