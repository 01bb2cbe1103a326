/**
 * Dashboards and Grafana provisioning: grid layout, datasource references,
 * per-business dashboards, and the limits a ConfigMap imposes.
 */
import {
  dashboard,
  layout,
  nginxDashboard,
  platformDashboards,
  type Dashboard,
  type PanelSpec,
} from "../../components/monitoring-stack/dashboards";
import {
  CONFIGMAP_MAX_BYTES,
  dashboardConfigMapData,
  grafanaDashboardProviders,
  grafanaDatasources,
  grafanaIni,
} from "../../components/monitoring-stack/grafana";
import { PROMETHEUS_INSTANCES } from "../../components/monitoring-stack/contract";
import { lvsDashboard } from "../../components/fullnat-lvs/monitoring";
import { MAX_BUSINESSES } from "../../stacks/schema";
import { fixture, problems } from "../helpers/config";

const spec = (title: string): PanelSpec => ({ title, instance: "infra", queries: [{ expr: "up" }] });
const row = (n: number) => Array.from({ length: n }, (_, i) => spec(`p${i}`));

describe("layout", () => {
  it.each([
    [1, [[0, 24]]],
    [
      2,
      [
        [0, 12],
        [12, 12],
      ],
    ],
    [
      3,
      [
        [0, 8],
        [8, 8],
        [16, 8],
      ],
    ],
    [
      5,
      [
        [0, 4],
        [4, 4],
        [8, 4],
        [12, 4],
        [16, 8],
      ],
    ],
  ])("a row of %s panels fills the 24 columns", (n, xw) => {
    const panels = layout([row(n)]);
    expect(panels.map((p) => [p.gridPos.x, p.gridPos.w])).toEqual(xw);
  });

  it("stacks rows and numbers panels from 1", () => {
    const panels = layout([row(2), row(1), row(3)]);
    expect(panels.map((p) => p.id)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(panels.map((p) => p.gridPos.y)).toEqual([0, 0, 8, 16, 16, 16]);
  });

  it("draws the alert threshold on the panel that shows its metric", () => {
    const [p] = layout([[{ ...spec("conntrack"), unit: "percentunit", threshold: 0.75 }]]);
    expect(p.fieldConfig.defaults.thresholds?.steps).toEqual([
      { color: "green", value: null },
      { color: "red", value: 0.75 },
    ]);
    expect(p.fieldConfig.defaults.min).toBe(0);
  });

  it.each(["", "x".repeat(41), "has space"])("refuses dashboard uid %j", (uid) => {
    expect(() => dashboard(uid, "t", [], [])).toThrow(/must be 1-40 characters/);
  });
});

describe("the platform's dashboards", () => {
  const dashboards = platformDashboards(["shop", "appstore"]);
  const provisioned = new Set(
    grafanaDatasources(
      PROMETHEUS_INSTANCES.map((name) => ({ name, url: `http://${name}`, scrapeIntervalSeconds: 30 })),
      "http://am",
    ).datasources.map((d) => d.uid),
  );

  it("cover control plane, nodes/conntrack, Elasticsearch, Jetty/JVM and one nginx dashboard per business", () => {
    expect(dashboards.map((d) => `${d.folder}/${d.dashboard.uid}`)).toEqual([
      "platform/pc-control-plane",
      "platform/pc-nodes",
      "platform/pc-elasticsearch",
      "business/pc-jetty-jvm",
      "business/pc-nginx-shop",
      "business/pc-nginx-appstore",
    ]);
  });

  it("query only datasources Grafana is provisioned with", () => {
    for (const { dashboard } of dashboards) {
      const d = dashboard as Dashboard;
      for (const p of d.panels) {
        expect(provisioned.has(p.datasource.uid)).toBe(true);
        for (const t of p.targets) expect(t.datasource.uid).toBe(p.datasource.uid);
      }
      for (const v of d.templating.list) expect(provisioned.has(v.datasource.uid)).toBe(true);
    }
  });

  it("show a business's qps, HTTP codes and latency from nginx, and its throttling from cAdvisor", () => {
    const d = nginxDashboard("shop");
    const byTitle = Object.fromEntries(d.panels.map((p) => [p.title, p]));
    expect(byTitle["Requests per second"].targets[0].expr).toBe(
      'sum(rate(nginx_ingress_controller_requests{controller_namespace="ingress-shop"}[1m]))',
    );
    expect(byTitle["HTTP status codes"].targets[0].expr).toContain("sum by (status)");
    expect(byTitle["Request latency (client → nginx → upstream)"].targets.map((t) => t.legendFormat)).toEqual(
      ["p50", "p90", "p99"],
    );
    expect(byTitle["CFS throttled periods"].datasource.uid).toBe("prometheus-infra");
    expect(byTitle["Requests per second"].datasource.uid).toBe("prometheus-business");
  });
});

describe("provisioning", () => {
  it("makes infra the default datasource and sets each instance's scrape interval", () => {
    const { datasources } = grafanaDatasources(
      [
        { name: "infra", url: "http://i", scrapeIntervalSeconds: 30 },
        { name: "business", url: "http://b", scrapeIntervalSeconds: 15 },
      ],
      "http://am",
    );
    expect(datasources.map((d) => [d.uid, d.isDefault, d.jsonData.timeInterval])).toEqual([
      ["prometheus-infra", true, "30s"],
      ["prometheus-business", false, "15s"],
      ["alertmanager", false, undefined],
    ]);
  });

  it("groups dashboards per folder, one provider per folder, read-only", () => {
    const data = dashboardConfigMapData(platformDashboards(["shop"]));
    expect([...data.keys()]).toEqual(["platform", "business"]);
    expect(Object.keys(data.get("business") ?? {})).toEqual(["pc-jetty-jvm.json", "pc-nginx-shop.json"]);
    expect(JSON.parse((data.get("platform") ?? {})["pc-nodes.json"]).title).toBe("Nodes and conntrack");
    const providers = grafanaDashboardProviders([...data.keys()]).providers;
    expect(providers.map((p) => [p.folder, p.options.path, p.allowUiUpdates])).toEqual([
      ["platform", "/var/lib/grafana/dashboards/platform", false],
      ["business", "/var/lib/grafana/dashboards/business", false],
    ]);
  });

  it("takes plain Grafana JSON from other components (FullnatLVS writes its own)", () => {
    const data = dashboardConfigMapData([{ folder: "network", dashboard: lvsDashboard() }]);
    expect(Object.keys(data.get("network") ?? {})).toEqual(["lvs-overview.json"]);
    expect(() => dashboardConfigMapData([{ folder: "network", dashboard: { title: "no uid" } }])).toThrow(
      'dashboard "no uid" in folder network needs a string title and a uid of 1-40 characters [a-zA-Z0-9_-] (got uid undefined)',
    );
  });

  it("refuses two dashboards with one uid, a folder that is not a DNS label, and a folder over a ConfigMap", () => {
    const d = nginxDashboard("shop");
    expect(() =>
      dashboardConfigMapData([
        { folder: "a", dashboard: d },
        { folder: "b", dashboard: d },
      ]),
    ).toThrow(/uid "pc-nginx-shop" is used by "nginx: shop" and "nginx: shop"/);
    expect(() => dashboardConfigMapData([{ folder: "My Folder", dashboard: d }])).toThrow(
      /must be a DNS label/,
    );
    const huge = { ...d, title: "x".repeat(CONFIGMAP_MAX_BYTES) };
    expect(() => dashboardConfigMapData([{ folder: "big", dashboard: huge }])).toThrow(
      /move some to another folder/,
    );
  });

  it("writes a grafana.ini for an air-gapped datacenter", () => {
    const ini = grafanaIni("grafana.dc-a.cloud.internal");
    expect(ini).toContain("[server]\ndomain = grafana.dc-a.cloud.internal");
    expect(ini).toContain("check_for_updates = false");
    expect(ini).toContain("[auth.anonymous]\nenabled = false");
  });
});

describe("the most businesses config validation admits", () => {
  it(`fits their dashboards in the business folder's ConfigMap (${MAX_BUSINESSES} businesses with 55-character names)`, () => {
    const names = Array.from({ length: MAX_BUSINESSES }, (_, i) =>
      `b${String(i).padStart(3, "0")}`.padEnd(55, "x"),
    );
    const data = dashboardConfigMapData(platformDashboards(names));
    const bytes = Object.values(data.get("business") ?? {}).reduce((n, s) => n + Buffer.byteLength(s), 0);
    expect(bytes).toBeLessThanOrEqual(CONFIGMAP_MAX_BYTES);
  });

  it("is refused above that, by the schema", () => {
    const f = fixture("dc-c");
    const biz = (f.raw.businesses as Record<string, unknown>[])[0];
    f.raw.businesses = Array.from({ length: MAX_BUSINESSES + 1 }, (_, i) => ({ ...biz, name: `b${i}` }));
    expect(problems(f)[0]).toBe(
      `private-cloud:businesses: 101 entries is not valid (expected at most ${MAX_BUSINESSES} businesses per datacenter (their dashboards share one Grafana ConfigMap))`,
    );
  });
});
