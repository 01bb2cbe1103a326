/**
 * The MonitoringStack's own alert rules, as data (components/common/alerts.ts).
 * Control plane and Node-status drift come from MasterHA, conntrack use and
 * Calico health from CalicoBGP, LVS traffic and real-server latency from
 * FullnatLVS, nginx 5xx/latency from IngressTier, Elasticsearch and filebeat
 * lag from LoggingStack: each where the knowledge of the fix lives. Which instance evaluates a group is
 * decided by the metrics it reads: a rule only sees its own instance's TSDB.
 *
 * Metric contracts for business workloads (the seed's "soft metrics"):
 * Prometheus client_java — `jvm_memory_used_bytes{area="heap"}`,
 * `jvm_memory_max_bytes{area="heap"}`, `jvm_gc_collection_seconds_sum` — and
 * its logback appender counter `logback_appender_total{level}`.
 */
import type { AlertRule, RuleGroup } from "../common/alerts";
import type { PrometheusInstanceName } from "./contract";

/** Thresholds, in one place: the rules, their promtool tests and the dashboards' threshold lines read them. */
export const alertThresholds = {
  /** Free space of a filesystem below which it warns. */
  filesystemFreeRatio: 0.1,
  /** Available memory below which a host warns. */
  memoryAvailableRatio: 0.05,
  /** Clock offset that breaks etcd leases and TLS, seconds. */
  clockSkewSeconds: 0.05,
  /** JVM heap use (used / max) that warns: just before the full-GC spiral. */
  jvmHeapRatio: 0.9,
  /** Share of wall time a JVM spends in GC that warns. */
  jvmGcTimeRatio: 0.2,
  /** Error log events per second of one service (namespace + app) that warns. */
  loggerErrorsPerSecond: 1,
  /** A PersistentVolume with less free space than this warns. */
  volumeFreeRatio: 0.1,
} as const;

const pct = (ratio: number) => `${Math.round(ratio * 100)}%`;

/** Host health from node-exporter (infra instance). */
export function nodeAlertRules(): RuleGroup {
  const t = alertThresholds;
  return {
    name: "node-health",
    rules: [
      {
        alert: "NodeExporterDown",
        expr: `up{job="node-exporter"} == 0`,
        for: "5m",
        labels: { severity: "warning" },
        annotations: {
          summary: "node-exporter on {{ $labels.instance }} does not answer",
          description: "Host metrics (conntrack, disks, memory) of this node are blind until it is back.",
        },
      },
      {
        alert: "NodeFilesystemAlmostFull",
        expr: `(node_filesystem_avail_bytes{fstype!~"tmpfs|overlay|squashfs"} / node_filesystem_size_bytes{fstype!~"tmpfs|overlay|squashfs"} < ${t.filesystemFreeRatio}) and on (instance, device, mountpoint) node_filesystem_readonly == 0`,
        for: "15m",
        labels: { severity: "warning" },
        annotations: {
          summary:
            "{{ $labels.mountpoint }} on {{ $labels.instance }} has less than " +
            pct(t.filesystemFreeRatio) +
            " free",
          description:
            "{{ $value | humanizePercentage }} free. On the kubelet partition this is where the EmptyDir log volumes live (the seed's own partition for logs).",
        },
      },
      {
        alert: "NodeMemoryLow",
        expr: `node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes < ${t.memoryAvailableRatio}`,
        for: "10m",
        labels: { severity: "warning" },
        annotations: {
          summary: `{{ $labels.instance }} has less than ${pct(t.memoryAvailableRatio)} memory available`,
          description: "{{ $value | humanizePercentage }} available; the OOM killer is next.",
        },
      },
      {
        alert: "NodeSwapEnabled",
        expr: `node_memory_SwapTotal_bytes > 0`,
        for: "30m",
        labels: { severity: "warning" },
        annotations: {
          summary: "Swap is on at {{ $labels.instance }}",
          description:
            "The minion tuning turns swap off (the seed), and kubelet's memory accounting assumes it: a host with swap drifted from its profile.",
        },
      },
      {
        alert: "NodeClockSkew",
        expr: `abs(node_timex_offset_seconds) > ${t.clockSkewSeconds}`,
        for: "10m",
        labels: { severity: "warning" },
        annotations: {
          summary: "Clock of {{ $labels.instance }} is off by {{ $value }}s",
          description:
            "etcd leases, leader election and certificate checks need synchronized clocks; check NTP.",
        },
      },
    ],
  };
}

/** Workload health from kube-state-metrics and kubelet volume stats (infra instance). */
export function workloadAlertRules(): RuleGroup {
  return {
    name: "kubernetes-workloads",
    rules: [
      {
        alert: "KubePodCrashLooping",
        expr: `max_over_time(kube_pod_container_status_waiting_reason{reason="CrashLoopBackOff", job="kube-state-metrics"}[5m]) >= 1`,
        for: "15m",
        labels: { severity: "warning" },
        annotations: {
          summary: "{{ $labels.namespace }}/{{ $labels.pod }} ({{ $labels.container }}) is crash looping",
          description:
            "A restart loop: if it is a liveness probe, check its timeout first (the seed: small probe timeouts restart busy pods into an avalanche).",
        },
      },
      {
        alert: "KubePodNotReady",
        expr: `sum by (namespace, pod) (kube_pod_status_phase{phase=~"Pending|Unknown", job="kube-state-metrics"}) > 0`,
        for: "15m",
        labels: { severity: "warning" },
        annotations: {
          summary: "{{ $labels.namespace }}/{{ $labels.pod }} has not been running for 15 minutes",
          description:
            "Pending or Unknown: unschedulable (node affinity to a machine function, no capacity) or its node is gone.",
        },
      },
      ...(["deployment", "statefulset"] as const).map((kind): AlertRule => ({
        alert: kind === "deployment" ? "KubeDeploymentReplicasMismatch" : "KubeStatefulSetReplicasMismatch",
        expr:
          kind === "deployment"
            ? `kube_deployment_spec_replicas{job="kube-state-metrics"} > kube_deployment_status_replicas_available{job="kube-state-metrics"}`
            : `kube_statefulset_replicas{job="kube-state-metrics"} > kube_statefulset_status_replicas_ready{job="kube-state-metrics"}`,
        for: "15m",
        labels: { severity: "warning" },
        annotations: {
          summary: `${kind} {{ $labels.namespace }}/{{ $labels.${kind} }} has fewer available replicas than wanted`,
          description: "{{ $value }} available for 15 minutes below the spec.",
        },
      })),
      {
        alert: "KubeDaemonSetNotScheduled",
        expr: `kube_daemonset_status_desired_number_scheduled{job="kube-state-metrics"} - kube_daemonset_status_number_ready{job="kube-state-metrics"} > 0`,
        for: "15m",
        labels: { severity: "warning" },
        annotations: {
          summary:
            "{{ $value }} pods of DaemonSet {{ $labels.namespace }}/{{ $labels.daemonset }} are not ready",
          description:
            "For calico-node this means nodes without pod networking (their pods do not join their Services); for node-exporter, hosts without metrics.",
        },
      },
      {
        alert: "KubeHpaMaxedOut",
        // Ingress tiers have their own, more specific IngressAtMaxReplicas (components/ingress-tier/alerts.ts).
        expr: `kube_horizontalpodautoscaler_status_current_replicas{job="kube-state-metrics", namespace!~"ingress-.+"} >= kube_horizontalpodautoscaler_spec_max_replicas{job="kube-state-metrics", namespace!~"ingress-.+"}`,
        for: "30m",
        labels: { severity: "warning" },
        annotations: {
          summary:
            "HPA {{ $labels.namespace }}/{{ $labels.horizontalpodautoscaler }} has been at its maximum for 30 minutes",
          description:
            "It cannot scale out further: raise maxReplicas or revisit the CPU request (the seed tunes both from monitoring).",
        },
      },
      {
        alert: "KubePersistentVolumeFillingUp",
        expr: `kubelet_volume_stats_available_bytes{job="kubelet"} / kubelet_volume_stats_capacity_bytes{job="kubelet"} < ${alertThresholds.volumeFreeRatio}`,
        for: "15m",
        labels: { severity: "warning" },
        annotations: {
          summary:
            "Volume {{ $labels.namespace }}/{{ $labels.persistentvolumeclaim }} has less than " +
            pct(alertThresholds.volumeFreeRatio) +
            " free",
          description:
            "{{ $value | humanizePercentage }} free. For Prometheus, size-based retention should hold it; if not, grow storageGiB.",
        },
      },
    ],
  };
}

/** Prometheus and Alertmanager watching themselves and each other (infra instance). */
export function prometheusAlertRules(): RuleGroup {
  return {
    name: "prometheus-self",
    rules: [
      {
        alert: "PrometheusDown",
        expr: `up{job="prometheus"} == 0`,
        for: "5m",
        labels: { severity: "warning" },
        annotations: {
          summary: "Prometheus {{ $labels.prometheus_instance }} replica {{ $labels.pod }} is down",
          description: "Its peer replica still scrapes and alerts; a second failure blinds that instance.",
        },
      },
      {
        alert: "PrometheusConfigReloadFailed",
        expr: `prometheus_config_last_reload_successful{job="prometheus"} == 0`,
        for: "10m",
        labels: { severity: "warning" },
        annotations: {
          summary: "{{ $labels.pod }} could not load its configuration",
          description:
            "It keeps running the previous configuration; new scrape jobs and rules are not active.",
        },
      },
      {
        alert: "PrometheusRuleEvaluationFailures",
        expr: `increase(prometheus_rule_evaluation_failures_total{job="prometheus"}[5m]) > 0`,
        for: "15m",
        labels: { severity: "critical" },
        annotations: {
          summary: "{{ $labels.pod }} fails to evaluate rules",
          description:
            "Alerts in the failing groups cannot fire (often many-to-many matching in a contributed rule).",
        },
      },
      {
        alert: "PrometheusNotConnectedToAlertmanagers",
        expr: `max_over_time(prometheus_notifications_alertmanagers_discovered{job="prometheus"}[5m]) < 1`,
        for: "10m",
        labels: { severity: "critical" },
        annotations: {
          summary: "{{ $labels.pod }} has no Alertmanager to send to",
          description: "Alerts are evaluated but nobody is notified.",
        },
      },
      {
        alert: "PrometheusNotificationsFailing",
        expr: `rate(prometheus_notifications_errors_total{job="prometheus"}[5m]) / rate(prometheus_notifications_sent_total{job="prometheus"}[5m]) > 0.01`,
        for: "15m",
        labels: { severity: "warning" },
        annotations: {
          summary: "{{ $labels.pod }} fails to deliver alerts to {{ $labels.alertmanager }}",
          description: "{{ $value | humanizePercentage }} of notifications fail.",
        },
      },
      {
        alert: "PrometheusTSDBCompactionsFailing",
        expr: `increase(prometheus_tsdb_compactions_failed_total{job="prometheus"}[3h]) > 0`,
        labels: { severity: "warning" },
        annotations: {
          summary: "{{ $labels.pod }} fails to compact its TSDB",
          description: "The WAL and head grow until the volume is full; check the data disk.",
        },
      },
      {
        alert: "AlertmanagerNotificationsFailing",
        expr: `rate(alertmanager_notifications_failed_total{job="alertmanager"}[5m]) > 0`,
        for: "15m",
        labels: { severity: "critical" },
        annotations: {
          summary: "Alertmanager {{ $labels.pod }} cannot deliver to {{ $labels.integration }}",
          description:
            "On-call is not being notified through this integration (webhook gateway down, SMTP refused).",
        },
      },
      {
        alert: "AlertmanagerClusterDegraded",
        expr: `min by (namespace) (alertmanager_cluster_members{job="alertmanager"}) < count by (namespace) (up{job="alertmanager"} == 1)`,
        for: "15m",
        labels: { severity: "warning" },
        annotations: {
          summary: "Alertmanager replicas do not see each other",
          description: "Without gossip each replica sends its own notification: on-call gets duplicates.",
        },
      },
    ],
  };
}

/**
 * The business instance watches the infra instance: if every infra replica is
 * down, the platform's own alerts are silent, and only another map can say so.
 */
export function peerWatchRules(watched: PrometheusInstanceName): RuleGroup {
  return {
    name: `prometheus-watch-${watched}`,
    rules: [
      {
        alert: "PrometheusInstanceDown",
        expr: `absent(up{job="prometheus", prometheus_instance="${watched}"} == 1)`,
        for: "5m",
        labels: { severity: "critical", watched },
        annotations: {
          summary: `No replica of Prometheus ${watched} is up`,
          description: `Alerts evaluated by the ${watched} instance cannot fire while it is down.`,
        },
      },
    ],
  };
}

/** JVM heap and GC (business instance): the seed's soft metrics. */
export function jvmAlertRules(): RuleGroup {
  const t = alertThresholds;
  return {
    name: "jvm",
    rules: [
      {
        alert: "JvmHeapNearlyFull",
        expr: `sum by (namespace, app, pod) (jvm_memory_used_bytes{area="heap"}) / sum by (namespace, app, pod) (jvm_memory_max_bytes{area="heap"}) > ${t.jvmHeapRatio}`,
        for: "10m",
        labels: { severity: "warning" },
        annotations: {
          summary: `JVM heap of {{ $labels.namespace }}/{{ $labels.pod }} is over ${pct(t.jvmHeapRatio)} used`,
          description:
            "{{ $value | humanizePercentage }} of -Xmx for 10 minutes: full GCs follow, then latency, then OutOfMemoryError.",
        },
      },
      {
        alert: "JvmGcTimeHigh",
        expr: `sum by (namespace, app, pod) (rate(jvm_gc_collection_seconds_sum[5m])) > ${t.jvmGcTimeRatio}`,
        for: "10m",
        labels: { severity: "warning" },
        annotations: {
          summary: `{{ $labels.namespace }}/{{ $labels.pod }} spends over ${pct(t.jvmGcTimeRatio)} of its time in GC`,
          description:
            "{{ $value | humanizePercentage }} of wall time in GC. Check heap size and -XX:ActiveProcessorCount (GC threads follow the CPU limit).",
        },
      },
    ],
  };
}

/** Logger error counters (business instance): the seed's "logger error counters". */
export function loggerAlertRules(): RuleGroup {
  const t = alertThresholds;
  return {
    name: "logger",
    rules: [
      {
        alert: "LoggerErrorRateHigh",
        expr: `sum by (namespace, app) (rate(logback_appender_total{level="error"}[5m])) > ${t.loggerErrorsPerSecond}`,
        for: "10m",
        labels: { severity: "warning" },
        annotations: {
          summary: "{{ $labels.namespace }}/{{ $labels.app }} logs {{ $value | humanize }} errors per second",
          description: `Over ${t.loggerErrorsPerSecond} ERROR log events per second for 10 minutes; the log lines are in Elasticsearch (per-business index).`,
        },
      },
    ],
  };
}

/** The MonitoringStack's own groups, by the instance that evaluates them. */
export function monitoringAlertRules(): Record<PrometheusInstanceName, RuleGroup[]> {
  return {
    infra: [nodeAlertRules(), workloadAlertRules(), prometheusAlertRules()],
    business: [jvmAlertRules(), loggerAlertRules(), peerWatchRules("infra")],
  };
}
