/**
 * BusinessApp: one business's release in one datacenter — its Jetty (or s6
 * multi-process) Deployment with the filebeat and network-health sidecars,
 * HPA, PDB, config files and alert rules, in the namespace its platform stack
 * onboarded it into. The objects are built by manifests.ts; this only wires
 * them into resources.
 */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import type { AppSpec, Template } from "../../release/catalog/schema";
import { LOG_WRITER_SECRET_KEYS } from "../common/filebeat";
import { appManifests, sizingOf } from "./manifests";
import type { ReleaseContext } from "./platform";

export {
  appManifests,
  appNames,
  imageRef,
  podSelector,
  sizingOf,
  terminationGraceSeconds,
} from "./manifests";
export { businessAlertRules } from "./alerts";
export { businessAppNetwork } from "./network";
export { releaseContext, type ReleaseContext, type OnboardedBusiness } from "./platform";

export interface BusinessAppArgs {
  /** The resolved catalog entry for this datacenter (release/catalog). Required. */
  readonly spec: AppSpec;
  /** Its template. Required. */
  readonly template: Template;
  /** What the datacenter's platform stack exports for releases (`releaseContext`). Required. */
  readonly context: ReleaseContext;
  /** The log writer's password (secret; the platform stack's `logWriterPassword`). Required. */
  readonly logWriterPassword: pulumi.Input<string>;
}

export class BusinessApp extends pulumi.ComponentResource {
  /** Namespace the release runs in. */
  readonly namespace: string;
  /** Labels of the pods (the ingress tier's upstream Service selects them for jetty-web). */
  readonly podLabels: Record<string, string>;
  /** `-XX:ActiveProcessorCount` given to the JVM. */
  readonly activeProcessors: number;
  /** JVM heap, MiB. */
  readonly heapMiB: number;
  readonly deployment: k8s.apps.v1.Deployment;

  constructor(name: string, args: BusinessAppArgs, opts?: pulumi.ComponentResourceOptions) {
    super("private-cloud:business:BusinessApp", name, {}, opts);
    const m = appManifests(args.spec, args.template, args.context);
    const sizing = sizingOf(args.spec);
    this.namespace = m.names.namespace;
    this.podLabels = m.labels;
    this.activeProcessors = sizing.activeProcessors;
    this.heapMiB = sizing.heapMiB;

    const child = { parent: this };
    const configs: pulumi.Resource[] = [
      new k8s.core.v1.ConfigMap(`${name}-rack-gateways`, m.rackGateways, child),
      new k8s.core.v1.ConfigMap(`${name}-filebeat`, m.filebeatConfig, child),
      new k8s.core.v1.ConfigMap(`${name}-config`, m.configFiles, child),
      new k8s.core.v1.Secret(
        `${name}-log-writer`,
        {
          ...m.logWriterSecret,
          stringData: {
            [LOG_WRITER_SECRET_KEYS.username]: args.context.logging.username,
            [LOG_WRITER_SECRET_KEYS.password]: pulumi.secret(args.logWriterPassword),
          },
        },
        child,
      ),
      ...(m.s6Services ? [new k8s.core.v1.ConfigMap(`${name}-s6`, m.s6Services, child)] : []),
    ];
    new k8s.core.v1.ConfigMap(`${name}-alerts`, m.alertRules, child);
    this.deployment = new k8s.apps.v1.Deployment(`${name}-deployment`, m.deployment, {
      parent: this,
      dependsOn: configs,
    });
    new k8s.autoscaling.v2.HorizontalPodAutoscaler(`${name}-hpa`, m.hpa, {
      parent: this,
      dependsOn: [this.deployment],
    });
    new k8s.policy.v1.PodDisruptionBudget(`${name}-pdb`, m.pdb, child);
    new k8s.networking.v1.NetworkPolicy(
      `${name}-netpol-${m.metricsPolicy.metadata.name}`,
      m.metricsPolicy,
      child,
    );

    this.registerOutputs({
      namespace: this.namespace,
      podLabels: this.podLabels,
      activeProcessors: this.activeProcessors,
      heapMiB: this.heapMiB,
    });
  }
}
