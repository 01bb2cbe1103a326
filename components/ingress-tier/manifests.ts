/**
 * Pure builders for one business's ingress tier: every Kubernetes object as a
 * plain typed value. The component (index.ts) only registers them.
 *
 * Layout per business `<biz>`:
 *  - namespace `ingress-<biz>` (Pod Security `restricted`): the nginx +
 *    ingress-nginx controller Deployment, its ConfigMaps, RBAC, HPA, PDB and
 *    the headless Service the LVS tier announces on the business VIP;
 *  - namespace `<biz>` (`restricted`), where the business releases its Jetty
 *    pods: the upstream Service (headless unless a reason is configured) and
 *    the Ingress routing the business's hosts to it.
 */
import type * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import type { Business } from "../../stacks/schema";
import type { DatacenterModel } from "../../stacks/model";
import { servesHttps } from "../../stacks/tls";
import { imagesFor } from "../../stacks/images";
import { labelKeys, managedBy } from "../../stacks/labels";
import { namespaceSpec } from "../common/namespace";
import { businessNamespaces } from "../../stacks/namespaces";
import {
  httpGetProbe,
  livenessTiming,
  readinessTiming,
  startupTiming,
  warmupAnnotation,
} from "../common/probes";
import { networkHealthSidecar, RACK_GATEWAYS_CONFIGMAP, rackGatewayData } from "../common/network-health";
import { withFilebeat, type LogShipping, type PlainPodSpec } from "../common/filebeat";
import { contentName } from "../common/digest";
import { lvsServiceMetadata } from "../fullnat-lvs/contract";
import { METRICS_PORT_NAME, scrapeAnnotations } from "../monitoring-stack/contract";
import { containerPortFor, HTTP_VIP_PORT, HTTPS_VIP_PORT, ingressPorts } from "./ports";
import { controllerConfigData, DRAIN_DIR, LB_HEALTH_PATH, podPaths, type NginxTuning } from "./nginx";

type Container = k8s.types.input.core.v1.Container;

/** Object names of one tier. Namespaced names repeat across businesses; their namespaces do not. */
export interface TierNames {
  readonly business: string;
  /** Namespace of the nginx tier. */
  readonly namespace: string;
  /** Namespace of the business's Jetty pods, upstream Service and Ingress. */
  readonly appNamespace: string;
  /** IngressClass (cluster-scoped). */
  readonly ingressClass: string;
  /** `spec.controller` of the IngressClass; the controller only serves Ingresses of this class. */
  readonly controllerClass: string;
  readonly deployment: string;
  readonly serviceAccount: string;
  /** ClusterRole/ClusterRoleBinding (cluster-scoped, so named per business). */
  readonly clusterRole: string;
  readonly role: string;
  readonly configMap: string;
  readonly tcpServices: string;
  readonly udpServices: string;
  readonly vipService: string;
  readonly upstreamService: string;
  readonly ingress: string;
  readonly logWriterSecret: string;
  readonly filebeatConfig: string;
  /**
   * The business's certificate (kubernetes.io/tls Secret, in the app
   * namespace): the Ingress's `tls` and the controller's default certificate.
   */
  readonly tlsSecret: string;
}

export function tierNames(business: string): TierNames {
  return {
    business,
    namespace: businessNamespaces(business).tier,
    appNamespace: businessNamespaces(business).app,
    ingressClass: `nginx-${business}`,
    controllerClass: `private-cloud.io/ingress-nginx-${business}`,
    deployment: "nginx",
    serviceAccount: "nginx",
    clusterRole: `ingress-nginx-${business}`,
    role: "ingress-nginx",
    configMap: "nginx-controller",
    tcpServices: "tcp-services",
    udpServices: "udp-services",
    vipService: "nginx-vip",
    upstreamService: "jetty",
    ingress: business,
    logWriterSecret: "log-writer",
    filebeatConfig: "filebeat",
    tlsSecret: `${business}-tls`,
  };
}

/**
 * The tier's names with the controller's ConfigMaps (its settings and the
 * L4 port maps) named by their content (components/common/digest.ts
 * `contentName`): a change creates the new map, rolls the controller onto
 * it, then deletes the old one; an interrupt leaves a working pair.
 */
export function withContentNames(n: TierNames, t: NginxTuning, biz: Business): TierNames {
  const [tcp, udp] = l4ServiceData(n, biz);
  return {
    ...n,
    configMap: contentName(n.configMap, controllerConfigData(t)),
    tcpServices: contentName(n.tcpServices, tcp),
    udpServices: contentName(n.udpServices, udp),
  };
}

/** Labels of the nginx pods (and the selector of everything that targets them). */
export function tierPodSelector(business: string): Record<string, string> {
  return {
    "app.kubernetes.io/name": "ingress-nginx",
    "app.kubernetes.io/instance": business,
    "app.kubernetes.io/component": "controller",
  };
}

/** Labels the business's Jetty pods must carry to be the tier's upstreams (the release system sets them). */
export function upstreamPodSelector(business: string): Record<string, string> {
  return { "app.kubernetes.io/name": "jetty", "private-cloud.io/business": business };
}

const commonLabels = (business: string) => ({ ...managedBy, "private-cloud.io/business": business });

const meta = (name: string, namespace: string, business: string, extra: Record<string, string> = {}) => ({
  name,
  namespace,
  labels: { ...commonLabels(business), ...extra },
});

/** The business's ports that nginx proxies at L4 (anything but 80/443), by protocol. */
export function l4Ports(biz: Business): { tcp: number[]; udp: number[] } {
  const l4 = biz.ports.filter((p) => p.port !== HTTP_VIP_PORT && p.port !== HTTPS_VIP_PORT);
  return {
    tcp: l4.filter((p) => p.protocol === "TCP").map((p) => p.port),
    udp: l4.filter((p) => p.protocol === "UDP").map((p) => p.port),
  };
}

// ---------------------------------------------------------------------------
// Namespaces, class, config
// ---------------------------------------------------------------------------

/**
 * Both namespaces run at `restricted`: nginx listens on unprivileged ports
 * (ports.ts), the gateway ping needs only a safe sysctl, and filebeat reads
 * a shared EmptyDir — nothing here needs more.
 */
export function namespaces(n: TierNames): Record<"tier" | "app", k8s.types.input.core.v1.Namespace> {
  return {
    tier: namespaceSpec(n.namespace, "restricted", "ingress"),
    app: namespaceSpec(n.appNamespace, "restricted", "business"),
  };
}

export function ingressClass(n: TierNames): k8s.types.input.networking.v1.IngressClass {
  return {
    metadata: { name: n.ingressClass, labels: commonLabels(n.business) },
    spec: { controller: n.controllerClass },
  };
}

export function controllerConfigMap(n: TierNames, t: NginxTuning): k8s.types.input.core.v1.ConfigMap {
  return { metadata: meta(n.configMap, n.namespace, n.business), data: controllerConfigData(t) };
}

/** ingress-nginx's L4 maps: `"<port>": "<namespace>/<service>:<port>"`. */
export function l4ServiceConfigMaps(n: TierNames, biz: Business): k8s.types.input.core.v1.ConfigMap[] {
  const [tcp, udp] = l4ServiceData(n, biz);
  return [
    { metadata: meta(n.tcpServices, n.namespace, n.business), data: tcp },
    { metadata: meta(n.udpServices, n.namespace, n.business), data: udp },
  ];
}

function l4ServiceData(n: TierNames, biz: Business): [Record<string, string>, Record<string, string>] {
  const { tcp, udp } = l4Ports(biz);
  const data = (ports: number[]) =>
    Object.fromEntries(ports.map((p) => [String(p), `${n.appNamespace}/${n.upstreamService}:${p}`]));
  return [data(tcp), data(udp)];
}

/** The rack → gateway map the network-health sidecar reads, in the tier's namespace. */
export function rackGatewaysConfigMap(
  model: DatacenterModel,
  n: TierNames,
): k8s.types.input.core.v1.ConfigMap {
  return { metadata: meta(RACK_GATEWAYS_CONFIGMAP, n.namespace, n.business), data: rackGatewayData(model) };
}

// ---------------------------------------------------------------------------
// RBAC: what the controller reads, and nothing cluster-wide but IngressClasses
// ---------------------------------------------------------------------------

type PolicyRule = k8s.types.input.rbac.v1.PolicyRule;
const read = ["get", "list", "watch"];

/**
 * The controller watches one namespace (`--watch-namespace=<biz>`), so all it
 * needs cluster-wide is to read IngressClasses.
 */
export function clusterRole(n: TierNames): k8s.types.input.rbac.v1.ClusterRole {
  return {
    metadata: { name: n.clusterRole, labels: commonLabels(n.business) },
    rules: [{ apiGroups: ["networking.k8s.io"], resources: ["ingressclasses"], verbs: read }],
  };
}

/** In the app namespace: Ingresses (and their status), the upstream Service's endpoints, TLS Secrets. */
export function appNamespaceRules(): PolicyRule[] {
  return [
    { apiGroups: [""], resources: ["services", "secrets", "configmaps", "pods"], verbs: read },
    { apiGroups: ["discovery.k8s.io"], resources: ["endpointslices"], verbs: read },
    { apiGroups: ["networking.k8s.io"], resources: ["ingresses"], verbs: read },
    { apiGroups: ["networking.k8s.io"], resources: ["ingresses/status"], verbs: ["update"] },
    { apiGroups: [""], resources: ["events"], verbs: ["create", "patch"] },
  ];
}

/** In its own namespace: its ConfigMaps, its pod (self-lookup), leader election. */
export function tierNamespaceRules(): PolicyRule[] {
  return [
    { apiGroups: [""], resources: ["configmaps", "pods", "secrets", "services"], verbs: read },
    { apiGroups: ["discovery.k8s.io"], resources: ["endpointslices"], verbs: read },
    { apiGroups: ["coordination.k8s.io"], resources: ["leases"], verbs: ["get", "create", "update"] },
    { apiGroups: [""], resources: ["events"], verbs: ["create", "patch"] },
  ];
}

// ---------------------------------------------------------------------------
// The Deployment
// ---------------------------------------------------------------------------

const APP_LOG_VOLUME = "app-logs";
const DRAIN_VOLUME = "lb-drain";

/** The controller's command-line flags. */
export function controllerArgs(n: TierNames, biz: Business, vip: string): string[] {
  const { tcp, udp } = l4Ports(biz);
  return [
    "/nginx-ingress-controller",
    `--controller-class=${n.controllerClass}`,
    `--ingress-class=${n.ingressClass}`,
    `--watch-namespace=${n.appNamespace}`,
    "--watch-ingress-without-class=false",
    `--configmap=$(POD_NAMESPACE)/${n.configMap}`,
    ...(tcp.length > 0 ? [`--tcp-services-configmap=$(POD_NAMESPACE)/${n.tcpServices}`] : []),
    ...(udp.length > 0 ? [`--udp-services-configmap=$(POD_NAMESPACE)/${n.udpServices}`] : []),
    `--election-id=${n.deployment}-${n.business}-leader`,
    // The VIP Service is headless (no address to publish); the VIP is what clients use.
    `--publish-status-address=${vip}`,
    `--http-port=${ingressPorts.http}`,
    `--https-port=${ingressPorts.https}`,
    `--default-server-port=${ingressPorts.defaultServer}`,
    `--healthz-port=${ingressPorts.controller}`,
    // Without it, a client that sends no SNI (or a name no Ingress lists)
    // gets ingress-nginx's self-signed "Kubernetes Ingress Controller Fake
    // Certificate". The Secret is in the watched namespace: the controller's
    // informers (and its RBAC) see that namespace only.
    ...(servesHttps(biz) ? [`--default-ssl-certificate=${n.appNamespace}/${n.tlsSecret}`] : []),
  ];
}

/** What a TLS Secret holds when the stack has no certificate for the business: a preview only (`pulumi up` refuses, index.ts). */
export const MISSING_CERTIFICATE = "(no certificate in private-cloud:tls: preview only)";

/**
 * The business's certificate and key as a kubernetes.io/tls Secret. The key
 * is an Input so the component can keep it a Pulumi secret.
 */
export function tlsSecret(
  n: TierNames,
  cert: { certificate: string; privateKey: pulumi.Input<string> } | undefined,
): k8s.types.input.core.v1.Secret {
  return {
    metadata: meta(n.tlsSecret, n.appNamespace, n.business),
    type: "kubernetes.io/tls",
    stringData: {
      "tls.crt": cert?.certificate ?? MISSING_CERTIFICATE,
      "tls.key": cert?.privateKey ?? MISSING_CERTIFICATE,
    },
  };
}

/**
 * preStop: mark the pod draining (the health server answers 503, so readiness
 * and the LVS check drop it), wait out the LVS detection time plus a margin,
 * then let ingress-nginx quit nginx gracefully (`/wait-shutdown` returns when
 * the old workers are gone or worker_shutdown_timeout has passed).
 */
export function preStopCommand(t: NginxTuning): string[] {
  return [
    "/bin/sh",
    "-c",
    `touch ${podPaths.drainFile}; sleep ${t.termination.preStopWaitSeconds}; exec /wait-shutdown`,
  ];
}

export function controllerContainer(
  model: DatacenterModel,
  n: TierNames,
  biz: Business,
  t: NginxTuning,
  vip: string,
): Container {
  const { tcp, udp } = l4Ports(biz);
  const fromField = (name: string, fieldPath: string) => ({ name, valueFrom: { fieldRef: { fieldPath } } });
  return {
    name: "controller",
    image: imagesFor(model).ingressNginx,
    args: controllerArgs(n, biz, vip),
    env: [fromField("POD_NAME", "metadata.name"), fromField("POD_NAMESPACE", "metadata.namespace")],
    ports: [
      { name: "http", containerPort: ingressPorts.http, protocol: "TCP" },
      { name: "https", containerPort: ingressPorts.https, protocol: "TCP" },
      { name: "lb-health", containerPort: ingressPorts.lbHealth, protocol: "TCP" },
      { name: METRICS_PORT_NAME, containerPort: ingressPorts.controller, protocol: "TCP" },
      ...tcp.map((p) => ({ name: `tcp-${p}`, containerPort: p, protocol: "TCP" })),
      ...udp.map((p) => ({ name: `udp-${p}`, containerPort: p, protocol: "UDP" })),
    ],
    resources: {
      requests: { cpu: `${t.cpuRequestMillis}m`, memory: `${t.memoryLimitMiB}Mi` },
      limits: { cpu: `${t.cpuLimitMillis}m`, memory: `${t.memoryLimitMiB}Mi` },
    },
    // Startup gates the rest: nothing (readiness included) runs before the
    // business's warm-up has passed, so a new pod takes no traffic early —
    // ingress-nginx has no slow-start to soften that (kubernetes/ingress-nginx#2291).
    startupProbe: {
      ...httpGetProbe("/healthz", ingressPorts.controller, startupTiming(t.warmupSeconds)),
      initialDelaySeconds: t.warmupSeconds,
    },
    // Liveness asks the controller; readiness asks nginx's own listener through
    // the drain-aware health server: a slow controller sync must not restart
    // nginx, and a draining pod must leave rotation without being restarted.
    livenessProbe: httpGetProbe("/healthz", ingressPorts.controller, livenessTiming),
    readinessProbe: httpGetProbe(LB_HEALTH_PATH, ingressPorts.lbHealth, readinessTiming),
    lifecycle: { preStop: { exec: { command: preStopCommand(t) } } },
    volumeMounts: [
      { name: APP_LOG_VOLUME, mountPath: podPaths.logDir },
      { name: DRAIN_VOLUME, mountPath: DRAIN_DIR },
    ],
    securityContext: ingressControllerSecurityContext,
  };
}

/**
 * The controller container's security context. Upstream's image ships
 * /nginx-ingress-controller and nginx with the file capability
 * cap_net_bind_service=+ep. The kernel refuses to exec a binary whose file
 * capabilities are outside the bounding set ("operation not permitted"), so
 * with every capability dropped the controller cannot even start
 * (kubernetes/ingress-nginx#10002, #11331). NET_BIND_SERVICE is added back:
 * Pod Security `restricted` allows exactly this one, and with
 * allowPrivilegeEscalation false (no_new_privs) the exec works as well —
 * measured with podman in tests/images/ingress-capabilities.test.ts. nginx
 * still listens on unprivileged ports (ports.ts).
 */
export const ingressControllerSecurityContext = {
  // The image's www-data user.
  runAsNonRoot: true,
  runAsUser: 101,
  runAsGroup: 82,
  allowPrivilegeEscalation: false,
  capabilities: { drop: ["ALL"], add: ["NET_BIND_SERVICE"] },
  seccompProfile: { type: "RuntimeDefault" as const },
};

/** Scheduling: ingress machines only, spread over racks (hard) and hosts (soft). */
export function tierScheduling(
  business: string,
): Pick<PlainPodSpec, "affinity" | "topologySpreadConstraints"> {
  const selector = { matchLabels: tierPodSelector(business) };
  return {
    affinity: {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [
            { matchExpressions: [{ key: labelKeys.function, operator: "In", values: ["ingress"] }] },
          ],
        },
      },
    },
    topologySpreadConstraints: [
      // A rack is the failure domain (one ToR, one power feed): never let one hold most of a tier.
      {
        topologyKey: labelKeys.rack,
        maxSkew: 1,
        whenUnsatisfiable: "DoNotSchedule",
        labelSelector: selector,
        matchLabelKeys: ["pod-template-hash"],
      },
      // Two pods of one tier on a host pin their workers to the same cores
      // (the masks are per tier): spread over hosts when there is room.
      {
        topologyKey: labelKeys.hostname,
        maxSkew: 1,
        whenUnsatisfiable: "ScheduleAnyway",
        labelSelector: selector,
        matchLabelKeys: ["pod-template-hash"],
      },
    ],
  };
}

export function deployment(
  model: DatacenterModel,
  n: TierNames,
  biz: Business,
  t: NginxTuning,
  vip: string,
  shipping: LogShipping,
): { deployment: k8s.types.input.apps.v1.Deployment; filebeatConfigMap: k8s.types.input.core.v1.ConfigMap } {
  const health = networkHealthSidecar(model);
  const base: PlainPodSpec = {
    serviceAccountName: n.serviceAccount,
    terminationGracePeriodSeconds: t.termination.terminationGracePeriodSeconds,
    ...tierScheduling(n.business),
    securityContext: {
      runAsNonRoot: true,
      seccompProfile: { type: "RuntimeDefault" },
      sysctls: [...health.sysctls],
    },
    containers: [controllerContainer(model, n, biz, t, vip), health.container],
    volumes: [
      // The seed: logs go to an EmptyDir on the plain kubelet partition. Bounded:
      // a stalled filebeat or Elasticsearch then evicts this pod, instead of
      // filling the partition and getting every pod on the node evicted.
      { name: APP_LOG_VOLUME, emptyDir: { sizeLimit: `${biz.accessLogLimitGiB}Gi` } },
      { name: DRAIN_VOLUME, emptyDir: { medium: "Memory", sizeLimit: "1Mi" } },
      health.volume,
    ],
  };
  const { spec, sidecar } = withFilebeat(model, base, {
    business: n.business,
    logVolume: APP_LOG_VOLUME,
    logFiles: ["access-*.log"],
    shipping,
    configMapName: n.filebeatConfig,
  });
  const selector = tierPodSelector(n.business);
  return {
    deployment: {
      metadata: meta(n.deployment, n.namespace, n.business, selector),
      spec: {
        // No `replicas`: the HPA owns the count (a value here would reset it on every update).
        selector: { matchLabels: selector },
        strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: "25%", maxUnavailable: 0 } },
        template: {
          metadata: {
            labels: { ...commonLabels(n.business), ...selector, ...sidecar.podLabels },
            annotations: {
              [warmupAnnotation]: String(t.warmupSeconds),
              ...scrapeAnnotations("business", { job: "ingress-nginx" }),
            },
          },
          spec,
        },
      },
    },
    filebeatConfigMap: {
      metadata: meta(sidecar.configMap.name, n.namespace, n.business),
      data: sidecar.configMap.data,
    },
  };
}

// ---------------------------------------------------------------------------
// Scaling and disruption
// ---------------------------------------------------------------------------

/**
 * CPU-based HPA on the controller container alone (ContainerResource): the
 * sidecars' requests would otherwise dilute the utilisation. Scale-out is
 * quick (new pods still wait out their warm-up); scale-in waits for the
 * stabilization window and removes one pod per minute, each draining first.
 */
export function hpa(n: TierNames, biz: Business): k8s.types.input.autoscaling.v2.HorizontalPodAutoscaler {
  return {
    metadata: meta(n.deployment, n.namespace, n.business),
    spec: {
      scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: n.deployment },
      minReplicas: biz.minReplicas,
      maxReplicas: biz.maxReplicas,
      metrics: [
        {
          type: "ContainerResource",
          containerResource: {
            name: "cpu",
            container: "controller",
            target: { type: "Utilization", averageUtilization: biz.targetCpuUtilizationPercent },
          },
        },
      ],
      behavior: {
        scaleUp: {
          stabilizationWindowSeconds: 0,
          selectPolicy: "Max",
          policies: [
            { type: "Percent", value: 100, periodSeconds: 30 },
            { type: "Pods", value: 4, periodSeconds: 30 },
          ],
        },
        scaleDown: {
          stabilizationWindowSeconds: biz.scaleDownStabilizationSeconds,
          selectPolicy: "Min",
          policies: [{ type: "Pods", value: 1, periodSeconds: 60 }],
        },
      },
    },
  };
}

/** One pod down at a time, whatever the HPA's count; a pod that is not Ready does not block a drain. */
export function pdb(n: TierNames): k8s.types.input.policy.v1.PodDisruptionBudget {
  return {
    metadata: meta(n.deployment, n.namespace, n.business),
    spec: {
      maxUnavailable: 1,
      selector: { matchLabels: tierPodSelector(n.business) },
      unhealthyPodEvictionPolicy: "AlwaysAllow",
    },
  };
}

// ---------------------------------------------------------------------------
// Services and the Ingress
// ---------------------------------------------------------------------------

/**
 * The Service the LVS tier exposes on the business VIP. Headless: the
 * director-sync reads its EndpointSlices (ready pods only) and programs the
 * real servers itself, so kube-proxy needs no rules for it (seed part 3).
 */
export function vipService(
  model: DatacenterModel,
  n: TierNames,
  biz: Business,
): k8s.types.input.core.v1.Service {
  const lvs = lvsServiceMetadata(model, n.business);
  return {
    metadata: { ...meta(n.vipService, n.namespace, n.business, lvs.labels), annotations: lvs.annotations },
    spec: {
      clusterIP: "None",
      selector: tierPodSelector(n.business),
      ports: biz.ports.map((p) => ({
        name: `${p.protocol.toLowerCase()}-${p.port}`,
        port: p.port,
        targetPort: containerPortFor(p.port),
        protocol: p.protocol,
      })),
    },
  };
}

/**
 * The business's Jetty upstreams. Headless unless the business gives a reason:
 * nginx resolves endpoints itself, and a ClusterIP would only add iptables
 * rules and conntrack entries on every node (seed part 3).
 */
export function upstreamService(n: TierNames, biz: Business): k8s.types.input.core.v1.Service {
  const { tcp, udp } = l4Ports(biz);
  const headless = biz.nonHeadlessReason === undefined;
  return {
    metadata: {
      ...meta(n.upstreamService, n.appNamespace, n.business),
      ...(headless
        ? {}
        : { annotations: { "private-cloud.io/non-headless-reason": biz.nonHeadlessReason as string } }),
    },
    spec: {
      ...(headless ? { clusterIP: "None" } : {}),
      selector: upstreamPodSelector(n.business),
      ports: [
        { name: "http", port: biz.upstreamPort, targetPort: biz.upstreamPort, protocol: "TCP" },
        ...tcp.map((p) => ({ name: `tcp-${p}`, port: p, targetPort: p, protocol: "TCP" })),
        ...udp.map((p) => ({ name: `udp-${p}`, port: p, targetPort: p, protocol: "UDP" })),
      ],
    },
  };
}

export function ingress(n: TierNames, biz: Business): k8s.types.input.networking.v1.Ingress {
  const m = meta(n.ingress, n.appNamespace, n.business);
  return {
    metadata: {
      ...m,
      // Pulumi would otherwise wait for status.loadBalancer, which only the
      // tier's own controller writes once it runs; clients reach the tier
      // through the LVS VIP, so that status is not a readiness signal, and a
      // first deploy (or the simulated datacenter, where no nginx runs) would
      // wait out the 10-minute await timeout for nothing.
      annotations: { "pulumi.com/skipAwait": "true" },
    },
    spec: {
      ingressClassName: n.ingressClass,
      // Every host on the one certificate the validation checked covers them all.
      ...(servesHttps(biz) ? { tls: [{ hosts: [...biz.hosts], secretName: n.tlsSecret }] } : {}),
      rules: biz.hosts.map((host) => ({
        host,
        http: {
          paths: [
            {
              path: "/",
              pathType: "Prefix",
              backend: { service: { name: n.upstreamService, port: { name: "http" } } },
            },
          ],
        },
      })),
    },
  };
}
