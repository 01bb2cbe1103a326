/**
 * Alert rules of the ingress tiers, as data for the MonitoringStack: nginx
 * series come from the `business` Prometheus instance (it scrapes the
 * controllers' `metrics` port), kube-state-metrics and cAdvisor series from
 * `infra`, so the throttling and HPA rules are in a group of their own.
 *
 * Series are selected by `controller_namespace`, the label ingress-nginx puts
 * on its own metrics: the `namespace` label there is the Ingress's namespace.
 */
import type { MonitoringContribution } from "../monitoring-stack/contribution";
import type { RuleGroup } from "../common/alerts";

export const ingressThresholds = {
  /** Share of a tier's responses that are 5xx before it warns. */
  errorRatioWarn: 0.05,
  /** … and pages. */
  errorRatioCritical: 0.2,
  /** p99 of request time through nginx (client → upstream → client) that warns, seconds. */
  latencyP99Seconds: 1,
  /**
   * Share of the nginx container's CFS periods that were throttled. The seed's
   * incident: workers outnumbering the CPU limit were throttled in turn and
   * upstream times read as seconds while the upstreams answered in milliseconds.
   */
  throttledRatio: 0.25,
} as const;

const TIERS = `controller_namespace=~"ingress-.+"`;

/** Rules on nginx's own metrics (evaluated where the controllers are scraped: `business`). */
export function ingressTrafficRules(): RuleGroup {
  const t = ingressThresholds;
  const ratio = `sum by (controller_namespace) (rate(nginx_ingress_controller_requests{${TIERS}, status=~"5.."}[5m]))
  / sum by (controller_namespace) (rate(nginx_ingress_controller_requests{${TIERS}}[5m]))`;
  return {
    name: "ingress-traffic",
    rules: [
      {
        alert: "IngressHigh5xxRatio",
        expr: `${ratio} > ${t.errorRatioWarn}`,
        for: "5m",
        labels: { severity: "warning" },
        annotations: {
          summary:
            "{{ $labels.controller_namespace }}: {{ $value | humanizePercentage }} of responses are 5xx",
          description: `More than ${t.errorRatioWarn * 100}% of the tier's responses were 5xx for 5 minutes: check the Jetty upstreams and the tier's nginx latency panel.`,
        },
      },
      {
        alert: "IngressCritical5xxRatio",
        expr: `${ratio} > ${t.errorRatioCritical}`,
        for: "2m",
        labels: { severity: "critical" },
        annotations: {
          summary:
            "{{ $labels.controller_namespace }}: {{ $value | humanizePercentage }} of responses are 5xx",
          description: `More than ${t.errorRatioCritical * 100}% of the tier's responses were 5xx for 2 minutes: users see errors.`,
        },
      },
      {
        alert: "IngressHighLatency",
        expr: `histogram_quantile(0.99, sum by (controller_namespace, le) (rate(nginx_ingress_controller_request_duration_seconds_bucket{${TIERS}}[5m]))) > ${t.latencyP99Seconds}`,
        for: "10m",
        labels: { severity: "warning" },
        annotations: {
          summary: "{{ $labels.controller_namespace }}: p99 request time {{ $value | humanizeDuration }}",
          description: `p99 of requests through nginx above ${t.latencyP99Seconds}s for 10 minutes. If the upstream response time is low, nginx itself is slow: check CPU throttling of the tier (the seed's worker incident).`,
        },
      },
    ],
  };
}

/** Rules on cAdvisor and kube-state-metrics series about the tiers (evaluated by `infra`). */
export function ingressCapacityRules(): RuleGroup {
  const t = ingressThresholds;
  return {
    name: "ingress-capacity",
    rules: [
      {
        alert: "IngressCpuThrottled",
        expr: `sum by (namespace, pod) (rate(container_cpu_cfs_throttled_periods_total{namespace=~"ingress-.+", container="controller"}[5m]))
  / sum by (namespace, pod) (rate(container_cpu_cfs_periods_total{namespace=~"ingress-.+", container="controller"}[5m])) > ${t.throttledRatio}`,
        for: "10m",
        labels: { severity: "warning" },
        annotations: {
          summary:
            "{{ $labels.namespace }}/{{ $labels.pod }}: nginx throttled in {{ $value | humanizePercentage }} of CPU periods",
          description:
            "The nginx container hits its CPU limit: latency rises for every request it proxies. Check that worker-processes follows the limit and whether the HPA target or the CPU request needs tuning.",
        },
      },
      {
        alert: "IngressAtMaxReplicas",
        expr: `kube_horizontalpodautoscaler_status_current_replicas{namespace=~"ingress-.+"}
  >= kube_horizontalpodautoscaler_spec_max_replicas{namespace=~"ingress-.+"}`,
        for: "15m",
        labels: { severity: "warning" },
        annotations: {
          summary: "{{ $labels.namespace }}: ingress tier at its maximum of replicas",
          description:
            "The HPA cannot add pods: CPU load above the target now turns into latency. Raise businesses[].maxReplicas (and check the ingress machines' capacity).",
        },
      },
    ],
  };
}

/**
 * The tiers' rule groups. The MonitoringStack routes each group to the
 * instance holding its series (nginx_ → business; container_/kube_ → infra),
 * which is why traffic and capacity are separate groups.
 */
export function ingressAlertRules(): RuleGroup[] {
  return [ingressTrafficRules(), ingressCapacityRules()];
}

/**
 * The tiers' monitoring contribution: traffic rules read nginx_ series, which
 * only the business instance scrapes; capacity rules read kube_ and
 * container_ series, which only the infra instance has.
 */
export function ingressMonitoring(): MonitoringContribution {
  return { ruleGroups: { business: [ingressTrafficRules()], infra: [ingressCapacityRules()] } };
}
