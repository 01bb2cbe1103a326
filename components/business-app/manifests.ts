/**
 * Pure builders for one business's release in one datacenter: every
 * Kubernetes object as a plain typed value, keyed by role (a reorder never
 * renames a resource). The component (index.ts) only registers them, and
 * `render` prints them without a cluster.
 *
 * What the seed learnt, and where it lives here:
 *  - the JVM's processor count and heap follow the limits (common/jvm.ts,
 *    the same function the policy pack checks);
 *  - probes above the floors, readiness ≠ liveness, a startup probe covering
 *    the warm-up (common/probes.ts);
 *  - scale-in leaves the upstream list first (preStop drain), then Jetty stops
 *    gracefully, within a grace period that covers both;
 *  - the pod does not join its Service while its network is broken
 *    (common/network-health.ts);
 *  - logs to an EmptyDir shipped by the filebeat sidecar (common/filebeat.ts).
 */
import type * as k8s from "@pulumi/kubernetes";
import { stringify } from "yaml";
import type { AppSpec, Template } from "../../release/catalog/schema";
import { labelKeys, managedBy } from "../../stacks/labels";
import { ruleFile } from "../common/alerts";
import { withFilebeat, type PlainPodSpec } from "../common/filebeat";
import { APP_PATHS, APP_UID, javaOpts, JVM_ENV, jvmSizing, type JvmSizing } from "../common/jvm";
import { networkHealthSidecar, RACK_GATEWAYS_CONFIGMAP } from "../common/network-health";
import { httpGetProbe, startupTiming, warmupAnnotation } from "../common/probes";
import { upstreamPodSelector } from "../ingress-tier/manifests";
import { METRICS_PORT_NAME, prometheusPeer, scrapeAnnotations } from "../monitoring-stack/contract";
import { allowIngress, type NetworkPolicy } from "../common/network-policy";
import { RELEASE_RULES_INSTANCE } from "../monitoring-stack/release-rules";
import { businessAlertRules } from "./alerts";
import type { ReleaseContext } from "./platform";

type ConfigMap = k8s.types.input.core.v1.ConfigMap;
type Container = k8s.types.input.core.v1.Container;

/** Object names of one business's release, in its namespace. */
export interface AppNames {
  readonly business: string;
  readonly namespace: string;
  readonly deployment: string;
  readonly container: string;
  readonly configFiles: string;
  readonly s6Services: string;
  readonly filebeatConfig: string;
  readonly logWriterSecret: string;
  readonly rackGateways: string;
}

export function appNames(business: string, namespace: string): AppNames {
  return {
    business,
    namespace,
    deployment: business,
    container: "app",
    configFiles: `${business}-config`,
    s6Services: `${business}-s6`,
    // The ingress tier keeps its own copies of these in ingress-<business>.
    filebeatConfig: "filebeat",
    logWriterSecret: "log-writer",
    rackGateways: RACK_GATEWAYS_CONFIGMAP,
  };
}

/** Marks the ConfigMap holding a business's alert rules with the Prometheus instance that loads them. */
export const RULES_LABEL = "monitoring.private-cloud.io/rules";
/** Annotation carrying the release version on every object (digests do not fit in a label). */
export const VERSION_ANNOTATION = "private-cloud.io/version";

/**
 * Pod labels. A jetty-web or multi-process pod carries exactly what the
 * ingress tier's upstream Service selects (components/ingress-tier), so it
 * becomes an upstream; a worker must not, so it gets a name of its own.
 */
export function podSelector(spec: AppSpec, template: Template): Record<string, string> {
  return template.parts.ingress
    ? upstreamPodSelector(spec.business)
    : { "app.kubernetes.io/name": "jetty-worker", "private-cloud.io/business": spec.business };
}

/** `<registry>/<image>:<tag>` or `<registry>/<image>@sha256:…`. */
export function imageRef(registry: string, spec: AppSpec): string {
  return spec.version.startsWith("sha256:")
    ? `${registry}/${spec.image}@${spec.version}`
    : `${registry}/${spec.image}:${spec.version}`;
}

export function sizingOf(spec: AppSpec): JvmSizing {
  return jvmSizing(spec.resources.cpuLimitMillis, spec.resources.memoryLimitMiB, spec.jvm.heapPercent);
}

/** preStop drain + Jetty's graceful stop + a kill margin. */
export function terminationGraceSeconds(spec: AppSpec): number {
  return spec.drainSeconds + spec.gracefulStopSeconds + 5;
}

/** The app container's environment: the platform contract (common/jvm.ts) first, then the business's own, sorted. */
export function appEnv(spec: AppSpec, ctx: ReleaseContext): k8s.types.input.core.v1.EnvVar[] {
  const s = sizingOf(spec);
  const platform: Record<string, string> = {
    [JVM_ENV.javaOpts]: javaOpts(s, spec.jvm.options),
    [JVM_ENV.activeProcessors]: String(s.activeProcessors),
    [JVM_ENV.heapMiB]: String(s.heapMiB),
    [JVM_ENV.httpPort]: String(spec.ports.http),
    [JVM_ENV.metricsPort]: String(spec.ports.metrics),
    [JVM_ENV.gracefulStopSeconds]: String(spec.gracefulStopSeconds),
    [JVM_ENV.logDir]: APP_PATHS.logDir,
    [JVM_ENV.configDir]: APP_PATHS.configDir,
    [JVM_ENV.business]: spec.business,
    [JVM_ENV.datacenter]: ctx.datacenter,
  };
  return [
    ...Object.entries(platform).map(([name, value]) => ({ name, value })),
    ...Object.keys(spec.env)
      .sort()
      .map((name) => ({ name, value: spec.env[name] })),
  ];
}

const LOG_VOLUME = "app-logs";
const CONFIG_VOLUME = "app-config";
const TMP_VOLUME = "tmp";
const S6_VOLUME = "s6-services";
const RUN_VOLUME = "run";

export function appContainer(spec: AppSpec, template: Template, ctx: ReleaseContext, n: AppNames): Container {
  const r = spec.resources;
  const { readiness, liveness } = spec.probes;
  const timing = (p: typeof readiness) => ({
    periodSeconds: p.periodSeconds,
    timeoutSeconds: p.timeoutSeconds,
    failureThreshold: p.failureThreshold,
  });
  return {
    name: n.container,
    image: imageRef(ctx.registry, spec),
    env: appEnv(spec, ctx),
    ports: [
      { name: "http", containerPort: spec.ports.http, protocol: "TCP" },
      { name: METRICS_PORT_NAME, containerPort: spec.ports.metrics, protocol: "TCP" },
    ],
    resources: {
      requests: { cpu: `${r.cpuRequestMillis}m`, memory: `${r.memoryRequestMiB ?? r.memoryLimitMiB}Mi` },
      limits: { cpu: `${r.cpuLimitMillis}m`, memory: `${r.memoryLimitMiB}Mi` },
    },
    // Nothing else runs before the warm-up has passed, so a new pod takes no
    // traffic early (the seed: scale-out needs seconds to tens of seconds).
    startupProbe: {
      ...httpGetProbe(readiness.path, "http", startupTiming(spec.warmupSeconds)),
      initialDelaySeconds: spec.warmupSeconds,
    },
    // Readiness takes a busy pod out of rotation quickly; liveness waits much
    // longer before a restart (a busy JVM is not a dead one).
    readinessProbe: httpGetProbe(readiness.path, "http", timing(readiness)),
    livenessProbe: httpGetProbe(liveness.path, "http", timing(liveness)),
    // Leave the upstream list first: the pod is already out of the
    // EndpointSlices when preStop runs, nginx re-resolves the headless
    // upstream meanwhile, then SIGTERM starts Jetty's graceful stop.
    ...(spec.drainSeconds > 0
      ? { lifecycle: { preStop: { exec: { command: ["/bin/sh", "-c", `sleep ${spec.drainSeconds}`] } } } }
      : {}),
    volumeMounts: [
      { name: LOG_VOLUME, mountPath: APP_PATHS.logDir },
      { name: CONFIG_VOLUME, mountPath: APP_PATHS.configDir, readOnly: true },
      { name: TMP_VOLUME, mountPath: "/tmp" },
      ...(template.parts.s6
        ? [
            { name: S6_VOLUME, mountPath: APP_PATHS.s6ServicesDir, readOnly: true },
            { name: RUN_VOLUME, mountPath: "/run" },
          ]
        : []),
    ],
    securityContext: {
      runAsNonRoot: true,
      runAsUser: APP_UID,
      runAsGroup: APP_UID,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ["ALL"] },
      seccompProfile: { type: "RuntimeDefault" },
    },
  };
}

/** Scheduling: the machines of the spec's function (CMDB label), spread over racks (hard) and hosts (soft). */
export function appScheduling(
  spec: AppSpec,
  selector: Record<string, string>,
): Pick<PlainPodSpec, "affinity" | "topologySpreadConstraints"> {
  const labelSelector = { matchLabels: selector };
  return {
    affinity: {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [
            {
              matchExpressions: [{ key: labelKeys.function, operator: "In", values: [spec.machineFunction] }],
            },
          ],
        },
      },
    },
    topologySpreadConstraints: [
      // A rack is the failure domain (one ToR, one power feed).
      {
        topologyKey: labelKeys.rack,
        maxSkew: 1,
        whenUnsatisfiable: "DoNotSchedule",
        labelSelector,
        matchLabelKeys: ["pod-template-hash"],
      },
      {
        topologyKey: labelKeys.hostname,
        maxSkew: 1,
        whenUnsatisfiable: "ScheduleAnyway",
        labelSelector,
        matchLabelKeys: ["pod-template-hash"],
      },
    ],
  };
}

/** s6 service directories as one ConfigMap: key `<name>.run`, mounted as `<name>/run`. */
export function s6ServiceFiles(spec: AppSpec): Record<string, string> {
  const q = (a: string) => `'${a.replace(/'/g, `'\\''`)}'`;
  return Object.fromEntries(
    spec.processes.map((p) => [
      `${p.name}.run`,
      `#!/bin/sh\n# s6 service ${p.name}, generated by private-cloud (BusinessApp)\nexec ${p.command.map(q).join(" ")}\n`,
    ]),
  );
}

export interface AppManifests {
  readonly names: AppNames;
  readonly labels: Record<string, string>;
  readonly rackGateways: ConfigMap;
  readonly filebeatConfig: ConfigMap;
  readonly configFiles: ConfigMap;
  readonly s6Services?: ConfigMap;
  readonly alertRules: ConfigMap;
  /** The log writer Secret without its password (the component adds it as a secret). */
  readonly logWriterSecret: k8s.types.input.core.v1.Secret;
  readonly deployment: k8s.types.input.apps.v1.Deployment;
  readonly hpa: k8s.types.input.autoscaling.v2.HorizontalPodAutoscaler;
  readonly pdb: k8s.types.input.policy.v1.PodDisruptionBudget;
  /** Prometheus may scrape the metrics port (the namespace's other flows are the platform's: ingress-tier/network.ts). */
  readonly metricsPolicy: NetworkPolicy;
}

/** Every object of a business's release in one datacenter. */
export function appManifests(spec: AppSpec, template: Template, ctx: ReleaseContext): AppManifests {
  const biz = ctx.businesses[spec.business];
  if (!biz)
    throw new Error(
      `business ${JSON.stringify(spec.business)} is not onboarded in datacenter ${ctx.datacenter} (expected one of: ${Object.keys(ctx.businesses).join(", ") || "(none)"}; add it to private-cloud:businesses of the platform stack)`,
    );
  if (!biz.alertRules)
    throw new Error(
      `the platform stack of ${ctx.datacenter} does not say where business alert rules go (releaseContext.businesses.${spec.business}.alertRules is missing; expected a platform stack up with this version of the program: run \`pulumi up -s ${ctx.datacenter}\`)`,
    );
  const n = appNames(spec.business, biz.namespace);
  const selector = podSelector(spec, template);
  const common = {
    ...managedBy,
    "private-cloud.io/business": spec.business,
    "private-cloud.io/template": template.name,
  };
  const versionLabel: Record<string, string> = /^[A-Za-z0-9]([A-Za-z0-9_.-]{0,61}[A-Za-z0-9])?$/.test(
    spec.version,
  )
    ? { "app.kubernetes.io/version": spec.version }
    : {};
  // Only the Deployment carries the version: on the ConfigMaps it would make
  // every release touch every object.
  const meta = (name: string, extra: Record<string, string> = {}) => ({
    name,
    namespace: n.namespace,
    labels: { ...common, ...extra },
  });
  const health = networkHealthSidecar({ image: ctx.images.networkCheck }, n.rackGateways);
  const base: PlainPodSpec = {
    // Business pods never call the Kubernetes API.
    automountServiceAccountToken: false,
    terminationGracePeriodSeconds: terminationGraceSeconds(spec),
    ...appScheduling(spec, selector),
    securityContext: {
      runAsNonRoot: true,
      seccompProfile: { type: "RuntimeDefault" },
      sysctls: [...health.sysctls],
    },
    containers: [appContainer(spec, template, ctx, n), health.container],
    volumes: [
      // The seed: logs go to an EmptyDir on the plain kubelet partition. Bounded:
      // a stalled filebeat then evicts this pod, not every pod on the node.
      { name: LOG_VOLUME, emptyDir: { sizeLimit: `${spec.logs.volumeLimitGiB}Gi` } },
      { name: CONFIG_VOLUME, configMap: { name: n.configFiles, defaultMode: 0o444 } },
      { name: TMP_VOLUME, emptyDir: { sizeLimit: "1Gi" } },
      ...(template.parts.s6
        ? [
            {
              name: S6_VOLUME,
              configMap: {
                name: n.s6Services,
                defaultMode: 0o555,
                items: spec.processes.map((p) => ({ key: `${p.name}.run`, path: `${p.name}/run` })),
              },
            },
            { name: RUN_VOLUME, emptyDir: { medium: "Memory", sizeLimit: "16Mi" } },
          ]
        : []),
      health.volume,
    ],
  };
  const { spec: podSpec, sidecar } = withFilebeat(
    { datacenter: ctx.datacenter, image: ctx.images.filebeat },
    base,
    {
      business: spec.business,
      logVolume: LOG_VOLUME,
      logFiles: spec.logs.paths,
      shipping: { hosts: ctx.logging.hosts, credentialsSecret: n.logWriterSecret },
      configMapName: n.filebeatConfig,
    },
  );
  const podLabels = { ...common, ...selector, ...versionLabel, ...sidecar.podLabels };

  return {
    names: n,
    labels: podLabels,
    metricsPolicy: allowIngress({
      name: `allow-${n.deployment}-metrics-scrape`,
      namespace: n.namespace,
      pods: selector,
      peers: [prometheusPeer()],
      ports: [{ port: spec.ports.metrics }],
    }),
    rackGateways: { metadata: meta(n.rackGateways), data: ctx.rackGateways },
    filebeatConfig: { metadata: meta(n.filebeatConfig), data: sidecar.configMap.data },
    configFiles: { metadata: meta(n.configFiles), data: { ...spec.configFiles } },
    ...(template.parts.s6
      ? { s6Services: { metadata: meta(n.s6Services), data: s6ServiceFiles(spec) } }
      : {}),
    alertRules: {
      // In the monitoring namespace, under the name the business Prometheus
      // projects (monitoring-stack/release-rules.ts): it loads them without a restart.
      metadata: {
        name: biz.alertRules.configMap,
        namespace: biz.alertRules.namespace,
        labels: { ...common, [RULES_LABEL]: RELEASE_RULES_INSTANCE },
      },
      data: {
        [biz.alertRules.key]: stringify(ruleFile(businessAlertRules(spec, template, biz.ingressNamespace)), {
          lineWidth: 0,
        }),
      },
    },
    logWriterSecret: { metadata: meta(n.logWriterSecret), type: "Opaque" },
    deployment: {
      metadata: {
        ...meta(n.deployment, selector),
        annotations: {
          [VERSION_ANNOTATION]: spec.version,
          // Pulumi waits this long for the rollout; past it the datacenter fails and the rollout stops.
          "pulumi.com/timeoutSeconds": String(spec.rolloutTimeoutSeconds),
        },
      },
      spec: {
        // No `replicas`: the HPA owns the count (a value here would reset it on every release).
        selector: { matchLabels: selector },
        strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: "25%", maxUnavailable: 0 } },
        template: {
          metadata: {
            labels: podLabels,
            annotations: {
              [warmupAnnotation]: String(spec.warmupSeconds),
              [VERSION_ANNOTATION]: spec.version,
              ...scrapeAnnotations("business", { job: `business/${spec.business}` }),
            },
          },
          spec: podSpec,
        },
      },
    },
    hpa: {
      metadata: meta(n.deployment),
      spec: {
        scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: n.deployment },
        minReplicas: spec.replicas.min,
        maxReplicas: spec.replicas.max,
        metrics: [
          {
            // The app container alone: the sidecars' requests would dilute the utilisation.
            type: "ContainerResource",
            containerResource: {
              name: "cpu",
              container: n.container,
              target: { type: "Utilization", averageUtilization: spec.replicas.targetCpuUtilizationPercent },
            },
          },
        ],
        behavior: {
          // Scale-in one pod a minute after five quiet minutes: each leaving pod drains first.
          scaleDown: {
            stabilizationWindowSeconds: 300,
            selectPolicy: "Min",
            policies: [{ type: "Pods", value: 1, periodSeconds: 60 }],
          },
        },
      },
    },
    // One pod down at a time whatever the HPA's count; a pod that is not Ready does not block a drain.
    pdb: {
      metadata: meta(n.deployment),
      spec: {
        maxUnavailable: 1,
        selector: { matchLabels: selector },
        unhealthyPodEvictionPolicy: "AlwaysAllow",
      },
    },
  };
}
