/**
 * Calico's health as monitoring data (seed part 3: network fault handling is
 * pods probing their own network plus Calico-wide health alerting; this is
 * the second half). Exported as data for the MonitoringStack to collect.
 */
import type { MonitoringContribution } from "../monitoring-stack/contribution";
import type { RuleGroup } from "../common/alerts";
import { CALICO_NAMESPACE } from "./names";
import { calicoPorts } from "./dataplane";

/** `job` labels of Calico's series. */
export const calicoJobs = {
  felix: "calico-felix",
  bird: "calico-bird",
  kubeControllers: "calico-kube-controllers",
} as const;

/** Conntrack use above which the node alerts (the issue: 75%). */
export const CONNTRACK_WARN_RATIO = 0.75;
export const CONNTRACK_CRITICAL_RATIO = 0.9;

/** BGP session changes within 15 minutes that count as flapping. */
export const BGP_FLAP_CHANGES = 4;

const bgp = `bird_protocol_up{job="${calicoJobs.bird}",proto="BGP"}`;

export function calicoRuleGroups(): RuleGroup[] {
  return [
    {
      name: "calico-node",
      rules: [
        {
          alert: "CalicoNodeNotReady",
          // One series per node: readiness is felix AND BIRD ready.
          expr: `(kube_pod_container_status_ready{namespace="${CALICO_NAMESPACE}",container="calico-node"} == 0) * on (namespace, pod) group_left (node) kube_pod_info{namespace="${CALICO_NAMESPACE}"}`,
          for: "5m",
          labels: { severity: "critical" },
          annotations: {
            summary: "calico-node on {{ $labels.node }} is not ready",
            description:
              "Felix or BIRD on {{ $labels.node }} has not been ready for 5 minutes: its pods' routes may be missing and new pods get no network. Pods on the node fail their rack-gateway readiness check and leave their Services.",
          },
        },
        {
          alert: "CalicoNodeUnavailable",
          expr: `kube_daemonset_status_number_unavailable{namespace="${CALICO_NAMESPACE}",daemonset="calico-node"} > 0`,
          for: "15m",
          labels: { severity: "warning" },
          annotations: {
            summary: "{{ $value }} calico-node pod(s) unavailable",
            description:
              "The calico-node DaemonSet has had unavailable pods for 15 minutes (stuck rollout or crash loop).",
          },
        },
        {
          alert: "CalicoKubeControllersDown",
          expr: `kube_deployment_status_replicas_available{namespace="${CALICO_NAMESPACE}",deployment="calico-kube-controllers"} < 1`,
          for: "10m",
          labels: { severity: "warning" },
          annotations: {
            summary: "calico-kube-controllers is down",
            description:
              "No calico-kube-controllers replica for 10 minutes: IPAM leaks are not reclaimed and new nodes get no host endpoint (no conntrack bypass).",
          },
        },
      ],
    },
    {
      name: "calico-bgp",
      rules: [
        {
          alert: "CalicoBgpSessionDown",
          expr: `${bgp} == 0`,
          for: "2m",
          labels: { severity: "critical" },
          annotations: {
            summary: "BGP session {{ $labels.name }} on {{ $labels.node }} is down",
            description:
              "Node {{ $labels.node }} has lost BGP session {{ $labels.name }} for 2 minutes: without the mesh, its pod routes reach the fabric only through its peers.",
          },
        },
        {
          alert: "CalicoBgpPeerDownOnManyNodes",
          // Per peer: many nodes losing the same router is a router (or
          // rack) problem, not a node problem.
          expr: `count by (name) (${bgp} == 0) >= 3`,
          for: "2m",
          labels: { severity: "critical" },
          annotations: {
            summary: "{{ $value }} nodes lost BGP session {{ $labels.name }}",
            description:
              "At least 3 nodes are down on the same BGP peer {{ $labels.name }}: check that router/route reflector.",
          },
        },
        {
          alert: "CalicoBgpSessionFlapping",
          expr: `changes(${bgp}[15m]) > ${BGP_FLAP_CHANGES}`,
          labels: { severity: "warning" },
          annotations: {
            summary: "BGP session {{ $labels.name }} on {{ $labels.node }} is flapping",
            description:
              "Session {{ $labels.name }} on {{ $labels.node }} changed state {{ $value }} times in 15 minutes; every flap withdraws and re-announces the node's pod routes.",
          },
        },
        {
          alert: "CalicoBgpMetricsMissing",
          expr: `up{job="${calicoJobs.bird}"} == 0`,
          for: "10m",
          labels: { severity: "warning" },
          annotations: {
            summary: "No BGP metrics from {{ $labels.node }}",
            description:
              "bird-exporter on {{ $labels.node }} is not scraped: BGP alerts for that node are blind.",
          },
        },
      ],
    },
    {
      name: "calico-felix",
      rules: [
        ...(
          [
            ["CalicoDataplaneFailures", "felix_int_dataplane_failures", "data plane updates"],
            ["CalicoIptablesRestoreErrors", "felix_iptables_restore_errors", "iptables-restore runs"],
            ["CalicoIpsetErrors", "felix_ipset_errors", "ipset updates"],
          ] as const
        ).map(([alert, metric, what]) => ({
          alert,
          expr: `increase(${metric}{job="${calicoJobs.felix}"}[10m]) > 0`,
          for: "10m",
          labels: { severity: "warning" as const },
          annotations: {
            summary: `Felix on {{ $labels.node }}: failed ${what}`,
            description: `Felix on {{ $labels.node }} has failed {{ $value }} ${what} in 10 minutes, for 10 minutes: policy and routes on that node may be stale.`,
          },
        })),
        {
          alert: "CalicoFelixMetricsMissing",
          expr: `up{job="${calicoJobs.felix}"} == 0`,
          for: "10m",
          labels: { severity: "warning" },
          annotations: {
            summary: "Felix on {{ $labels.node }} is not scraped",
            description: "Felix metrics from {{ $labels.node }} are missing for 10 minutes.",
          },
        },
      ],
    },
    {
      name: "node-conntrack",
      rules: [
        {
          alert: "ConntrackTableFilling",
          // The seed: monitor conntrack use; a full table drops new connections silently.
          expr: `node_nf_conntrack_entries / node_nf_conntrack_entries_limit > ${CONNTRACK_WARN_RATIO}`,
          for: "5m",
          labels: { severity: "warning" },
          annotations: {
            summary: "Conntrack table on {{ $labels.instance }} is {{ $value | humanizePercentage }} full",
            description:
              "Above 75% for 5 minutes. Check the LVS conntrack bypass (GlobalNetworkPolicy lvs-untracked, host endpoints) and non-headless Services before raising nf_conntrack_max.",
          },
        },
        {
          alert: "ConntrackTableNearlyFull",
          expr: `node_nf_conntrack_entries / node_nf_conntrack_entries_limit > ${CONNTRACK_CRITICAL_RATIO}`,
          for: "2m",
          labels: { severity: "critical" },
          annotations: {
            summary: "Conntrack table on {{ $labels.instance }} is {{ $value | humanizePercentage }} full",
            description: "Above 90%: new connections are about to be dropped on this node.",
          },
        },
      ],
    },
  ];
}

/**
 * Prometheus scrape config for BIRD's sessions (the bird-exporter sidecar of
 * calico-node). Felix and kube-controllers use the monitoring contract's pod
 * annotations instead; this one is explicit because a pod has one port named
 * "metrics" and Felix holds it. `node` is copied from the pod's node so the
 * alerts can name it.
 */
export function calicoScrapeConfigs(): Record<string, unknown>[] {
  return [
    {
      job_name: calicoJobs.bird,
      scrape_interval: "30s",
      kubernetes_sd_configs: [{ role: "pod", namespaces: { names: [CALICO_NAMESPACE] } }],
      relabel_configs: [
        {
          source_labels: ["__meta_kubernetes_pod_container_port_name"],
          regex: "bird-metrics",
          action: "keep",
        },
        { source_labels: ["__meta_kubernetes_pod_node_name"], target_label: "node" },
      ],
    },
  ];
}

/** The bird-exporter port, for the scrape config and the DaemonSet. */
export const BIRD_METRICS_PORT = { name: "bird-metrics", containerPort: calicoPorts.birdExporter } as const;

/** Calico's monitoring contribution: its rule groups and scrape jobs, all on the infra instance. */
export function calicoMonitoring(): MonitoringContribution {
  return { ruleGroups: { infra: calicoRuleGroups() }, scrapeConfigs: { infra: calicoScrapeConfigs() } };
}
