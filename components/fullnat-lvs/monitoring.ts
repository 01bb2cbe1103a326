/**
 * LVS observability as data for the MonitoringStack (seed part 4: "we
 * changed the LVS control program to export metrics … Grafana dashboards and
 * alerts: overall LVS traffic anomalies, and high latency of a real server").
 *
 * Metric contract of the director agent (the LVS exporter on every director,
 * port LVS_EXPORTER_PORT; shipped with lvs-director-sync, see README):
 *  - lvs_vs_connections_total{vip,port,protocol}           counter, new connections
 *  - lvs_vs_in_bytes_total / lvs_vs_out_bytes_total{…}      counters
 *  - lvs_vs_in_packets_total{…}                            counter
 *  - lvs_rs_active_connections{vip,port,protocol,rs}       gauge
 *  - lvs_rs_up{vip,port,protocol,rs}                       gauge, 1 = in rotation (weight > 0)
 *  - lvs_rs_check_duration_seconds{vip,port,protocol,rs}   gauge, last health check's duration
 * `director` is added by the scrape config from the target list.
 */
import type { MonitoringContribution } from "../monitoring-stack/contribution";
import type { DatacenterModel } from "../../stacks/model";
import type { RuleGroup } from "../common/alerts";
import { datasourceUid } from "../monitoring-stack/contract";
import { DIRECTOR_BIRD_EXPORTER_PORT, LVS_EXPORTER_PORT, directorHosts } from "./directors";

export const lvsJobs = { director: "lvs-director", bird: "lvs-bird" } as const;

export const lvsThresholds = {
  /** A real server whose health check takes longer than this, seconds, for 5 minutes, is slow. */
  realServerLatencySeconds: 0.2,
  /** Traffic below this share of the same time a week ago is an anomaly. */
  trafficDropRatio: 0.5,
  /** Traffic above this multiple of the same time a week ago is an anomaly. */
  trafficSurgeRatio: 3,
  /** Ignore VIPs below this many new connections per second (noise). */
  minConnectionsPerSecond: 10,
} as const;

const cps = (offset = "") =>
  `sum by (vip, port, protocol) (rate(lvs_vs_connections_total{job="${lvsJobs.director}"}[10m]${offset}))`;

export function lvsRuleGroups(): RuleGroup[] {
  const t = lvsThresholds;
  return [
    {
      name: "lvs-traffic",
      rules: [
        {
          alert: "LvsTrafficDrop",
          expr: `${cps()} < ${t.trafficDropRatio} * ${cps(" offset 1w")} and ${cps(" offset 1w")} > ${t.minConnectionsPerSecond}`,
          for: "10m",
          labels: { severity: "critical" },
          annotations: {
            summary:
              "Traffic on {{ $labels.vip }}:{{ $labels.port }}/{{ $labels.protocol }} fell below half of last week's",
            description:
              "New connections per second on the VIP are {{ $value | humanize }}, under 50% of the same time last week, for 10 minutes: check the route announcements (ECMP), the directors and DNS.",
          },
        },
        {
          alert: "LvsTrafficSurge",
          expr: `${cps()} > ${t.trafficSurgeRatio} * ${cps(" offset 1w")} and ${cps()} > ${t.minConnectionsPerSecond}`,
          for: "10m",
          labels: { severity: "warning" },
          annotations: {
            summary: "Traffic on {{ $labels.vip }}:{{ $labels.port }}/{{ $labels.protocol }} tripled",
            description:
              "New connections per second are over 3x last week's for 10 minutes (flood, retry storm, or a campaign nobody announced).",
          },
        },
        {
          alert: "LvsVirtualServerWithoutRealServers",
          expr: `sum by (vip, port, protocol) (lvs_rs_up{job="${lvsJobs.director}"}) == 0`,
          for: "1m",
          labels: { severity: "critical" },
          annotations: {
            summary:
              "{{ $labels.vip }}:{{ $labels.port }}/{{ $labels.protocol }} has no real server in rotation",
            description:
              "Every real server of the virtual service failed its check or is not ready: the VIP answers nothing.",
          },
        },
      ],
    },
    {
      name: "lvs-real-servers",
      rules: [
        {
          alert: "LvsRealServerHighLatency",
          expr: `lvs_rs_check_duration_seconds{job="${lvsJobs.director}"} > ${t.realServerLatencySeconds}`,
          for: "5m",
          labels: { severity: "warning" },
          annotations: {
            summary: "Real server {{ $labels.rs }} of {{ $labels.vip }}:{{ $labels.port }} is slow",
            description:
              "Its health check has taken {{ $value | humanizeDuration }} for 5 minutes (threshold 200ms): an overloaded or throttled pod (check its CPU limit and nginx workers).",
          },
        },
      ],
    },
    {
      name: "lvs-directors",
      rules: [
        {
          alert: "LvsDirectorDown",
          expr: `up{job="${lvsJobs.director}"} == 0`,
          for: "2m",
          labels: { severity: "critical" },
          annotations: {
            summary: "LVS director {{ $labels.director }} is not answering",
            description:
              "The director's exporter has been unreachable for 2 minutes; if its BGP sessions are also down, the routers already moved its share of traffic.",
          },
        },
        {
          alert: "LvsDirectorBgpSessionDown",
          expr: `bird_protocol_up{job="${lvsJobs.bird}",proto="BGP"} == 0`,
          for: "1m",
          labels: { severity: "critical" },
          annotations: {
            summary: "Director {{ $labels.director }} lost BGP session {{ $labels.name }}",
            description:
              "The director no longer announces its VIPs to that router: ECMP runs on fewer directors.",
          },
        },
      ],
    },
  ];
}

/** Static scrape configs: the directors are hosts, not pods. */
export function lvsScrapeConfigs(model: DatacenterModel): Record<string, unknown>[] {
  const targets = (port: number) =>
    directorHosts(model).map((h) => ({ targets: [`${h.ip}:${port}`], labels: { director: h.hostname } }));
  if (directorHosts(model).length === 0) return [];
  return [
    { job_name: lvsJobs.director, scrape_interval: "15s", static_configs: targets(LVS_EXPORTER_PORT) },
    { job_name: lvsJobs.bird, scrape_interval: "30s", static_configs: targets(DIRECTOR_BIRD_EXPORTER_PORT) },
  ];
}

interface Panel {
  readonly id: number;
  readonly title: string;
  readonly type: "timeseries";
  readonly gridPos: { h: number; w: number; x: number; y: number };
  readonly fieldConfig: { defaults: { unit: string }; overrides: [] };
  readonly targets: {
    refId: string;
    expr: string;
    legendFormat: string;
    datasource: { type: "prometheus"; uid: string };
  }[];
  readonly datasource: { type: "prometheus"; uid: string };
}

/** The provisioned Grafana dashboard: VIP traffic, connections, per-real-server latency, directors' BGP. */
export function lvsDashboard(): Record<string, unknown> {
  const ds = { type: "prometheus" as const, uid: datasourceUid("infra") };
  const panels: [string, string, string, string][] = [
    ["New connections per VIP", cps(), "{{vip}}:{{port}}/{{protocol}}", "cps"],
    [
      "Inbound traffic per VIP",
      `sum by (vip, port, protocol) (rate(lvs_vs_in_bytes_total{vip=~"$vip"}[5m])) * 8`,
      "{{vip}}:{{port}}/{{protocol}}",
      "bps",
    ],
    [
      "Outbound traffic per VIP",
      `sum by (vip, port, protocol) (rate(lvs_vs_out_bytes_total{vip=~"$vip"}[5m])) * 8`,
      "{{vip}}:{{port}}/{{protocol}}",
      "bps",
    ],
    [
      "Active connections per real server",
      `sum by (vip, port, rs) (lvs_rs_active_connections{vip=~"$vip"})`,
      "{{rs}} ({{vip}}:{{port}})",
      "short",
    ],
    [
      "Real-server check latency",
      `max by (vip, port, rs) (lvs_rs_check_duration_seconds{vip=~"$vip"})`,
      "{{rs}} ({{vip}}:{{port}})",
      "s",
    ],
    [
      "Real servers in rotation",
      `sum by (vip, port, protocol) (lvs_rs_up{vip=~"$vip"})`,
      "{{vip}}:{{port}}/{{protocol}}",
      "short",
    ],
    [
      "Traffic share per director",
      `sum by (director) (rate(lvs_vs_in_bytes_total[5m])) * 8`,
      "{{director}}",
      "bps",
    ],
    [
      "Directors' BGP sessions up",
      `sum by (director) (bird_protocol_up{job="${lvsJobs.bird}",proto="BGP"})`,
      "{{director}}",
      "short",
    ],
  ];
  return {
    uid: "lvs-overview",
    title: "LVS: VIPs, real servers, directors",
    tags: ["lvs", "network", "private-cloud"],
    timezone: "browser",
    schemaVersion: 39,
    refresh: "30s",
    time: { from: "now-6h", to: "now" },
    templating: {
      list: [
        {
          name: "vip",
          type: "query",
          datasource: ds,
          query: { query: "label_values(lvs_vs_connections_total, vip)", refId: "vip" },
          includeAll: true,
          multi: true,
          current: { text: "All", value: "$__all" },
          refresh: 2,
        },
      ],
    },
    panels: panels.map(([title, expr, legendFormat, unit], i): Panel => ({
      id: i + 1,
      title,
      type: "timeseries",
      gridPos: { h: 8, w: 12, x: (i % 2) * 12, y: Math.floor(i / 2) * 8 },
      fieldConfig: { defaults: { unit }, overrides: [] },
      datasource: ds,
      targets: [{ refId: "A", expr, legendFormat, datasource: ds }],
    })),
  };
}

/** The LVS tier's monitoring contribution: rules and scrape jobs on the infra instance, its dashboard. */
export function lvsMonitoring(model: DatacenterModel): MonitoringContribution {
  return {
    ruleGroups: { infra: lvsRuleGroups() },
    scrapeConfigs: { infra: lvsScrapeConfigs(model) },
    dashboards: [{ folder: "platform", dashboard: lvsDashboard() }],
  };
}
