/**
 * Prometheus alert rules as data. Every component exports its rule groups;
 * the monitoring stack collects them into rule files (checked by promtool).
 */
export type Severity = "critical" | "warning" | "info";

export interface AlertRule {
  readonly alert: string;
  readonly expr: string;
  /** Prometheus duration, e.g. "5m". */
  readonly for?: string;
  readonly labels: { readonly severity: Severity } & Readonly<Record<string, string>>;
  readonly annotations: { readonly summary: string; readonly description: string } & Readonly<
    Record<string, string>
  >;
}

export interface RuleGroup {
  readonly name: string;
  /** Evaluation interval, e.g. "30s". Default: the global one. */
  readonly interval?: string;
  readonly rules: readonly AlertRule[];
}

/** The file Prometheus loads: `groups:` of rules. */
export function ruleFile(groups: readonly RuleGroup[]): { groups: RuleGroup[] } {
  return { groups: [...groups] };
}
