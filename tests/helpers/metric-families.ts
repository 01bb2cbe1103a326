/**
 * Which Prometheus instance has the series a rule group reads, judged from
 * metric name prefixes. Production code does not guess this (each component
 * declares the instance of its groups, components/monitoring-stack/
 * contribution.ts); tests use it to check that every declaration is right.
 */
import type { RuleGroup } from "../../components/common/alerts";

/** Prefixes only the business instance scrapes (nginx, Jetty, JVM, logger counters). */
export const BUSINESS_METRIC_PREFIXES = ["nginx_", "jetty_", "jvm_", "logback_", "log4j2_"] as const;
/** Prefixes only the infra instance has. */
export const INFRA_METRIC_PREFIXES = [
  "node_",
  "kube_",
  "kubelet_",
  "container_",
  "apiserver_",
  "etcd_",
  "felix_",
  "lvs_",
  "elasticsearch_",
  "filebeat_",
] as const;

const mentions = (expr: string, prefixes: readonly string[]) =>
  prefixes.some((p) => new RegExp(`(^|[^a-zA-Z0-9_:])${p}[a-zA-Z0-9_:]*`).test(expr));

/** `business`, `infra`, `either` (reads only series both have, such as `up`) or `both` (evaluable nowhere). */
export function instanceOfMetrics(group: RuleGroup): "infra" | "business" | "either" | "both" {
  const exprs = group.rules.map((r) => r.expr);
  const business = exprs.some((e) => mentions(e, BUSINESS_METRIC_PREFIXES));
  const infra = exprs.some((e) => mentions(e, INFRA_METRIC_PREFIXES));
  return business && infra ? "both" : business ? "business" : infra ? "infra" : "either";
}
