/**
 * Alert rules for the control plane, as data for the MonitoringStack.
 *
 * Label contract with the monitoring scrape config: jobs are named
 * `kube-apiserver`, `kube-controller-manager`, `kube-scheduler`, `etcd` and
 * `kubelet`; kubelet series carry a `node` label with the node name, as
 * kube-state-metrics' node series do.
 */
import type { RuleGroup } from "../common/alerts";

export function controlPlaneAlertRules(masterCount: number): RuleGroup[] {
  const quorum = Math.floor(masterCount / 2) + 1;
  return [
    {
      name: "control-plane",
      rules: [
        {
          alert: "KubeAPIServerInstanceDown",
          expr: `sum(up{job="kube-apiserver"}) < ${masterCount}`,
          for: "5m",
          labels: { severity: "warning" },
          annotations: {
            summary: "An API server instance is down",
            description: `{{ $value }} of ${masterCount} kube-apiserver instances are up; the LVS/DNS endpoint still serves, but one more failure loses capacity.`,
          },
        },
        {
          alert: "KubeAPIServerDown",
          expr: `absent(up{job="kube-apiserver"} == 1)`,
          for: "2m",
          labels: { severity: "critical" },
          annotations: {
            summary: "No API server answers",
            description: "Every kube-apiserver target is down or missing.",
          },
        },
        ...(["kube-controller-manager", "kube-scheduler"] as const).map((job) => ({
          alert: job === "kube-scheduler" ? "KubeSchedulerDown" : "KubeControllerManagerDown",
          expr: `absent(up{job="${job}"} == 1)`,
          for: "5m",
          labels: { severity: "critical" as const },
          annotations: {
            summary: `${job} is down on every master`,
            description: `No ${job} instance is up: nothing holds the leader lease.`,
          },
        })),
        {
          alert: "ControlPlaneLeaderFlapping",
          // leader_election_master_status is 1 on the instance holding the lease.
          expr: `sum by (name) (changes(leader_election_master_status[30m])) > 4`,
          labels: { severity: "warning" },
          annotations: {
            summary: "Leader election of {{ $labels.name }} is flapping",
            description:
              "The {{ $labels.name }} lease changed hands {{ $value }} times in 30 minutes (API latency, clock skew or a crash loop).",
          },
        },
        {
          alert: "EtcdNoLeader",
          expr: `etcd_server_has_leader{job="etcd"} == 0`,
          for: "1m",
          labels: { severity: "critical" },
          annotations: {
            summary: "etcd member {{ $labels.instance }} has no leader",
            description: "The member cannot serve writes.",
          },
        },
        {
          alert: "EtcdInsufficientMembers",
          expr: `sum(up{job="etcd"}) < ${quorum}`,
          for: "2m",
          labels: { severity: "critical" },
          annotations: {
            summary: "etcd is below quorum",
            description: `{{ $value }} etcd members are up; ${quorum} of ${masterCount} are needed for quorum.`,
          },
        },
        {
          alert: "EtcdLeaderFlapping",
          expr: `increase(etcd_server_leader_changes_seen_total{job="etcd"}[1h]) > 3`,
          labels: { severity: "warning" },
          annotations: {
            summary: "etcd leader changed {{ $value }} times in an hour",
            description: "Frequent elections mean slow disks or a flaky network between masters.",
          },
        },
      ],
    },
    {
      // The seed: a controller-manager restart can leave Node status out of
      // sync with the kubelets, so the API's view is checked against the
      // kubelets' own answers in both directions.
      name: "node-status-drift",
      rules: [
        {
          alert: "NodeReadyButKubeletDown",
          expr: `(kube_node_status_condition{condition="Ready",status="true"} == 1) unless on (node) (up{job="kubelet"} == 1)`,
          for: "10m",
          labels: { severity: "warning" },
          annotations: {
            summary: "Node {{ $labels.node }} is Ready in the API but its kubelet does not answer",
            description:
              "Node status is stale: check kube-controller-manager (a restart can leave Node status out of sync) and the node itself.",
          },
        },
        {
          alert: "NodeNotReadyButKubeletUp",
          expr: `(kube_node_status_condition{condition="Ready",status="true"} == 0) and on (node) (up{job="kubelet"} == 1)`,
          for: "10m",
          labels: { severity: "warning" },
          annotations: {
            summary: "Node {{ $labels.node }} is NotReady in the API but its kubelet answers",
            description:
              "Pods are being kept off or evicted from a healthy node: check kube-controller-manager's node lifecycle controller after a restart.",
          },
        },
        {
          alert: "KubeControllerManagerRestarted",
          expr: `changes(process_start_time_seconds{job="kube-controller-manager"}[15m]) > 0`,
          labels: { severity: "info" },
          annotations: {
            summary: "kube-controller-manager on {{ $labels.instance }} restarted",
            description: "Watch NodeReadyButKubeletDown / NodeNotReadyButKubeletUp for the next 15 minutes.",
          },
        },
      ],
    },
  ];
}
