/**
 * MonitoringStack: Prometheus split by target type (seed part 6: "split into
 * several maps by type"), node-exporter, kube-state-metrics, Alertmanager and
 * Grafana, on the dedicated monitoring machines.
 *
 * Each Prometheus instance (`infra`, `business`) is an HA pair of StatefulSet
 * replicas with its own retention and data volume; both send to one
 * Alertmanager cluster, which deduplicates. Alert rules, scrape jobs and
 * dashboards that other components contribute are data passed in as args.
 */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import * as random from "@pulumi/random";
import type { DatacenterModel } from "../../stacks/model";
import { imagesFor } from "../../stacks/images";
import type { RuleGroup } from "../common/alerts";
import { namespaceSpec } from "../common/namespace";
import { digest } from "../common/digest";
import type { PrometheusInstanceName } from "./contract";
import { CONFIG_FILE, type ContributedScrapeConfig } from "./prometheus-config";
import type { FolderedDashboard } from "./dashboards";
import { monitoringFiles, serviceUrl, type MonitoringFiles } from "./files";
import {
  alertmanagerStatefulSet,
  grafanaDeployment,
  headlessService,
  kubeStateMetricsClusterRoleRules,
  kubeStateMetricsDeployment,
  nodeExporterDaemonSet,
  objectLabels,
  podDisruptionBudget,
  prometheusClusterRoleRules,
  prometheusName,
  prometheusStatefulSet,
  selectorLabels,
  webPorts,
} from "./workloads";

export * from "./contract";
export type { ScrapeConfig, ContributedScrapeConfig } from "./prometheus-config";
export type { Dashboard, FolderedDashboard } from "./dashboards";

export interface MonitoringStackArgs {
  /** The validated datacenter model (`private-cloud:monitoring` holds retention, storage, routing). */
  readonly model: DatacenterModel;
  /**
   * Alert rule groups other components contribute (MasterHA's control plane
   * and Node-status drift, LVS, ingress, logging). Each group is evaluated by
   * the instance that scrapes its metrics: `business` when it reads nginx_,
   * jetty_, jvm_, logback_ or log4j2_ series, `infra` otherwise; a group that
   * reads both is refused. Default: none.
   */
  readonly ruleGroups?: readonly RuleGroup[];
  /**
   * Extra scrape jobs per instance, for targets the scrape annotations cannot
   * describe (hosts outside Kubernetes, exporters behind a prober). Default: none.
   */
  readonly scrapeConfigs?: Partial<Record<PrometheusInstanceName, readonly ContributedScrapeConfig[]>>;
  /** Grafana dashboards other components contribute (typed or plain Grafana JSON), with their folder. Default: none. */
  readonly dashboards?: readonly FolderedDashboard[];
  /** Namespace of the stack (Pod Security `restricted`). Default: monitoring. */
  readonly namespace?: string;
  /** Namespace of node-exporter, the one part that needs the host (`privileged`). Default: node-exporter. */
  readonly nodeExporterNamespace?: string;
  /**
   * Protect the Prometheus and Alertmanager StatefulSets from `pulumi
   * destroy`; their volumes are kept on delete either way. Default: true.
   */
  readonly protectData?: boolean;
}

export class MonitoringStack extends pulumi.ComponentResource {
  /** Namespace of the stack. */
  readonly namespace: pulumi.Output<string>;
  /** In-cluster query URL of each Prometheus instance. */
  readonly prometheusUrls: Record<PrometheusInstanceName, string>;
  readonly alertmanagerUrl: string;
  /** In-cluster URL of Grafana (the Service on port 80). */
  readonly grafanaUrl: string;
  readonly grafanaAdminUser: string;
  /** Generated Grafana admin password (secret). */
  readonly grafanaAdminPassword: pulumi.Output<string>;
  /** Every rendered file (prometheus.yml, rule files, alertmanager.yml, Grafana provisioning). */
  readonly files: MonitoringFiles;

  constructor(name: string, args: MonitoringStackArgs, opts?: pulumi.ComponentResourceOptions) {
    super("private-cloud:monitoring:MonitoringStack", name, {}, opts);
    const { model } = args;
    const mon = model.config.monitoring;
    const images = imagesFor(model);
    const nsName = args.namespace ?? model.namespaces.platform.monitoring;
    const nodeNsName = args.nodeExporterNamespace ?? model.namespaces.platform.nodeExporter;
    const protect = args.protectData ?? true;
    const parent = { parent: this };

    // Throws before any resource exists when contributed data is inconsistent.
    const files = monitoringFiles(model, args, { monitoring: nsName, nodeExporter: nodeNsName });
    this.files = files;

    const ns = new k8s.core.v1.Namespace(
      `${name}-ns`,
      namespaceSpec(nsName, "restricted", "monitoring"),
      parent,
    );
    const nodeNs = new k8s.core.v1.Namespace(
      `${name}-node-exporter-ns`,
      // hostNetwork, hostPID and hostPath mounts: only `privileged` admits them.
      namespaceSpec(nodeNsName, "privileged", "monitoring"),
      parent,
    );
    const namespace = ns.metadata.name;
    this.namespace = namespace;

    // --- RBAC ---------------------------------------------------------------
    const clusterReader = (app: string, rules: k8s.types.input.rbac.v1.PolicyRule[]) => {
      const sa = new k8s.core.v1.ServiceAccount(
        `${name}-${app}`,
        { metadata: { name: app, namespace, labels: objectLabels(app) } },
        parent,
      );
      const role = new k8s.rbac.v1.ClusterRole(
        `${name}-${app}`,
        { metadata: { name: `${nsName}-${app}`, labels: objectLabels(app) }, rules },
        parent,
      );
      new k8s.rbac.v1.ClusterRoleBinding(
        `${name}-${app}`,
        {
          metadata: { name: `${nsName}-${app}`, labels: objectLabels(app) },
          roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: role.metadata.name },
          subjects: [{ kind: "ServiceAccount", name: sa.metadata.name, namespace }],
        },
        parent,
      );
      return sa;
    };
    const prometheusSa = clusterReader("prometheus", prometheusClusterRoleRules());
    const ksmSa = clusterReader("kube-state-metrics", kubeStateMetricsClusterRoleRules());

    // --- Prometheus, one StatefulSet per instance ----------------------------
    this.prometheusUrls = {} as Record<PrometheusInstanceName, string>;
    for (const inst of files.instances) {
      const base = `${name}-${prometheusName(inst.name)}`;
      const k8sName = prometheusName(inst.name);
      const config = new k8s.core.v1.ConfigMap(
        `${base}-config`,
        {
          metadata: { name: `${k8sName}-config`, namespace, labels: objectLabels("prometheus", inst.name) },
          data: { [CONFIG_FILE]: files.prometheus[inst.name] },
        },
        parent,
      );
      const rules = new k8s.core.v1.ConfigMap(
        `${base}-rules`,
        {
          metadata: { name: `${k8sName}-rules`, namespace, labels: objectLabels("prometheus", inst.name) },
          data: files.rules[inst.name],
        },
        parent,
      );
      new k8s.core.v1.Service(
        `${base}`,
        headlessService(k8sName, nsName, "prometheus", inst.name, [
          { name: "web", port: webPorts.prometheus },
        ]),
        { parent: this, dependsOn: [ns] },
      );
      new k8s.apps.v1.StatefulSet(
        `${base}`,
        prometheusStatefulSet({
          instance: inst,
          namespace: nsName,
          image: images.prometheus,
          serviceAccountName: "prometheus",
          configMapName: `${k8sName}-config`,
          rulesConfigMapName: `${k8sName}-rules`,
          storageClass: mon.storageClass,
          configDigest: digest(files.prometheus[inst.name], ...Object.values(files.rules[inst.name])),
        }),
        { parent: this, dependsOn: [config, rules, prometheusSa], protect },
      );
      if (inst.replicas > 1)
        new k8s.policy.v1.PodDisruptionBudget(
          `${base}`,
          podDisruptionBudget(k8sName, nsName, "prometheus", inst.name),
          { parent: this, dependsOn: [ns] },
        );
      this.prometheusUrls[inst.name] = serviceUrl(k8sName, nsName, webPorts.prometheus);
    }

    // --- node-exporter ---------------------------------------------------------
    new k8s.apps.v1.DaemonSet(
      `${name}-node-exporter`,
      nodeExporterDaemonSet(nodeNsName, images.nodeExporter),
      {
        parent: this,
        dependsOn: [nodeNs],
      },
    );

    // --- kube-state-metrics ----------------------------------------------------
    new k8s.apps.v1.Deployment(
      `${name}-kube-state-metrics`,
      kubeStateMetricsDeployment(nsName, images.kubeStateMetrics, "kube-state-metrics"),
      { parent: this, dependsOn: [ksmSa] },
    );

    // --- Alertmanager ------------------------------------------------------------
    const am = mon.alertmanager;
    // A Secret: receiver URLs often carry tokens.
    const amConfig = new k8s.core.v1.Secret(
      `${name}-alertmanager-config`,
      {
        metadata: { name: "alertmanager-config", namespace, labels: objectLabels("alertmanager") },
        stringData: { "alertmanager.yml": files.alertmanager },
      },
      parent,
    );
    new k8s.core.v1.Service(
      `${name}-alertmanager`,
      headlessService(
        "alertmanager",
        nsName,
        "alertmanager",
        undefined,
        [
          { name: "web", port: webPorts.alertmanager },
          { name: "mesh-tcp", port: webPorts.alertmanagerMesh },
          { name: "mesh-udp", port: webPorts.alertmanagerMesh, protocol: "UDP" },
        ],
        // Peers must resolve each other before they are ready: readiness waits for the mesh.
        true,
      ),
      { parent: this, dependsOn: [ns] },
    );
    new k8s.apps.v1.StatefulSet(
      `${name}-alertmanager`,
      alertmanagerStatefulSet({
        namespace: nsName,
        image: images.alertmanager,
        replicas: am.replicas,
        storageGiB: am.storageGiB,
        storageClass: mon.storageClass,
        configSecretName: "alertmanager-config",
        configDigest: digest(files.alertmanager),
      }),
      { parent: this, dependsOn: [amConfig], protect },
    );
    if (am.replicas > 1)
      new k8s.policy.v1.PodDisruptionBudget(
        `${name}-alertmanager`,
        podDisruptionBudget("alertmanager", nsName, "alertmanager"),
        { parent: this, dependsOn: [ns] },
      );
    this.alertmanagerUrl = serviceUrl("alertmanager", nsName, webPorts.alertmanager);

    // --- Grafana -------------------------------------------------------------------
    const password = new random.RandomPassword(
      `${name}-grafana-admin`,
      // Alphanumeric: it goes through env vars and shells without quoting trouble; 32 characters is ~190 bits.
      { length: 32, special: false },
      parent,
    );
    this.grafanaAdminUser = mon.grafana.adminUser;
    this.grafanaAdminPassword = pulumi.secret(password.result);
    const adminSecret = new k8s.core.v1.Secret(
      `${name}-grafana-admin`,
      {
        metadata: { name: "grafana-admin", namespace, labels: objectLabels("grafana") },
        stringData: { "admin-user": mon.grafana.adminUser, "admin-password": this.grafanaAdminPassword },
      },
      parent,
    );
    const cm = (suffix: string, data: Record<string, string>) =>
      new k8s.core.v1.ConfigMap(
        `${name}-grafana-${suffix}`,
        { metadata: { name: `grafana-${suffix}`, namespace, labels: objectLabels("grafana") }, data },
        parent,
      );
    const grafanaConfigs = [
      cm("ini", { "grafana.ini": files.grafana.ini }),
      cm("datasources", { "datasources.yaml": files.grafana.datasources }),
      cm("providers", { "providers.yaml": files.grafana.providers }),
    ];
    const dashboardMaps = [...files.grafana.dashboards].map(([folder, data]) => ({
      folder,
      configMapName: `grafana-dashboards-${folder}`,
      resource: cm(`dashboards-${folder}`, data),
    }));
    new k8s.apps.v1.Deployment(
      `${name}-grafana`,
      grafanaDeployment({
        namespace: nsName,
        image: images.grafana,
        adminSecretName: "grafana-admin",
        iniConfigMapName: "grafana-ini",
        datasourcesConfigMapName: "grafana-datasources",
        providersConfigMapName: "grafana-providers",
        dashboardConfigMaps: dashboardMaps.map(({ folder, configMapName }) => ({ folder, configMapName })),
        configDigest: digest(
          files.grafana.ini,
          files.grafana.datasources,
          files.grafana.providers,
          ...dashboardMaps.flatMap((d) => Object.values(files.grafana.dashboards.get(d.folder) ?? {})),
        ),
      }),
      { parent: this, dependsOn: [adminSecret, ...grafanaConfigs, ...dashboardMaps.map((d) => d.resource)] },
    );
    new k8s.core.v1.Service(
      `${name}-grafana`,
      {
        metadata: { name: "grafana", namespace, labels: objectLabels("grafana") },
        spec: {
          selector: selectorLabels("grafana"),
          ports: [{ name: "http", port: 80, targetPort: "http" }],
        },
      },
      parent,
    );
    this.grafanaUrl = `http://grafana.${nsName}.svc`;

    this.registerOutputs({
      namespace: this.namespace,
      prometheusUrls: this.prometheusUrls,
      alertmanagerUrl: this.alertmanagerUrl,
      grafanaUrl: this.grafanaUrl,
      grafanaAdminUser: this.grafanaAdminUser,
      grafanaAdminPassword: this.grafanaAdminPassword,
    });
  }
}
