/**
 * LoggingStack: Elasticsearch on the logging machines (three masters, data
 * nodes on retained volumes, client nodes) plus what business workloads need
 * to ship to it — the writer credentials and the client URL that the filebeat
 * sidecar builder (components/common/filebeat.ts) takes.
 *
 * Data safety: the data and master StatefulSets are `protect`ed (a `pulumi
 * destroy` or a rename stops instead of deleting them) and `retainOnDelete`
 * (if they are removed from the program anyway, Kubernetes keeps them), and
 * their claims are kept by `persistentVolumeClaimRetentionPolicy` when the
 * StatefulSet is deleted or scaled down.
 */
import type { MonitoringContribution } from "../monitoring-stack/contribution";
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import * as command from "@pulumi/command";
import * as random from "@pulumi/random";
import type { DatacenterModel } from "../../stacks/model";
import { ES_CA_KEY } from "../common/filebeat";
import type { RuleGroup } from "../common/alerts";
import type { Dashboard } from "../monitoring-stack/dashboards";
import type { ScrapeConfig } from "../monitoring-stack/prometheus-config";
import { httpCertScript, parseTransportPki, transportCertScript } from "./certs";
import { loggingNetwork } from "./network";
import { networkPolicyResources } from "../common/network-policy-resources";
import {
  clientUrl,
  clusterName,
  CREDENTIAL_KEYS,
  esClientDeployment,
  esConfigMap,
  esNames,
  esPdb,
  ES_ROLES,
  esServices,
  esStatefulSet,
  EXPORTER_USER,
  httpDnsNames,
  LOG_WRITER_USER,
  loggingNamespace,
  LOGGING_NAMESPACE,
  setupJob,
} from "./elasticsearch";
import {
  esExporterDeployment,
  filebeatScrapeConfig,
  jsonExporterConfigMap,
  jsonExporterDeployment,
  jsonExporterService,
  logShippingDashboard,
  loggingAlertRules,
} from "./monitoring";

export { ES_HOST_SYSCTLS, esResources, esSettings } from "./elasticsearch";
export { loggingAlertRules, filebeatScrapeConfig, logShippingDashboard } from "./monitoring";

export interface LoggingStackArgs {
  /** The validated datacenter model (`private-cloud:logging` sizes the cluster). Required. */
  readonly model: DatacenterModel;
  /**
   * Protect the master and data StatefulSets from `pulumi destroy` (they are
   * retained on delete either way). Default: true.
   */
  readonly protectData?: boolean;
  /**
   * Bump to issue a new transport CA and certificate (rolls the cluster). Default: "1".
   */
  readonly transportCertRotation?: string;
  /**
   * Bump to issue a new HTTP CA and certificate (rolls the cluster and every
   * client's CA ConfigMap). Default: "1".
   */
  readonly httpCertRotation?: string;
}

export class LoggingStack extends pulumi.ComponentResource {
  /** Namespace of the stack: `logging`. */
  readonly namespace: string;
  /** Where business workloads ship: the client nodes' Service URL(s). */
  readonly clientUrls: string[];
  /** User the filebeat sidecars write as (may only append to business data streams). */
  readonly logWriterUsername: string;
  /** Its password (secret). */
  readonly logWriterPassword: pulumi.Output<string>;
  /** The `elastic` superuser's password (secret). */
  readonly elasticPassword: pulumi.Output<string>;
  /** The CA certificate (PEM, public) that clients verify Elasticsearch's HTTPS certificate with. */
  readonly httpCaCert: pulumi.Output<string>;
  /** Alert rules for the MonitoringStack (Elasticsearch health, filebeat lag). */
  readonly alertRules: RuleGroup[];
  /** Scrape job for the infra instance: filebeat sidecars through json-exporter. */
  readonly scrapeConfigs: ScrapeConfig[];
  /** Dashboards for Grafana (the Elasticsearch one is the MonitoringStack's own). */
  readonly dashboards: Dashboard[];
  /** All of the above as one monitoring contribution (infra instance; dashboards in the platform folder). */
  readonly monitoring: MonitoringContribution;

  constructor(name: string, args: LoggingStackArgs, opts?: pulumi.ComponentResourceOptions) {
    super("private-cloud:observability:LoggingStack", name, {}, opts);
    const { model } = args;
    const protect = args.protectData ?? true;

    this.namespace = LOGGING_NAMESPACE;
    this.clientUrls = [clientUrl()];
    this.logWriterUsername = LOG_WRITER_USER;
    this.alertRules = loggingAlertRules(model);
    this.scrapeConfigs = [filebeatScrapeConfig()];
    this.dashboards = [logShippingDashboard()];
    this.monitoring = {
      ruleGroups: { infra: this.alertRules },
      scrapeConfigs: { infra: this.scrapeConfigs },
      dashboards: this.dashboards.map((dashboard) => ({ folder: "platform", dashboard })),
    };

    // Retained by `pulumi destroy` with the claims in it: deleting the
    // namespace deleted every claim, the next `up` bound fresh volumes and
    // the retained ones stayed Released (issue 14). Kept, the next `up`
    // adopts the namespace (server-side apply upserts) and the StatefulSets'
    // claims, still bound to their volumes, are mounted again by name.
    const ns = new k8s.core.v1.Namespace(`${name}-ns`, loggingNamespace(), {
      parent: this,
      retainOnDelete: true,
    });
    const inNs = { parent: this, dependsOn: [ns] };
    networkPolicyResources(name, loggingNetwork(model).policies, inNs);

    // --- Credentials ---------------------------------------------------------------
    // Alphanumeric: they travel through JSON bodies and shell in the setup Job.
    const password = (suffix: string) =>
      new random.RandomPassword(
        `${name}-${suffix}-password`,
        { length: 32, special: false },
        { parent: this },
      );
    const elastic = password("elastic");
    const writer = password("writer");
    const exporter = password("exporter");
    this.elasticPassword = pulumi.secret(elastic.result);
    this.logWriterPassword = pulumi.secret(writer.result);
    const credentials = new k8s.core.v1.Secret(
      `${name}-credentials`,
      {
        metadata: { name: esNames.credentials, namespace: LOGGING_NAMESPACE },
        type: "Opaque",
        stringData: {
          [CREDENTIAL_KEYS.elasticPassword]: elastic.result,
          [CREDENTIAL_KEYS.writerUsername]: LOG_WRITER_USER,
          [CREDENTIAL_KEYS.writerPassword]: writer.result,
          [CREDENTIAL_KEYS.exporterUsername]: EXPORTER_USER,
          [CREDENTIAL_KEYS.exporterPassword]: exporter.result,
        },
      },
      { ...inNs, additionalSecretOutputs: ["stringData", "data"] },
    );

    // --- Transport TLS ---------------------------------------------------------------
    const pki = new command.local.Command(
      `${name}-transport-pki`,
      {
        create: transportCertScript(clusterName(model)),
        triggers: [args.transportCertRotation ?? "1"],
      },
      { parent: this, additionalSecretOutputs: ["stdout"] },
    );
    // stdout is undefined only under unit-test mocks (a real run either prints
    // the PEMs or fails the command: the script runs with `set -eu`).
    const parsed = pki.stdout.apply((out) =>
      out === undefined ? { caCert: "", nodeCert: "", nodeKey: "" } : parseTransportPki(out),
    );
    const tls = new k8s.core.v1.Secret(
      `${name}-transport-tls`,
      {
        metadata: { name: esNames.transportTls, namespace: LOGGING_NAMESPACE },
        type: "Opaque",
        stringData: {
          "ca.crt": parsed.caCert,
          "tls.crt": parsed.nodeCert,
          "tls.key": pulumi.secret(parsed.nodeKey),
        },
      },
      { ...inNs, additionalSecretOutputs: ["stringData", "data"] },
    );

    // --- HTTP TLS ---------------------------------------------------------------------
    // Its own CA: clients trust the HTTP certificate, never the transport CA
    // that lets a node join the cluster.
    const httpPki = new command.local.Command(
      `${name}-http-pki`,
      {
        create: httpCertScript(clusterName(model), httpDnsNames()),
        triggers: [args.httpCertRotation ?? "1"],
      },
      { parent: this, additionalSecretOutputs: ["stdout"] },
    );
    const http = httpPki.stdout.apply((out) =>
      out === undefined ? { caCert: "", nodeCert: "", nodeKey: "" } : parseTransportPki(out),
    );
    // The CA certificate is public: unwrap it from the command's secret stdout.
    this.httpCaCert = pulumi.unsecret(http.caCert);
    const httpTls = new k8s.core.v1.Secret(
      `${name}-http-tls`,
      {
        metadata: { name: esNames.httpTls, namespace: LOGGING_NAMESPACE },
        type: "Opaque",
        stringData: {
          "ca.crt": this.httpCaCert,
          "tls.crt": http.nodeCert,
          "tls.key": pulumi.secret(http.nodeKey),
        },
      },
      { ...inNs, additionalSecretOutputs: ["stringData", "data"] },
    );
    const httpCa = new k8s.core.v1.ConfigMap(
      `${name}-http-ca`,
      {
        metadata: { name: esNames.httpCa, namespace: LOGGING_NAMESPACE },
        data: { [ES_CA_KEY]: this.httpCaCert },
      },
      inNs,
    );

    // --- Elasticsearch -----------------------------------------------------------------
    const configs = ES_ROLES.map(
      (r) => new k8s.core.v1.ConfigMap(`${name}-config-${r}`, esConfigMap(model, r), inNs),
    );
    // Keyed: each Service's resource name follows its key, never its position.
    const services = Object.entries(esServices()).map(
      ([key, s]) => new k8s.core.v1.Service(`${name}-svc-${key}`, s, inNs),
    );
    const before = [ns, credentials, tls, httpTls, ...configs, ...services];
    const dataOpts = { parent: this, dependsOn: before, protect, retainOnDelete: true };
    const master = new k8s.apps.v1.StatefulSet(`${name}-master`, esStatefulSet(model, "master"), dataOpts);
    const data = new k8s.apps.v1.StatefulSet(`${name}-data`, esStatefulSet(model, "data"), dataOpts);
    const client = new k8s.apps.v1.Deployment(`${name}-client`, esClientDeployment(model), {
      parent: this,
      dependsOn: before,
    });
    for (const r of ES_ROLES) new k8s.policy.v1.PodDisruptionBudget(`${name}-pdb-${r}`, esPdb(r), inNs);
    new k8s.batch.v1.Job(`${name}-setup`, setupJob(model), {
      parent: this,
      dependsOn: [credentials, httpCa, master, data, client],
    });

    // --- Exporters -------------------------------------------------------------------
    new k8s.apps.v1.Deployment(`${name}-es-exporter`, esExporterDeployment(model), {
      parent: this,
      dependsOn: [ns, credentials, httpCa],
    });
    const jsonCfg = new k8s.core.v1.ConfigMap(
      `${name}-filebeat-exporter-config`,
      jsonExporterConfigMap(),
      inNs,
    );
    new k8s.apps.v1.Deployment(`${name}-filebeat-exporter`, jsonExporterDeployment(model), {
      parent: this,
      dependsOn: [ns, jsonCfg],
    });
    new k8s.core.v1.Service(`${name}-filebeat-exporter`, jsonExporterService(), inNs);

    this.registerOutputs({
      namespace: this.namespace,
      clientUrls: this.clientUrls,
      logWriterUsername: this.logWriterUsername,
      logWriterPassword: this.logWriterPassword,
      elasticPassword: this.elasticPassword,
      httpCaCert: this.httpCaCert,
    });
  }
}
