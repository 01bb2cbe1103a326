/**
 * Grafana provisioning as data: one datasource per Prometheus instance (and
 * Alertmanager), dashboard providers per folder, dashboards in ConfigMaps, and
 * grafana.ini. Everything is provisioned, so Grafana keeps no state worth a
 * volume: a restarted pod comes back identical.
 */
import { stringify } from "yaml";
import { datasourceUid, type PrometheusInstanceName } from "./contract";
import type { FolderedDashboard } from "./dashboards";

export const GRAFANA_DASHBOARDS_DIR = "/var/lib/grafana/dashboards";
/** ConfigMaps hold at most 1 MiB; keep a margin for metadata. */
export const CONFIGMAP_MAX_BYTES = 900 * 1024;

export interface GrafanaDatasource {
  readonly name: string;
  readonly uid: string;
  readonly type: "prometheus" | "alertmanager";
  readonly access: "proxy";
  readonly url: string;
  readonly isDefault: boolean;
  readonly editable: false;
  readonly jsonData: Readonly<Record<string, string | boolean>>;
}

export function grafanaDatasources(
  instances: readonly {
    readonly name: PrometheusInstanceName;
    readonly url: string;
    readonly scrapeIntervalSeconds: number;
  }[],
  alertmanagerUrl: string,
): { apiVersion: 1; datasources: GrafanaDatasource[] } {
  return {
    apiVersion: 1,
    datasources: [
      ...instances.map((i): GrafanaDatasource => ({
        name: `Prometheus ${i.name}`,
        uid: datasourceUid(i.name),
        type: "prometheus",
        access: "proxy",
        url: i.url,
        isDefault: i.name === "infra",
        editable: false,
        jsonData: {
          // rate() windows in dashboards must span at least 2 scrapes; Grafana needs the interval to know.
          timeInterval: `${i.scrapeIntervalSeconds}s`,
          httpMethod: "POST",
          // Rules live in code (promtool-checked); Grafana must not offer to edit them.
          manageAlerts: false,
        },
      })),
      {
        name: "Alertmanager",
        uid: "alertmanager",
        type: "alertmanager",
        access: "proxy",
        url: alertmanagerUrl,
        isDefault: false,
        editable: false,
        jsonData: { implementation: "prometheus", handleGrafanaManagedAlerts: false },
      },
    ],
  };
}

/** One file provider per folder; dashboards are read-only in the UI (change them in code). */
export function grafanaDashboardProviders(folders: readonly string[]) {
  return {
    apiVersion: 1,
    providers: folders.map((folder) => ({
      name: folder,
      folder,
      type: "file",
      disableDeletion: true,
      allowUiUpdates: false,
      updateIntervalSeconds: 60,
      options: { path: `${GRAFANA_DASHBOARDS_DIR}/${folder}` },
    })),
  };
}

/**
 * Dashboards grouped per folder into ConfigMap data (`<uid>.json` keys).
 * Throws when two dashboards share a uid (Grafana would keep one at random) or
 * a folder outgrows a ConfigMap.
 */
export function dashboardConfigMapData(
  dashboards: readonly FolderedDashboard[],
): Map<string, Record<string, string>> {
  const byFolder = new Map<string, Record<string, string>>();
  const uids = new Map<string, string>();
  for (const { folder, dashboard } of dashboards) {
    if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(folder))
      throw new Error(
        `dashboard folder ${JSON.stringify(folder)} must be a DNS label (it names a ConfigMap)`,
      );
    const { uid, title } = dashboard as { uid?: unknown; title?: unknown };
    if (typeof uid !== "string" || !/^[a-zA-Z0-9_-]{1,40}$/.test(uid) || typeof title !== "string")
      throw new Error(
        `dashboard ${JSON.stringify(title)} in folder ${folder} needs a string title and a uid of 1-40 characters [a-zA-Z0-9_-] (got uid ${JSON.stringify(uid)})`,
      );
    const other = uids.get(uid);
    if (other !== undefined)
      throw new Error(
        `dashboard uid ${JSON.stringify(uid)} is used by "${other}" and "${title}" (expected unique uids)`,
      );
    uids.set(uid, title);
    const data = byFolder.get(folder) ?? {};
    data[`${uid}.json`] = JSON.stringify(dashboard);
    byFolder.set(folder, data);
  }
  for (const [folder, data] of byFolder) {
    const bytes = Object.values(data).reduce((n, s) => n + Buffer.byteLength(s), 0);
    if (bytes > CONFIGMAP_MAX_BYTES)
      throw new Error(
        `dashboards of folder ${folder} take ${bytes} bytes (expected at most ${CONFIGMAP_MAX_BYTES}: one ConfigMap per folder); move some to another folder`,
      );
  }
  return byFolder;
}

/** grafana.ini: an air-gapped datacenter, no sign-up, no anonymous access. */
export function grafanaIni(domain: string): string {
  const sections: Record<string, Record<string, string | boolean>> = {
    server: { domain, root_url: `http://${domain}/`, enforce_domain: false },
    analytics: { reporting_enabled: false, check_for_updates: false, check_for_plugin_updates: false },
    users: { allow_sign_up: false, allow_org_create: false },
    "auth.anonymous": { enabled: false },
    security: { disable_gravatar: true, cookie_samesite: "lax" },
    log: { mode: "console", level: "info" },
    paths: { provisioning: "/etc/grafana/provisioning" },
  };
  return Object.entries(sections)
    .map(
      ([name, kv]) =>
        `[${name}]\n${Object.entries(kv)
          .map(([k, v]) => `${k} = ${v}`)
          .join("\n")}\n`,
    )
    .join("\n");
}

export function renderYaml(doc: unknown): string {
  return stringify(doc, { lineWidth: 0, aliasDuplicateObjects: false });
}
