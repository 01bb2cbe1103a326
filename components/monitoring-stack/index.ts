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
import { POD_REPLACE_SECONDS, withRolloutAwait } from "../common/rollout";
import * as random from "@pulumi/random";
import type { DatacenterModel } from "../../stacks/model";
import { imagesFor } from "../../stacks/images";
import { namespaceSpec } from "../common/namespace";
import { monitoringNetwork } from "./network";
import { networkPolicyResources } from "../common/network-policy-resources";
import { digest } from "../common/digest";
import type { PrometheusInstanceName } from "./contract";
import { CONFIG_FILE } from "./prometheus-config";
import type { MonitoringContributions } from "./contribution";
import { objectNames, resourceNames } from "./names";
import { monitoringFiles, serviceUrl, type MonitoringFiles } from "./files";
import { RELEASE_RULES_INSTANCE, releaseRuleSources } from "./release-rules";
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
  prometheusStatefulSet,
  selectorLabels,
  webPorts,
} from "./workloads";

export * from "./contract";
export * from "./contribution";
export * from "./release-rules";
export type { ScrapeConfig, ContributedScrapeConfig } from "./prometheus-config";
export type { Dashboard, FolderedDashboard } from "./dashboards";

export interface MonitoringStackArgs {
  /** The validated datacenter model (`private-cloud:monitoring` holds retention, storage, routing). */
  readonly model: DatacenterModel;
  /**
   * What other components contribute (MasterHA's control-plane rules, Calico,
   * LVS, ingress, logging), keyed by contributor, each in one shape: rule
   * groups by the instance that evaluates them, scrape jobs by instance,
   * dashboards with their folder. Default: none.
   */
  readonly contributions?: MonitoringContributions;
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

    const rn = resourceNames(name);
    const on = objectNames;
    const ns = new k8s.core.v1.Namespace(
      rn.namespace,
      namespaceSpec(nsName, "restricted", "monitoring"),
      // Kept by `pulumi destroy` with the Prometheus and Alertmanager claims
      // in it, so the next `up` mounts the same volumes (see LoggingStack).
      { ...parent, retainOnDelete: true },
    );
    const nodeNs = new k8s.core.v1.Namespace(
      rn.nodeExporterNamespace,
      // hostNetwork, hostPID and hostPath mounts: only `privileged` admits them.
      namespaceSpec(nodeNsName, "privileged", "monitoring"),
      parent,
    );
    const namespace = ns.metadata.name;
    this.namespace = namespace;
    networkPolicyResources(
      name,
      monitoringNetwork(model, { monitoring: nsName, nodeExporter: nodeNsName }).policies,
      { parent: this, dependsOn: [ns, nodeNs] },
    );

    // --- RBAC ---------------------------------------------------------------
    const clusterReader = (app: string, rules: k8s.types.input.rbac.v1.PolicyRule[]) => {
      const sa = new k8s.core.v1.ServiceAccount(
        rn.reader(app),
        { metadata: { name: app, namespace, labels: objectLabels(app) } },
        parent,
      );
      const role = new k8s.rbac.v1.ClusterRole(
        rn.reader(app),
        { metadata: { name: on.clusterRole(nsName, app), labels: objectLabels(app) }, rules },
        parent,
      );
      new k8s.rbac.v1.ClusterRoleBinding(
        rn.reader(app),
        {
          metadata: { name: on.clusterRole(nsName, app), labels: objectLabels(app) },
          roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: role.metadata.name },
          subjects: [{ kind: "ServiceAccount", name: sa.metadata.name, namespace }],
        },
        parent,
      );
      return sa;
    };
    const prometheusSa = clusterReader(on.serviceAccount.prometheus, prometheusClusterRoleRules());
    const ksmSa = clusterReader(on.serviceAccount.kubeStateMetrics, kubeStateMetricsClusterRoleRules());

    // --- Prometheus, one StatefulSet per instance ----------------------------
    this.prometheusUrls = {} as Record<PrometheusInstanceName, string>;
    for (const inst of files.instances) {
      const base = rn.prometheus(inst.name);
      const k8sName = on.prometheus(inst.name);
      const config = new k8s.core.v1.ConfigMap(
        `${base}-config`,
        {
          metadata: {
            name: on.prometheusConfig(inst.name),
            namespace,
            labels: objectLabels("prometheus", inst.name),
          },
          data: { [CONFIG_FILE]: files.prometheus[inst.name] },
        },
        parent,
      );
      const rules = new k8s.core.v1.ConfigMap(
        `${base}-rules`,
        {
          metadata: {
            name: on.prometheusRules(inst.name),
            namespace,
            labels: objectLabels("prometheus", inst.name),
          },
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
          serviceAccountName: on.serviceAccount.prometheus,
          configMapName: on.prometheusConfig(inst.name),
          rulesConfigMapName: on.prometheusRules(inst.name),
          storageClass: mon.storageClass,
          configDigest: digest(files.prometheus[inst.name], ...Object.values(files.rules[inst.name])),
          ...(inst.name === RELEASE_RULES_INSTANCE
            ? { releaseRuleSources: releaseRuleSources(model.config.businesses.map((b) => b.name)) }
            : {}),
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
    const nodeExporter = nodeExporterDaemonSet(nodeNsName, images.nodeExporter);
    new k8s.apps.v1.DaemonSet(
      rn.nodeExporter,
      withRolloutAwait(nodeExporter, model.inventory.hosts, POD_REPLACE_SECONDS.nodeExporter),
      { parent: this, dependsOn: [nodeNs] },
    );

    // --- kube-state-metrics ----------------------------------------------------
    new k8s.apps.v1.Deployment(
      rn.kubeStateMetrics,
      kubeStateMetricsDeployment(nsName, images.kubeStateMetrics, on.serviceAccount.kubeStateMetrics),
      { parent: this, dependsOn: [ksmSa] },
    );

    // --- Alertmanager ------------------------------------------------------------
    const am = mon.alertmanager;
    // A Secret: receiver URLs often carry tokens.
    const amConfig = new k8s.core.v1.Secret(
      rn.alertmanagerConfig,
      {
        metadata: { name: on.alertmanagerConfig, namespace, labels: objectLabels("alertmanager") },
        stringData: { "alertmanager.yml": files.alertmanager },
      },
      parent,
    );
    new k8s.core.v1.Service(
      rn.alertmanager,
      headlessService(
        on.alertmanager,
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
      rn.alertmanager,
      alertmanagerStatefulSet({
        namespace: nsName,
        image: images.alertmanager,
        replicas: am.replicas,
        storageGiB: am.storageGiB,
        storageClass: mon.storageClass,
        configSecretName: on.alertmanagerConfig,
        configDigest: digest(files.alertmanager),
      }),
      { parent: this, dependsOn: [amConfig], protect },
    );
    if (am.replicas > 1)
      new k8s.policy.v1.PodDisruptionBudget(
        rn.alertmanager,
        podDisruptionBudget(on.alertmanager, nsName, "alertmanager"),
        { parent: this, dependsOn: [ns] },
      );
    this.alertmanagerUrl = serviceUrl(on.alertmanager, nsName, webPorts.alertmanager);

    // --- Grafana -------------------------------------------------------------------
    const password = new random.RandomPassword(
      rn.grafanaAdminPassword,
      // Alphanumeric: it goes through env vars and shells without quoting trouble; 32 characters is ~190 bits.
      { length: 32, special: false },
      parent,
    );
    this.grafanaAdminUser = mon.grafana.adminUser;
    this.grafanaAdminPassword = pulumi.secret(password.result);
    const adminSecret = new k8s.core.v1.Secret(
      rn.grafanaAdmin,
      {
        metadata: { name: on.grafanaAdmin, namespace, labels: objectLabels("grafana") },
        stringData: { "admin-user": mon.grafana.adminUser, "admin-password": this.grafanaAdminPassword },
      },
      parent,
    );
    const cm = (suffix: string, data: Record<string, string>) =>
      new k8s.core.v1.ConfigMap(
        rn.grafanaConfigMap(suffix),
        { metadata: { name: on.grafanaConfigMap(suffix), namespace, labels: objectLabels("grafana") }, data },
        parent,
      );
    const grafanaConfigs = [
      cm("ini", { "grafana.ini": files.grafana.ini }),
      cm("datasources", { "datasources.yaml": files.grafana.datasources }),
      cm("providers", { "providers.yaml": files.grafana.providers }),
    ];
    const dashboardMaps = [...files.grafana.dashboards].map(([folder, data]) => ({
      folder,
      configMapName: on.grafanaConfigMap(`dashboards-${folder}`),
      resource: cm(`dashboards-${folder}`, data),
    }));
    new k8s.apps.v1.Deployment(
      rn.grafana,
      grafanaDeployment({
        namespace: nsName,
        image: images.grafana,
        adminSecretName: on.grafanaAdmin,
        iniConfigMapName: on.grafanaConfigMap("ini"),
        datasourcesConfigMapName: on.grafanaConfigMap("datasources"),
        providersConfigMapName: on.grafanaConfigMap("providers"),
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
      rn.grafana,
      {
        metadata: { name: on.grafana, namespace, labels: objectLabels("grafana") },
        spec: {
          selector: selectorLabels("grafana"),
          ports: [{ name: "http", port: 80, targetPort: "http" }],
        },
      },
      parent,
    );
    this.grafanaUrl = `http://${on.grafana}.${nsName}.svc`;

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
