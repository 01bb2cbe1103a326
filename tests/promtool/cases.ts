/**
 * `promtool test rules` files generated from the rule builders, so a changed
 * threshold or expression is tested as deployed. Each case feeds input series
 * that FIRE an alert and series that must NOT fire it.
 *
 * promtool compares annotations exactly, and ours are templates
 * (`{{ $value | humanizePercentage }}`); the rules under test are therefore
 * the deployed groups with annotations removed. Expressions, `for` and labels —
 * what decides whether an alert fires — are unchanged, and the annotation
 * templates themselves are validated by `promtool check rules` on the real files.
 */
import { stringify } from "yaml";
import type { RuleGroup } from "../../components/common/alerts";
import { alertThresholds } from "../../components/monitoring-stack/rules";
import { ingressThresholds } from "../../components/ingress-tier/alerts";
import { CONNTRACK_CRITICAL_RATIO, CONNTRACK_WARN_RATIO } from "../../components/calico-bgp/monitoring";
import { lvsJobs, lvsThresholds } from "../../components/fullnat-lvs/monitoring";

export interface AlertCase {
  /** Test name, printed by promtool on failure. */
  readonly name: string;
  readonly alertname: string;
  readonly inputSeries: readonly { readonly series: string; readonly values: string }[];
  readonly evalTime: string;
  /** Labels of each expected alert (alertname is added by promtool); empty: must not fire. */
  readonly expAlerts: readonly Readonly<Record<string, string>>[];
}

/** The groups as promtool evaluates them: annotations removed (see above). */
export function rulesUnderTest(groups: readonly RuleGroup[]): { groups: unknown[] } {
  return {
    groups: groups.map((g) => ({
      ...g,
      rules: g.rules.map((r) => ({
        alert: r.alert,
        expr: r.expr,
        ...(r.for ? { for: r.for } : {}),
        labels: r.labels,
      })),
    })),
  };
}

export function promtoolTestFile(ruleFile: string, cases: readonly AlertCase[]): string {
  return stringify(
    {
      rule_files: [ruleFile],
      evaluation_interval: "1m",
      tests: cases.map((c) => ({
        name: c.name,
        interval: "1m",
        input_series: c.inputSeries,
        alert_rule_test: [
          {
            eval_time: c.evalTime,
            alertname: c.alertname,
            exp_alerts: c.expAlerts.map((labels) => ({ exp_labels: labels })),
          },
        ],
      })),
    },
    { lineWidth: 0 },
  );
}

/** `values` notation: `start+stepxN` grows by step per interval; `vxN` stays at v. */
const flat = (v: number, n = 30) => `${v}x${n}`;
const growing = (perMinute: number, n = 30) => `0+${perMinute}x${n}`;

const node = { instance: "dca-a1r05-07", job: "node-exporter", rack: "a1r05" };
const sel = (labels: Readonly<Record<string, string>>) =>
  `{${Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .join(", ")}}`;

const rs = {
  job: lvsJobs.director,
  vip: "10.250.16.20",
  port: "443",
  protocol: "TCP",
  rs: "10.144.3.7:8443",
  director: "dca-a1r01-03",
};
const realServer = (seconds: number) => [
  { series: `lvs_rs_check_duration_seconds${sel(rs)}`, values: flat(seconds) },
];

export function infraCases(): AlertCase[] {
  const limit = 1048576;
  const conntrack = (ratio: number) => [
    { series: `node_nf_conntrack_entries${sel(node)}`, values: flat(Math.round(limit * ratio)) },
    { series: `node_nf_conntrack_entries_limit${sel(node)}`, values: flat(limit) },
  ];
  const kubelet = (node: string, up: number) => ({
    series: `up{job="kubelet", node="${node}", instance="${node}"}`,
    values: flat(up),
  });
  const ready = (node: string, status: "true" | "false", v: number) => ({
    series: `kube_node_status_condition{job="kube-state-metrics", node="${node}", condition="Ready", status="${status}"}`,
    values: flat(v),
  });
  return [
    {
      name: "conntrack above 75% warns",
      alertname: "ConntrackTableFilling",
      inputSeries: conntrack(CONNTRACK_WARN_RATIO + 0.05),
      evalTime: "10m",
      expAlerts: [{ ...node, severity: "warning" }],
    },
    {
      name: "conntrack at 70% does not warn",
      alertname: "ConntrackTableFilling",
      inputSeries: conntrack(CONNTRACK_WARN_RATIO - 0.05),
      evalTime: "10m",
      expAlerts: [],
    },
    {
      name: "conntrack above 75% for less than 5m does not warn yet",
      alertname: "ConntrackTableFilling",
      inputSeries: conntrack(CONNTRACK_WARN_RATIO + 0.05),
      evalTime: "3m",
      expAlerts: [],
    },
    {
      name: "conntrack above 90% pages",
      alertname: "ConntrackTableNearlyFull",
      inputSeries: conntrack(CONNTRACK_CRITICAL_RATIO + 0.05),
      evalTime: "10m",
      expAlerts: [{ ...node, severity: "critical" }],
    },
    {
      name: "conntrack at 80% does not page",
      alertname: "ConntrackTableNearlyFull",
      inputSeries: conntrack(0.8),
      evalTime: "10m",
      expAlerts: [],
    },
    {
      name: "a real server whose checks take 4x the bound is slow",
      alertname: "LvsRealServerHighLatency",
      inputSeries: realServer(lvsThresholds.realServerLatencySeconds * 4),
      evalTime: "10m",
      expAlerts: [{ ...rs, severity: "warning" }],
    },
    {
      name: "a real server answering checks fast is not slow",
      alertname: "LvsRealServerHighLatency",
      inputSeries: realServer(lvsThresholds.realServerLatencySeconds / 4),
      evalTime: "10m",
      expAlerts: [],
    },
    {
      name: "Node-status drift: Ready in the API, kubelet silent",
      alertname: "NodeReadyButKubeletDown",
      inputSeries: [ready("n1", "true", 1), kubelet("n1", 0), ready("n2", "true", 1), kubelet("n2", 1)],
      evalTime: "15m",
      expAlerts: [
        { job: "kube-state-metrics", node: "n1", condition: "Ready", status: "true", severity: "warning" },
      ],
    },
    {
      name: "Node-status drift: NotReady in the API, kubelet answering",
      alertname: "NodeNotReadyButKubeletUp",
      inputSeries: [ready("n1", "true", 0), kubelet("n1", 1), ready("n2", "true", 1), kubelet("n2", 1)],
      evalTime: "15m",
      expAlerts: [
        { job: "kube-state-metrics", node: "n1", condition: "Ready", status: "true", severity: "warning" },
      ],
    },
    {
      name: "no Node-status drift when API and kubelets agree",
      alertname: "NodeReadyButKubeletDown",
      inputSeries: [ready("n1", "true", 1), kubelet("n1", 1), ready("n2", "true", 0), kubelet("n2", 0)],
      evalTime: "15m",
      expAlerts: [],
    },
    {
      name: "a ready node whose kubelet is down: drift is not the NotReady one",
      alertname: "NodeNotReadyButKubeletUp",
      inputSeries: [ready("n1", "true", 1), kubelet("n1", 0)],
      evalTime: "15m",
      expAlerts: [],
    },
    {
      name: "HPA at max in a business namespace is left to the ingress tier's own alert",
      alertname: "KubeHpaMaxedOut",
      inputSeries: [
        {
          series: `kube_horizontalpodautoscaler_status_current_replicas{job="kube-state-metrics", namespace="ingress-shop", horizontalpodautoscaler="nginx"}`,
          values: flat(10, 60),
        },
        {
          series: `kube_horizontalpodautoscaler_spec_max_replicas{job="kube-state-metrics", namespace="ingress-shop", horizontalpodautoscaler="nginx"}`,
          values: flat(10, 60),
        },
      ],
      evalTime: "40m",
      expAlerts: [],
    },
  ];
}

export function businessCases(): AlertCase[] {
  const t = alertThresholds;
  const pod = { namespace: "shop", app: "cart", pod: "cart-7d9f-abcde" };
  const heap = (ratio: number) => [
    {
      series: `jvm_memory_used_bytes${sel({ ...pod, area: "heap" })}`,
      values: flat(Math.round(4e9 * ratio)),
    },
    { series: `jvm_memory_max_bytes${sel({ ...pod, area: "heap" })}`, values: flat(4e9) },
  ];
  const errors = (perSecond: number) => [
    { series: `logback_appender_total${sel({ ...pod, level: "error" })}`, values: growing(perSecond * 60) },
    { series: `logback_appender_total${sel({ ...pod, level: "info" })}`, values: growing(6000) },
  ];
  const tier = { controller_namespace: "ingress-shop", job: "ingress-nginx" };
  const requests = (okPerMin: number, errPerMin: number) => [
    {
      series: `nginx_ingress_controller_requests${sel({ ...tier, status: "200" })}`,
      values: growing(okPerMin),
    },
    {
      series: `nginx_ingress_controller_requests${sel({ ...tier, status: "503" })}`,
      values: growing(errPerMin),
    },
  ];
  const warn5xx = ingressThresholds.errorRatioWarn;
  return [
    {
      name: "JVM heap above 90% of max warns",
      alertname: "JvmHeapNearlyFull",
      inputSeries: heap(t.jvmHeapRatio + 0.05),
      evalTime: "15m",
      expAlerts: [{ ...pod, severity: "warning" }],
    },
    {
      name: "JVM heap at 60% does not warn",
      alertname: "JvmHeapNearlyFull",
      inputSeries: heap(0.6),
      evalTime: "15m",
      expAlerts: [],
    },
    {
      name: "JVM spending 30% of its time in GC warns",
      alertname: "JvmGcTimeHigh",
      inputSeries: [
        {
          series: `jvm_gc_collection_seconds_sum${sel({ ...pod, gc: "G1 Old Generation" })}`,
          values: growing(60 * (t.jvmGcTimeRatio + 0.1)),
        },
      ],
      evalTime: "20m",
      expAlerts: [{ ...pod, severity: "warning" }],
    },
    {
      name: "JVM spending 5% of its time in GC does not warn",
      alertname: "JvmGcTimeHigh",
      inputSeries: [
        {
          series: `jvm_gc_collection_seconds_sum${sel({ ...pod, gc: "G1 Young Generation" })}`,
          values: growing(3),
        },
      ],
      evalTime: "20m",
      expAlerts: [],
    },
    {
      name: "logger errors above the rate warn",
      alertname: "LoggerErrorRateHigh",
      inputSeries: errors(t.loggerErrorsPerSecond * 3),
      evalTime: "20m",
      expAlerts: [{ namespace: pod.namespace, app: pod.app, severity: "warning" }],
    },
    {
      name: "a few logger errors do not warn (info lines do not count)",
      alertname: "LoggerErrorRateHigh",
      inputSeries: errors(t.loggerErrorsPerSecond / 4),
      evalTime: "20m",
      expAlerts: [],
    },
    {
      name: "nginx 5xx above the ratio warns",
      alertname: "IngressHigh5xxRatio",
      inputSeries: requests(900, 100),
      evalTime: "15m",
      expAlerts: [{ controller_namespace: tier.controller_namespace, severity: "warning" }],
    },
    {
      name: `nginx 5xx below ${warn5xx * 100}% does not warn`,
      alertname: "IngressHigh5xxRatio",
      inputSeries: requests(990, 10),
      evalTime: "15m",
      expAlerts: [],
    },
    {
      name: "nginx p99 above its bound warns",
      alertname: "IngressHighLatency",
      inputSeries: latency(ingressThresholds.latencyP99Seconds * 4),
      evalTime: "20m",
      expAlerts: [{ controller_namespace: tier.controller_namespace, severity: "warning" }],
    },
    {
      name: "fast nginx does not warn on latency",
      alertname: "IngressHighLatency",
      inputSeries: latency(0.05),
      evalTime: "20m",
      expAlerts: [],
    },
    {
      name: "the business instance pages when every infra replica is gone",
      alertname: "PrometheusInstanceDown",
      inputSeries: [
        {
          series: `up{job="prometheus", prometheus_instance="infra", pod="prometheus-infra-0"}`,
          values: flat(0),
        },
        {
          series: `up{job="prometheus", prometheus_instance="business", pod="prometheus-business-0"}`,
          values: flat(1),
        },
      ],
      evalTime: "10m",
      // absent() of a comparison carries no labels of the selector; `watched` says which instance.
      expAlerts: [{ severity: "critical", watched: "infra" }],
    },
    {
      name: "one infra replica up is enough",
      alertname: "PrometheusInstanceDown",
      inputSeries: [
        {
          series: `up{job="prometheus", prometheus_instance="infra", pod="prometheus-infra-0"}`,
          values: flat(0),
        },
        {
          series: `up{job="prometheus", prometheus_instance="infra", pod="prometheus-infra-1"}`,
          values: flat(1),
        },
      ],
      evalTime: "10m",
      expAlerts: [],
    },
  ];

  /** A request-duration histogram where every request takes `seconds`. */
  function latency(seconds: number) {
    const bounds = [0.1, 0.5, 1, 2.5, 5, 10];
    return [
      ...bounds.map((le) => ({
        series: `nginx_ingress_controller_request_duration_seconds_bucket${sel({ ...tier, le: String(le) })}`,
        values: growing(le >= seconds ? 600 : 0),
      })),
      {
        series: `nginx_ingress_controller_request_duration_seconds_bucket${sel({ ...tier, le: "+Inf" })}`,
        values: growing(600),
      },
    ];
  }
}
