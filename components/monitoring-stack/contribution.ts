/**
 * What a component contributes to monitoring, in one typed shape (the
 * kube-prometheus "mixin"): rule groups keyed by the Prometheus instance that
 * evaluates them, scrape jobs keyed by instance, and dashboards with their
 * folder. The component that writes a rule knows which metrics it reads and
 * so which instance has them; the MonitoringStack only collects.
 */
import type { RuleGroup } from "../common/alerts";
import type { PrometheusInstanceName } from "./contract";
import type { ContributedScrapeConfig } from "./prometheus-config";
import type { FolderedDashboard } from "./dashboards";

export interface MonitoringContribution {
  /**
   * Alert rule groups by the instance that evaluates them: the one that
   * scrapes the series they read (a rule only sees its own instance's TSDB).
   * Default: none.
   */
  readonly ruleGroups?: Partial<Record<PrometheusInstanceName, readonly RuleGroup[]>>;
  /** Scrape jobs by instance, for targets scrape annotations cannot describe. Default: none. */
  readonly scrapeConfigs?: Partial<Record<PrometheusInstanceName, readonly ContributedScrapeConfig[]>>;
  /** Grafana dashboards, with their folder. Default: none. */
  readonly dashboards?: readonly FolderedDashboard[];
}

/** Contributions keyed by contributor (`masters`, `calico`, …): a reorder never moves a rule to another file. */
export type MonitoringContributions = Readonly<Record<string, MonitoringContribution>>;

export interface CollectedMonitoring {
  readonly ruleGroups: Record<PrometheusInstanceName, RuleGroup[]>;
  readonly scrapeConfigs: Record<PrometheusInstanceName, ContributedScrapeConfig[]>;
  readonly dashboards: FolderedDashboard[];
}

/** Every contribution merged per instance, in contributor order. */
export function collectContributions(contributions: MonitoringContributions = {}): CollectedMonitoring {
  const out: CollectedMonitoring = {
    ruleGroups: { infra: [], business: [] },
    scrapeConfigs: { infra: [], business: [] },
    dashboards: [],
  };
  for (const c of Object.values(contributions)) {
    for (const i of ["infra", "business"] as const) {
      out.ruleGroups[i].push(...(c.ruleGroups?.[i] ?? []));
      out.scrapeConfigs[i].push(...(c.scrapeConfigs?.[i] ?? []));
    }
    out.dashboards.push(...(c.dashboards ?? []));
  }
  return out;
}
