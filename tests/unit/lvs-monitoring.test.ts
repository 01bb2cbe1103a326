/**
 * The LVS alerts and dashboard read only series lvs-director-agent really
 * exports: every `lvs_*` name in an expression must be in the agent's
 * metrics.json (which the agent's Go tests check against its registry).
 */
import { lvsDashboard, lvsExportedSeries, lvsRuleGroups } from "../../components/fullnat-lvs/monitoring";

function seriesIn(expr: string): string[] {
  return [...expr.matchAll(/\blvs_[a-z_]+/g)].map((m) => m[0]);
}

function exported(name: string): boolean {
  if (lvsExportedSeries.has(name)) return true;
  const base = name.replace(/_(bucket|sum|count)$/, "");
  return base !== name && lvsExportedSeries.get(base) === "histogram";
}

const rules = lvsRuleGroups().flatMap((g) => g.rules);
const dashboard = lvsDashboard() as {
  panels: { title: string; targets: { expr: string }[] }[];
  templating: { list: { query: { query: string } }[] };
};
const exprs: [string, string][] = [
  ...rules.map((r): [string, string] => [`alert ${r.alert}`, r.expr]),
  ...dashboard.panels.flatMap((p) => p.targets.map((t): [string, string] => [`panel ${p.title}`, t.expr])),
  ...dashboard.templating.list.map((v): [string, string] => ["dashboard variable", v.query.query]),
];

describe("LVS alerts and dashboard read exported series", () => {
  it.each(exprs)("%s", (_what, expr) => {
    const unknown = seriesIn(expr).filter((s) => !exported(s));
    expect(unknown).toEqual([]);
  });

  it("the check can fail: an unknown series is caught", () => {
    expect(seriesIn("rate(lvs_vs_connections_totl[5m])").filter((s) => !exported(s))).toEqual([
      "lvs_vs_connections_totl",
    ]);
  });

  it("alerts on the agent's own health: slow reconcile, apply errors, refused Services", () => {
    expect(rules.map((r) => r.alert)).toEqual(
      expect.arrayContaining(["LvsAgentSlowReconcile", "LvsAgentApplyErrors", "LvsServiceRefused"]),
    );
  });
});
