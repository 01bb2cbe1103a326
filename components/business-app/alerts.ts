/**
 * A business's own alert rules, from its catalog thresholds, for the
 * `business` Prometheus instance (it scrapes the pods' `metrics` port). The
 * seed's soft metrics — JVM heap, GC time, the logger error counter — plus
 * 5xx ratio (Jetty's response counters) and p99 latency (the business's nginx
 * tier, which times every request it proxies; jetty-web only).
 */
import type { AlertRule, RuleGroup } from "../common/alerts";
import { JVM_METRICS } from "../common/jvm";
import type { AppSpec, Template } from "../../release/catalog/schema";

export function businessAlertRules(spec: AppSpec, template: Template, ingressNamespace: string): RuleGroup[] {
  const a = spec.alerts;
  const sel = `job="business/${spec.business}"`;
  const labels = { severity: "warning" as const, business: spec.business };
  const rules: AlertRule[] = [
    {
      alert: "BusinessJvmHeapHigh",
      expr: `max by (pod) (${JVM_METRICS.memoryUsed}{${sel}, area="heap"} / ${JVM_METRICS.memoryMax}{${sel}, area="heap"}) * 100 > ${a.heapUsedPercent}`,
      for: "10m",
      labels,
      annotations: {
        summary: `${spec.business}: JVM heap above ${a.heapUsedPercent}% on {{ $labels.pod }}`,
        description: `Heap stays above ${a.heapUsedPercent}% of -Xmx: GC runs back to back and latency follows. Look for a leak, or raise resources.memoryLimitMiB (the heap follows it).`,
      },
    },
    {
      alert: "BusinessJvmGcTimeHigh",
      expr: `max by (pod) (sum by (pod) (rate(${JVM_METRICS.gcSeconds}_sum{${sel}}[5m]))) > ${a.gcTimeRatio}`,
      for: "10m",
      labels,
      annotations: {
        summary: `${spec.business}: more than ${a.gcTimeRatio * 100}% of time in GC on {{ $labels.pod }}`,
        description: "The JVM spends a large share of its time collecting garbage: requests stall meanwhile.",
      },
    },
    {
      alert: "BusinessLoggerErrors",
      expr: `sum by (pod) (rate(${JVM_METRICS.loggerEvents}{${sel}, level="error"}[5m])) > ${a.loggerErrorsPerSecond}`,
      for: "5m",
      labels,
      annotations: {
        summary: `${spec.business}: more than ${a.loggerErrorsPerSecond} logged errors/s on {{ $labels.pod }}`,
        description:
          "The application logs errors faster than its threshold; its logs are in Elasticsearch (data stream biz-<business>).",
      },
    },
    {
      alert: "BusinessHigh5xxRatio",
      expr: `sum(rate(${JVM_METRICS.jettyResponses}{${sel}, code="5xx"}[5m])) / sum(rate(${JVM_METRICS.jettyResponses}{${sel}}[5m])) > ${a.http5xxRatio}`,
      for: "5m",
      labels: { ...labels, severity: "critical" },
      annotations: {
        summary: `${spec.business}: more than ${a.http5xxRatio * 100}% of answers are 5xx`,
        description:
          "Jetty answers with server errors; check the last release (npm run release -- <business> history) and the logs.",
      },
    },
  ];
  if (template.parts.ingress)
    rules.push({
      alert: "BusinessP99LatencyHigh",
      expr: `histogram_quantile(0.99, sum by (le) (rate(nginx_ingress_controller_request_duration_seconds_bucket{controller_namespace="${ingressNamespace}"}[5m]))) > ${a.p99LatencySeconds}`,
      for: "10m",
      labels,
      annotations: {
        summary: `${spec.business}: p99 latency above ${a.p99LatencySeconds}s`,
        description: "Measured by the business's nginx tier over every request it proxies to Jetty.",
      },
    });
  return [{ name: `business-${spec.business}`, rules }];
}
