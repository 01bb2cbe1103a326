/**
 * The generated Prometheus and Alertmanager files, checked by the tools that
 * own their formats: `promtool check rules`, `promtool check config`,
 * `promtool test rules` (alerts that must fire and must not), `amtool check-config`.
 *
 * The files are exactly what MonitoringStack deploys (monitoringFiles), with
 * the rule groups other components contribute today.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { loadStackFile } from "../../stacks/config";
import type { DatacenterModel } from "../../stacks/model";
import type { RuleGroup } from "../../components/common/alerts";
import { controlPlaneAlertRules } from "../../components/master-ha/alerts";
import { filebeatScrapeConfig, loggingAlertRules } from "../../components/logging-stack/monitoring";
import { monitoringFiles, type MonitoringFiles } from "../../components/monitoring-stack/files";
import {
  collectContributions,
  type MonitoringContributions,
} from "../../components/monitoring-stack/contribution";
import { calicoMonitoring } from "../../components/calico-bgp/monitoring";
import { lvsMonitoring } from "../../components/fullnat-lvs/monitoring";
import { ingressMonitoring } from "../../components/ingress-tier/alerts";
import { monitoringAlertRules } from "../../components/monitoring-stack/rules";
import { RELEASE_RULES_DIR, RULES_DIR, SA_DIR } from "../../components/monitoring-stack/prometheus-config";
import { appManifests } from "../../components/business-app/manifests";
import { contextFromStackFile } from "../../release/render";
import { resolveRelease } from "../../release/catalog/load";
import {
  PROMETHEUS_INSTANCES,
  type PrometheusInstanceName,
} from "../../components/monitoring-stack/contract";
import { describeWithTool, hasTool, runTool } from "../helpers/tools";
import { projectDir } from "../helpers/config";
import {
  businessCases,
  infraCases,
  promtoolTestFile,
  rulesUnderTest,
  type AlertCase,
} from "../promtool/cases";

const STACKS = ["dc-a", "dc-b", "dc-c"] as const;
const namespaces = { monitoring: "monitoring", nodeExporter: "node-exporter" };

/** What every other component contributes today, as stacks/datacenter.ts assembles it. */
function contributions(model: DatacenterModel): MonitoringContributions {
  return {
    masters: { ruleGroups: { infra: controlPlaneAlertRules(model.masters.length) } },
    calico: calicoMonitoring(),
    lvs: lvsMonitoring(model),
    ingress: ingressMonitoring(),
    logging: {
      ruleGroups: { infra: loggingAlertRules(model) },
      scrapeConfigs: { infra: [filebeatScrapeConfig()] },
    },
  };
}

function render(stack: string): { model: DatacenterModel; files: MonitoringFiles } {
  const model = loadStackFile(path.join(projectDir, `Pulumi.${stack}.yaml`));
  // Every rule and job other components contribute today: promtool checks theirs with ours.
  const inputs = { contributions: contributions(model) };
  return { model, files: monitoringFiles(model, inputs, namespaces) };
}

const tempDirs: string[] = [];
afterAll(() => tempDirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pc-promtool-"));
  tempDirs.push(dir);
  return dir;
}

/**
 * Writes one instance's prometheus.yml and rule files. The in-container paths
 * (rule directory, service-account token and CA) are mapped into the temp
 * directory so promtool resolves them exactly as Prometheus would in the pod.
 */
function writeInstance(
  dir: string,
  files: MonitoringFiles,
  instance: PrometheusInstanceName,
  releaseRules: Record<string, string> = {},
): string {
  const rules = path.join(dir, "rules");
  const released = path.join(dir, "release-rules");
  const sa = path.join(dir, "serviceaccount");
  fs.mkdirSync(rules, { recursive: true });
  fs.mkdirSync(released, { recursive: true });
  fs.mkdirSync(sa, { recursive: true });
  for (const [name, text] of Object.entries(releaseRules)) fs.writeFileSync(path.join(released, name), text);
  fs.writeFileSync(path.join(sa, "token"), "token-for-promtool\n");
  fs.writeFileSync(path.join(sa, "ca.crt"), "");
  for (const [name, text] of Object.entries(files.rules[instance]))
    fs.writeFileSync(path.join(rules, name), text);
  const config = files.prometheus[instance]
    .split(RULES_DIR)
    .join(rules)
    .split(RELEASE_RULES_DIR)
    .join(released)
    .split(SA_DIR)
    .join(sa);
  const file = path.join(dir, "prometheus.yml");
  fs.writeFileSync(file, config);
  return file;
}

/**
 * Debian's promtool is built without Kubernetes service discovery (it reports
 * `field kubernetes_sd_configs not found`), so it cannot check our config.
 * The toolchain builds promtool of the Prometheus release we deploy from Go
 * modules (toolchain/promtool, `npm run toolchain`); a promtool without it fails in CI.
 */
function promtoolHasKubernetesSd(): boolean {
  if (!hasTool("promtool")) return false;
  const dir = tempDir();
  const file = path.join(dir, "probe.yml");
  fs.writeFileSync(
    file,
    "scrape_configs:\n  - job_name: probe\n    kubernetes_sd_configs: [{ role: pod }]\n",
  );
  return runTool("promtool", ["check", "config", file]).status === 0;
}

describeWithTool("promtool", "generated Prometheus rules and config", () => {
  describe.each(STACKS)("%s", (stack) => {
    const { files } = render(stack);

    it.each(PROMETHEUS_INSTANCES)(
      "every rule file of the %s instance passes promtool check rules",
      (instance) => {
        const dir = tempDir();
        const paths = Object.entries(files.rules[instance]).map(([name, text]) => {
          const p = path.join(dir, name);
          fs.writeFileSync(p, text);
          return p;
        });
        const r = runTool("promtool", ["check", "rules", ...paths]);
        expect(r.output).not.toMatch(/FAILED/);
        expect(r.status).toBe(0);
        // The platform file holds our rules: a check of nothing would prove nothing.
        expect(r.output).toMatch(/SUCCESS: [1-9][0-9]* rules found/);
      },
    );

    const kubernetesSd = promtoolHasKubernetesSd();
    const configIt = kubernetesSd || process.env.CI ? it.each : it.skip.each;
    configIt(PROMETHEUS_INSTANCES)("the %s prometheus.yml passes promtool check config", (instance) => {
      if (!kubernetesSd)
        throw new Error(
          "this promtool has no Kubernetes service discovery (Debian builds it without); build promtool from tests/promtool/build (Go modules) and put it first on PATH",
        );
      const file = writeInstance(tempDir(), files, instance);
      const r = runTool("promtool", ["check", "config", file]);
      expect(r.output).not.toMatch(/FAILED/);
      expect(r.status).toBe(0);
      // Rule files are resolved and checked through the config too.
      expect(r.output).toMatch(/platform\.yml/);
    });
  });

  const withSd = promtoolHasKubernetesSd();
  (withSd || process.env.CI ? it : it.skip)(
    "the business instance loads a release's alert rules from where the release writes them",
    () => {
      if (!withSd)
        throw new Error(
          "this promtool has no Kubernetes service discovery: build it with `npm run toolchain`",
        );
      // The sample business as the catalog releases it in the sim, and the file the
      // business instance projects its ConfigMap to (monitoring-stack/release-rules.ts).
      const r = resolveRelease("shop", {});
      const ctx = contextFromStackFile("sim");
      const m = appManifests(r.specs.get("sim") as never, r.template, ctx);
      const target = ctx.businesses.shop.alertRules;
      const meta = m.alertRules.metadata as { namespace: string; name: string };
      expect([meta.namespace, meta.name]).toEqual([target.namespace, target.configMap]);
      const file = path.basename(target.path);
      const { files } = render("sim");
      const cfg = writeInstance(tempDir(), files, "business", {
        [file]: (m.alertRules.data as Record<string, string>)[target.key],
      });
      const out = runTool("promtool", ["check", "config", cfg]);
      expect(out.status).toBe(0);
      expect(out.output).toMatch(new RegExp(`release-rules/${file}\\n\\s*SUCCESS: 5 rules found`));
    },
  );

  describe("promtool test rules: the important alerts fire, and stay quiet when they should", () => {
    const { model } = render("dc-a");
    const routed = collectContributions(contributions(model)).ruleGroups;
    const own = monitoringAlertRules();

    const runCases = (instance: PrometheusInstanceName, cases: AlertCase[], groups: RuleGroup[]) => {
      const dir = tempDir();
      fs.writeFileSync(path.join(dir, "rules.yml"), JSON.stringify(rulesUnderTest(groups)));
      const testFile = path.join(dir, `${instance}-tests.yml`);
      fs.writeFileSync(testFile, promtoolTestFile("rules.yml", cases));
      return runTool("promtool", ["test", "rules", testFile]);
    };

    it.each([
      ["infra", infraCases()],
      ["business", businessCases()],
    ] as const)("the %s instance's rules pass their unit tests", (instance, cases) => {
      const r = runCases(instance, [...cases], [...own[instance], ...routed[instance]]);
      expect(r.output).not.toMatch(/FAILED/);
      expect(r.status).toBe(0);
    });

    it("covers firing and quiet cases for each important alert", () => {
      const all = [...infraCases(), ...businessCases()];
      for (const alert of [
        "ConntrackTableFilling",
        "ConntrackTableNearlyFull",
        "LvsRealServerHighLatency",
        "IngressHigh5xxRatio",
        "IngressHighLatency",
        "JvmHeapNearlyFull",
        "JvmGcTimeHigh",
        "LoggerErrorRateHigh",
        "NodeReadyButKubeletDown",
        "NodeNotReadyButKubeletUp",
      ]) {
        const cases = all.filter((c) => c.alertname === alert);
        expect({ alert, fires: cases.some((c) => c.expAlerts.length > 0) }).toEqual({ alert, fires: true });
        expect({ alert, quiet: cases.some((c) => c.expAlerts.length === 0) }).toEqual({ alert, quiet: true });
      }
    });

    it("fail when a threshold drifts (the tests can fail)", () => {
      const drifted = routed.infra.map((g) => ({
        ...g,
        rules: g.rules.map((r) =>
          r.alert === "ConntrackTableFilling" ? { ...r, expr: r.expr.replace(/> [0-9.]+$/, "> 0.85") } : r,
        ),
      }));
      const r = runCases("infra", infraCases(), [...own.infra, ...drifted]);
      expect(r.status).not.toBe(0);
      expect(r.output).toMatch(/ConntrackTableFilling/);
    });
  });
});

describeWithTool("amtool", "generated Alertmanager config", () => {
  it.each(STACKS)("%s alertmanager.yml passes amtool check-config", (stack) => {
    const { files } = render(stack);
    const file = path.join(tempDir(), "alertmanager.yml");
    fs.writeFileSync(file, files.alertmanager);
    const r = runTool("amtool", ["check-config", file]);
    expect(r.output).toMatch(/SUCCESS/);
    expect(r.status).toBe(0);
  });
});
