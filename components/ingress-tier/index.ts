/**
 * IngressTier: one business's reverse-proxy tier (seed part 5) — nginx with
 * the ingress-nginx controller in pods on the ingress machines, in front of
 * the business's Jetty upstreams, behind the business VIP on the FULLNAT LVS.
 *
 * What the seed learnt, and where it lives:
 *  - workers follow the CPU limit, pinned and spread (nginx.ts, sizing.ts);
 *  - scale-in leaves the LB first, then drains (preStop + health server);
 *  - scale-out waits out the warm-up (startup probe);
 *  - probes that cannot snowball into an avalanche (probes.ts floors);
 *  - headless upstreams, no kube-proxy rules for the VIP Service (part 3);
 *  - logs to an EmptyDir, shipped by the filebeat sidecar (part 7).
 */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import type { Business } from "../../stacks/schema";
import type { DatacenterModel } from "../../stacks/model";
import { servesHttps } from "../../stacks/tls";
import { ES_CA_CONFIGMAP, ES_CA_KEY, LOG_WRITER_SECRET_KEYS } from "../common/filebeat";
import { networkPolicyResources } from "../common/network-policy-resources";
import { ingressNetwork } from "./network";
import { vipAssignments } from "../fullnat-lvs/vips";
import { nginxTuning, type NginxTuning } from "./nginx";
import {
  appNamespaceRules,
  clusterRole,
  controllerConfigMap,
  deployment,
  hpa,
  ingress,
  ingressClass,
  l4ServiceConfigMaps,
  namespaces,
  pdb,
  rackGatewaysConfigMap,
  tierNames,
  tlsSecret,
  withContentNames,
  tierNamespaceRules,
  upstreamService,
  vipService,
  type TierNames,
} from "./manifests";

export { ingressAlertRules, ingressMonitoring, ingressThresholds } from "./alerts";
export { nginxTuning, controllerConfigData, renderNginxConf } from "./nginx";
export { tierNames, tierPodSelector, upstreamPodSelector } from "./manifests";

/** Where the tier's filebeat sidecars ship to (from the LoggingStack). */
export interface IngressLogShipping {
  /** Elasticsearch client URLs. Required (LoggingStack.clientUrls). */
  readonly hosts: readonly string[];
  /** Log writer user name. Required (LoggingStack.logWriterUsername). */
  readonly username: pulumi.Input<string>;
  /** Log writer password (secret). Required (LoggingStack.logWriterPassword). */
  readonly password: pulumi.Input<string>;
  /**
   * Elasticsearch's HTTP CA certificate (PEM). Required (LoggingStack.httpCaCert).
   * Put in the tier's and the business's namespaces, where filebeat sidecars read it.
   */
  readonly caCert: pulumi.Input<string>;
}

export interface IngressTierArgs {
  /** The validated datacenter model. Required. */
  readonly model: DatacenterModel;
  /** Name of the business (an entry of `private-cloud:businesses`). Required. */
  readonly business: string;
  /** Log shipping for the filebeat sidecar. Required: every business workload ships its logs. */
  readonly logShipping: IngressLogShipping;
}

export class IngressTier extends pulumi.ComponentResource {
  /** Namespace of the nginx tier, `ingress-<business>`. */
  readonly namespace: string;
  /** Namespace of the business's Jetty pods, upstream Service and Ingress, `<business>`. */
  readonly appNamespace: string;
  /** The tier's IngressClass; the business's Ingresses name it. */
  readonly ingressClassName: string;
  /** The business VIP the LVS tier announces. */
  readonly vip: string;
  /** Derived nginx numbers (workers, affinity, connections, grace periods). */
  readonly tuning: NginxTuning;
  /** The nginx Deployment. */
  readonly deployment: k8s.apps.v1.Deployment;

  constructor(name: string, args: IngressTierArgs, opts?: pulumi.ComponentResourceOptions) {
    super("private-cloud:traffic:IngressTier", name, {}, opts);
    const { model } = args;
    const biz: Business | undefined = model.config.businesses.find((b) => b.name === args.business);
    if (!biz)
      throw new Error(
        `IngressTier ${name}: business ${JSON.stringify(args.business)} is not in private-cloud:businesses (expected one of ${JSON.stringify(model.config.businesses.map((b) => b.name))})`,
      );
    const vip = vipAssignments(model).find((a) => a.business === biz.name)?.vip;
    if (!vip)
      throw new Error(
        `IngressTier ${name}: business ${JSON.stringify(biz.name)} has no VIP in datacenter ${model.name}`,
      );

    const t = nginxTuning(model, biz);
    const n: TierNames = withContentNames(tierNames(biz.name), t, biz);
    this.namespace = n.namespace;
    this.appNamespace = n.appNamespace;
    this.ingressClassName = n.ingressClass;
    this.vip = vip;
    this.tuning = t;

    const child = { parent: this };
    // Keyed, not positional: the resource name follows the key, so a
    // reordered builder can never swap (and so replace) the two namespaces.
    const nsSpecs = namespaces(n);
    const tierNs = new k8s.core.v1.Namespace(`${name}-ns-tier`, nsSpecs.tier, child);
    const appNs = new k8s.core.v1.Namespace(`${name}-ns-app`, nsSpecs.app, child);
    const inTier = { parent: this, dependsOn: [tierNs] };
    const inApp = { parent: this, dependsOn: [appNs] };
    networkPolicyResources(name, ingressNetwork(model, biz).policies, {
      parent: this,
      dependsOn: [tierNs, appNs],
    });

    const cls = new k8s.networking.v1.IngressClass(`${name}-class`, ingressClass(n), child);

    // --- RBAC ---------------------------------------------------------------------
    const sa = new k8s.core.v1.ServiceAccount(
      `${name}-sa`,
      {
        metadata: {
          name: n.serviceAccount,
          namespace: n.namespace,
          labels: { "private-cloud.io/business": n.business },
        },
      },
      inTier,
    );
    const subject = { kind: "ServiceAccount", name: n.serviceAccount, namespace: n.namespace };
    const cr = new k8s.rbac.v1.ClusterRole(`${name}-clusterrole`, clusterRole(n), child);
    const crb = new k8s.rbac.v1.ClusterRoleBinding(
      `${name}-clusterrolebinding`,
      {
        metadata: { name: n.clusterRole },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: n.clusterRole },
        subjects: [subject],
      },
      { parent: this, dependsOn: [cr] },
    );
    const rbac: pulumi.Resource[] = [sa, crb];
    for (const [suffix, ns, rules, o] of [
      ["tier", n.namespace, tierNamespaceRules(), inTier],
      ["app", n.appNamespace, appNamespaceRules(), inApp],
    ] as const) {
      const role = new k8s.rbac.v1.Role(
        `${name}-role-${suffix}`,
        { metadata: { name: n.role, namespace: ns }, rules },
        o,
      );
      rbac.push(
        new k8s.rbac.v1.RoleBinding(
          `${name}-rolebinding-${suffix}`,
          {
            metadata: { name: n.role, namespace: ns },
            roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: n.role },
            subjects: [subject],
          },
          { parent: this, dependsOn: [...o.dependsOn, role] },
        ),
      );
    }

    // --- Configuration -------------------------------------------------------------
    const configs: pulumi.Resource[] = [
      new k8s.core.v1.ConfigMap(`${name}-controller-config`, controllerConfigMap(n, t), inTier),
      ...l4ServiceConfigMaps(n, biz).map(
        (cm, i) => new k8s.core.v1.ConfigMap(`${name}-${i === 0 ? "tcp" : "udp"}-services`, cm, inTier),
      ),
      new k8s.core.v1.ConfigMap(`${name}-rack-gateways`, rackGatewaysConfigMap(model, n), inTier),
      new k8s.core.v1.Secret(
        `${name}-log-writer`,
        {
          metadata: {
            name: n.logWriterSecret,
            namespace: n.namespace,
            labels: { "private-cloud.io/business": n.business },
          },
          type: "Opaque",
          stringData: {
            [LOG_WRITER_SECRET_KEYS.username]: args.logShipping.username,
            [LOG_WRITER_SECRET_KEYS.password]: pulumi.secret(args.logShipping.password),
          },
        },
        inTier,
      ),
    ];

    // Elasticsearch's HTTP CA for the filebeat sidecars: the tier's, and the
    // business's (its releases' sidecars read it from their namespace).
    for (const [suffix, ns, o] of [
      ["tier", n.namespace, inTier],
      ["app", n.appNamespace, inApp],
    ] as const)
      configs.push(
        new k8s.core.v1.ConfigMap(
          `${name}-es-ca-${suffix}`,
          {
            metadata: {
              name: ES_CA_CONFIGMAP,
              namespace: ns,
              labels: { "private-cloud.io/business": n.business },
            },
            data: { [ES_CA_KEY]: args.logShipping.caCert },
          },
          o,
        ),
      );

    // The business's certificate: the Ingress's `tls` and the controller's
    // default certificate (--default-ssl-certificate), so the controller
    // starts with it rather than with its self-signed fake.
    const cert = model.tls[biz.name];
    const certificate = servesHttps(biz)
      ? [
          new k8s.core.v1.Secret(
            `${name}-tls`,
            // A model read from a stack file has no keys (they are encrypted there): placeholder, like no certificate.
            tlsSecret(
              n,
              cert?.privateKey === undefined
                ? undefined
                : { certificate: cert.certificate, privateKey: pulumi.secret(cert.privateKey) },
            ),
            { ...inApp, additionalSecretOutputs: ["stringData", "data"] },
          ),
        ]
      : [];
    configs.push(...certificate);

    // --- Workload ------------------------------------------------------------------
    const built = deployment(model, n, biz, t, vip, {
      hosts: args.logShipping.hosts,
      credentialsSecret: n.logWriterSecret,
    });
    configs.push(new k8s.core.v1.ConfigMap(`${name}-filebeat-config`, built.filebeatConfigMap, inTier));
    this.deployment = new k8s.apps.v1.Deployment(`${name}-nginx`, built.deployment, {
      parent: this,
      dependsOn: [tierNs, cls, ...rbac, ...configs],
    });
    new k8s.autoscaling.v2.HorizontalPodAutoscaler(`${name}-hpa`, hpa(n, biz), {
      parent: this,
      dependsOn: [this.deployment],
    });
    new k8s.policy.v1.PodDisruptionBudget(`${name}-pdb`, pdb(n), inTier);

    // --- Services and routing -------------------------------------------------------
    new k8s.core.v1.Service(`${name}-vip`, vipService(model, n, biz), inTier);
    const upstream = new k8s.core.v1.Service(`${name}-upstream`, upstreamService(n, biz), inApp);
    new k8s.networking.v1.Ingress(`${name}-ingress`, ingress(n, biz), {
      parent: this,
      dependsOn: [appNs, cls, upstream, ...certificate],
    });

    this.registerOutputs({
      namespace: this.namespace,
      appNamespace: this.appNamespace,
      ingressClassName: this.ingressClassName,
      vip: this.vip,
      workerProcesses: t.workerProcesses,
      terminationGracePeriodSeconds: t.termination.terminationGracePeriodSeconds,
    });
  }
}
