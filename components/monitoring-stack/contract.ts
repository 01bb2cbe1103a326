/**
 * How a workload asks to be scraped, and by which Prometheus instance. Kept
 * apart (no Pulumi imports) so every component can import it cheaply.
 *
 * The seed splits Prometheus "by type into several maps": one instance per
 * kind of target, so a flood of business series cannot slow the alerts on the
 * platform itself, and each keeps the retention its questions need.
 *
 * Contract for a pod that wants to be scraped:
 *  - annotation `SCRAPE_ANNOTATIONS.instance` = the instance name (`infra` or `business`);
 *  - its metrics container port is NAMED `METRICS_PORT_NAME` ("metrics"). A
 *    port name, not a port-number annotation: pod discovery yields one target
 *    per container port and Prometheus relabeling cannot compare two labels
 *    (RE2 has no back-references), so the name is what picks the one port;
 *  - optional annotations: `path` (default /metrics), `scheme` (default http),
 *    `job` (the `job` label; default `<namespace>/<pod's app.kubernetes.io/name>`).
 * `scrapeAnnotations()` builds the annotations.
 */
import { podsIn, type PolicyPeer } from "../common/network-policy";
import { platformNamespaces } from "../../stacks/namespaces";

/** The Prometheus instances, split by target type. */
export const PROMETHEUS_INSTANCES = ["infra", "business"] as const;
export type PrometheusInstanceName = (typeof PROMETHEUS_INSTANCES)[number];

/** What each instance is for (shown in Grafana's datasource list and in the docs). */
export const instancePurpose: Record<PrometheusInstanceName, string> = {
  infra:
    "nodes (node-exporter, conntrack), kubelet/cAdvisor, control plane, kube-state-metrics, Calico/Felix, LVS, logging",
  business: "per-business nginx (qps, HTTP codes, latency), Jetty, JVM and logger error counters",
};

export const MONITORING_DOMAIN = "monitoring.private-cloud.io";

export const SCRAPE_ANNOTATIONS = {
  /** Which instance scrapes the pod: `infra` or `business`. */
  instance: `${MONITORING_DOMAIN}/scrape`,
  /** HTTP path of the metrics. Default: /metrics. */
  path: `${MONITORING_DOMAIN}/path`,
  /** http or https. Default: http. */
  scheme: `${MONITORING_DOMAIN}/scheme`,
  /** Value of the `job` label. Default: `<namespace>/<app.kubernetes.io/name>`. */
  job: `${MONITORING_DOMAIN}/job`,
} as const;

/** The container port name that marks the metrics port. */
export const METRICS_PORT_NAME = "metrics";

export interface ScrapeOptions {
  /** HTTP path of the metrics. Default: /metrics. */
  readonly path?: string;
  /** Default: http. */
  readonly scheme?: "http" | "https";
  /** The `job` label the series get (alert rules select on it). Default: `<namespace>/<app name>`. */
  readonly job?: string;
}

/** Pod annotations that make `instance` scrape the pod's port named "metrics". */
export function scrapeAnnotations(
  instance: PrometheusInstanceName,
  opts: ScrapeOptions = {},
): Record<string, string> {
  const a: Record<string, string> = { [SCRAPE_ANNOTATIONS.instance]: instance };
  if (opts.path && opts.path !== "/metrics") a[SCRAPE_ANNOTATIONS.path] = opts.path;
  if (opts.scheme && opts.scheme !== "http") a[SCRAPE_ANNOTATIONS.scheme] = opts.scheme;
  if (opts.job) a[SCRAPE_ANNOTATIONS.job] = opts.job;
  return a;
}

/** Grafana datasource uid of an instance; dashboards refer to it. */
export function datasourceUid(instance: PrometheusInstanceName): string {
  return `prometheus-${instance}`;
}

/** Labels every Prometheus pod carries, of either instance (workloads.ts builds its pods with them). */
export const PROMETHEUS_POD_LABELS = { "app.kubernetes.io/name": "prometheus" } as const;

/**
 * The peer a scraped workload's NetworkPolicy admits on its metrics port:
 * the Prometheus pods of the platform's monitoring namespace, either instance
 * (each instance's own discovery picks its targets; the policy only opens the port).
 */
export function prometheusPeer(): PolicyPeer {
  return podsIn(platformNamespaces.monitoring.name, PROMETHEUS_POD_LABELS);
}
