/**
 * Kubernetes objects of the monitoring stack as plain typed inputs: the
 * Prometheus StatefulSets, node-exporter, kube-state-metrics, Alertmanager,
 * Grafana, and the RBAC they need. The component only wires them.
 */
import { objectNames } from "./names";
import type * as k8s from "@pulumi/kubernetes";
import { labelKeys, managedBy } from "../../stacks/labels";
import { maxWorkersForCpuLimit } from "../common/sizing";
import {
  httpGetProbe,
  livenessTiming,
  probeFloors,
  readinessTiming,
  type ProbeTiming,
} from "../common/probes";
import { METRICS_PORT_NAME } from "./contract";
import {
  appLabel,
  CONFIG_DIR,
  CONFIG_FILE,
  instanceLabel,
  RELEASE_RULES_DIR,
  RULES_DIR,
} from "./prometheus-config";
import { autoReloadArgs } from "./release-rules";
import { retentionSize, type PrometheusInstance } from "./instances";
import { GRAFANA_DASHBOARDS_DIR } from "./grafana";

type Container = k8s.types.input.core.v1.Container;
type PodSpec = k8s.types.input.core.v1.PodSpec;
type Affinity = k8s.types.input.core.v1.Affinity;

/**
 * Liveness for the monitoring processes: the shared timing, starting after the
 * platform's default warm-up, so a process still opening its files (a TSDB,
 * Grafana's SQLite) is never restarted for being slow to start.
 */
export const monitoringLiveness: ProbeTiming = {
  ...livenessTiming,
  initialDelaySeconds: probeFloors.minWarmupSeconds,
};

export const webPorts = {
  prometheus: 9090,
  alertmanager: 9093,
  alertmanagerMesh: 9094,
  nodeExporter: 9100,
  kubeStateMetrics: 8080,
  kubeStateMetricsTelemetry: 8081,
  grafana: 3000,
} as const;

/** Image user ids: the upstream images run as these (nobody for the Prometheus family, grafana's own 472). */
const UID = { nobody: 65534, grafana: 472 } as const;

export function selectorLabels(app: string, instance?: string): Record<string, string> {
  return { [appLabel]: app, ...(instance ? { [instanceLabel]: instance } : {}) };
}

export function objectLabels(app: string, instance?: string): Record<string, string> {
  return { ...managedBy, ...selectorLabels(app, instance), "app.kubernetes.io/part-of": "monitoring" };
}

/** What Pod Security `restricted` asks of every container. */
export function restrictedContainerSecurity(): k8s.types.input.core.v1.SecurityContext {
  return {
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    runAsNonRoot: true,
    capabilities: { drop: ["ALL"] },
    seccompProfile: { type: "RuntimeDefault" },
  };
}

function podSecurity(uid: number): k8s.types.input.core.v1.PodSecurityContext {
  return {
    runAsUser: uid,
    runAsGroup: uid,
    runAsNonRoot: true,
    // Volumes (the TSDB) become writable by the image's user.
    fsGroup: uid,
    fsGroupChangePolicy: "OnRootMismatch",
    seccompProfile: { type: "RuntimeDefault" },
  };
}

export function resources(
  cpuRequestMillis: number,
  cpuLimitMillis: number,
  memRequestMiB: number,
  memLimitMiB: number,
) {
  return {
    requests: { cpu: `${cpuRequestMillis}m`, memory: `${memRequestMiB}Mi` },
    limits: { cpu: `${cpuLimitMillis}m`, memory: `${memLimitMiB}Mi` },
  };
}

/**
 * GOMAXPROCS from the CPU limit. A Go runtime counts the host's cores (24-32
 * here), exactly like nginx's `worker_processes auto` in the seed's incident:
 * more runnable threads than the quota allows, then CFS throttling and latency.
 */
export function goEnv(cpuLimitMillis: number): k8s.types.input.core.v1.EnvVar[] {
  return [{ name: "GOMAXPROCS", value: String(maxWorkersForCpuLimit(cpuLimitMillis)) }];
}

/**
 * The dedicated monitoring machines (seed part 6: Prometheus is scheduled onto
 * a specific machine type): required node affinity on the CMDB function label,
 * a toleration in case those machines are tainted for it, replicas of one
 * workload never on the same host, and spread evenly over racks.
 */
export function monitoringPlacement(
  selector: Record<string, string>,
): Pick<PodSpec, "affinity" | "tolerations" | "topologySpreadConstraints"> {
  const affinity: Affinity = {
    nodeAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: {
        nodeSelectorTerms: [
          { matchExpressions: [{ key: labelKeys.function, operator: "In", values: ["monitoring"] }] },
        ],
      },
    },
    podAntiAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: [
        { labelSelector: { matchLabels: selector }, topologyKey: labelKeys.hostname },
      ],
    },
  };
  return {
    affinity,
    tolerations: [{ key: labelKeys.function, operator: "Equal", value: "monitoring", effect: "NoSchedule" }],
    topologySpreadConstraints: [
      {
        maxSkew: 1,
        topologyKey: labelKeys.rack,
        // Hard: the second replica of an HA pair in the same rack as the first
        // is not HA. Only monitoring nodes' racks count (node affinity is honoured).
        whenUnsatisfiable: "DoNotSchedule",
        labelSelector: { matchLabels: selector },
      },
    ],
  };
}

// ---------------------------------------------------------------------------
// Prometheus
// ---------------------------------------------------------------------------

export interface PrometheusWorkloadInput {
  readonly instance: PrometheusInstance;
  readonly namespace: string;
  readonly image: string;
  readonly serviceAccountName: string;
  readonly configMapName: string;
  readonly rulesConfigMapName: string;
  readonly storageClass: string;
  /** Digest of config + rules: a change rolls the pods (no reloader sidecar to trust). */
  readonly configDigest: string;
  /**
   * Rule files business releases deliver (release-rules.ts): projected at
   * RELEASE_RULES_DIR and picked up without a restart. Default: none.
   */
  readonly releaseRuleSources?: readonly k8s.types.input.core.v1.VolumeProjection[];
}

export const prometheusName = objectNames.prometheus;

export function prometheusStatefulSet(p: PrometheusWorkloadInput): k8s.types.input.apps.v1.StatefulSet {
  const i = p.instance;
  const name = prometheusName(i.name);
  const selector = selectorLabels("prometheus", i.name);
  const releaseRules = p.releaseRuleSources?.length ? p.releaseRuleSources : undefined;
  const container: Container = {
    name: "prometheus",
    image: p.image,
    args: [
      `--config.file=${CONFIG_DIR}/${CONFIG_FILE}`,
      "--storage.tsdb.path=/prometheus",
      `--storage.tsdb.retention.time=${i.retentionDays}d`,
      `--storage.tsdb.retention.size=${retentionSize(i.storageGiB)}`,
      `--web.listen-address=:${webPorts.prometheus}`,
      // Config and rule files are re-read when they change: release rules
      // arrive while the pods run (release-rules.ts).
      ...autoReloadArgs(),
    ],
    env: goEnv(i.cpuLimitMillis),
    ports: [{ name: "web", containerPort: webPorts.prometheus, protocol: "TCP" }],
    // Memory request = limit: a Prometheus evicted for memory loses its head
    // block and replays the WAL for minutes; CPU may burst above the request.
    resources: resources(
      Math.ceil(i.cpuLimitMillis / 2),
      i.cpuLimitMillis,
      i.memoryLimitMiB,
      i.memoryLimitMiB,
    ),
    // /-/healthy answers during WAL replay, /-/ready does not: liveness on
    // healthy never kills a replaying server, and no startup probe on ready
    // either — a replay longer than its window restarts it forever
    // (prometheus-operator#3211, deckhouse#2884).
    livenessProbe: httpGetProbe("/-/healthy", "web", monitoringLiveness),
    readinessProbe: httpGetProbe("/-/ready", "web", readinessTiming),
    securityContext: restrictedContainerSecurity(),
    volumeMounts: [
      { name: "config", mountPath: CONFIG_DIR, readOnly: true },
      { name: "rules", mountPath: RULES_DIR, readOnly: true },
      ...(releaseRules ? [{ name: "release-rules", mountPath: RELEASE_RULES_DIR, readOnly: true }] : []),
      { name: "data", mountPath: "/prometheus" },
    ],
  };
  return {
    metadata: { name, namespace: p.namespace, labels: objectLabels("prometheus", i.name) },
    spec: {
      serviceName: name,
      replicas: i.replicas,
      // Replicas are independent copies; one need not wait for the other.
      podManagementPolicy: "Parallel",
      selector: { matchLabels: selector },
      // The data outlives the StatefulSet: deleting or scaling it keeps the volumes.
      persistentVolumeClaimRetentionPolicy: { whenDeleted: "Retain", whenScaled: "Retain" },
      template: {
        metadata: {
          labels: objectLabels("prometheus", i.name),
          annotations: { "private-cloud.io/config-digest": p.configDigest },
        },
        spec: {
          serviceAccountName: p.serviceAccountName,
          securityContext: podSecurity(UID.nobody),
          ...monitoringPlacement(selector),
          // Head compaction on shutdown; a SIGKILL mid-write costs a WAL repair.
          terminationGracePeriodSeconds: 600,
          containers: [container],
          volumes: [
            { name: "config", configMap: { name: p.configMapName } },
            { name: "rules", configMap: { name: p.rulesConfigMapName } },
            ...(releaseRules ? [{ name: "release-rules", projected: { sources: [...releaseRules] } }] : []),
          ],
        },
      },
      volumeClaimTemplates: [
        {
          metadata: { name: "data", labels: objectLabels("prometheus", i.name) },
          spec: {
            accessModes: ["ReadWriteOnce"],
            storageClassName: p.storageClass,
            resources: { requests: { storage: `${i.storageGiB}Gi` } },
          },
        },
      ],
    },
  };
}

/**
 * Headless Service: the StatefulSet's governing service and what Grafana
 * queries. Headless like the seed prefers (no iptables rules, no conntrack
 * entries); Grafana's keep-alive connection sticks to one replica, so graphs
 * do not flicker between the two replicas' slightly different data.
 */
export function headlessService(
  name: string,
  namespace: string,
  app: string,
  instance: string | undefined,
  ports: { name: string; port: number; protocol?: "TCP" | "UDP" }[],
  publishNotReadyAddresses = false,
): k8s.types.input.core.v1.Service {
  return {
    metadata: { name, namespace, labels: objectLabels(app, instance) },
    spec: {
      clusterIP: "None",
      publishNotReadyAddresses,
      selector: selectorLabels(app, instance),
      ports: ports.map((p) => ({
        name: p.name,
        port: p.port,
        targetPort: p.name,
        protocol: p.protocol ?? "TCP",
      })),
    },
  };
}

export function podDisruptionBudget(
  name: string,
  namespace: string,
  app: string,
  instance?: string,
): k8s.types.input.policy.v1.PodDisruptionBudget {
  return {
    metadata: { name, namespace, labels: objectLabels(app, instance) },
    spec: { maxUnavailable: 1, selector: { matchLabels: selectorLabels(app, instance) } },
  };
}

// ---------------------------------------------------------------------------
// node-exporter
// ---------------------------------------------------------------------------

export function nodeExporterDaemonSet(namespace: string, image: string): k8s.types.input.apps.v1.DaemonSet {
  const cpuLimitMillis = 250;
  const selector = selectorLabels("node-exporter");
  return {
    metadata: { name: objectNames.nodeExporter, namespace, labels: objectLabels("node-exporter") },
    spec: {
      selector: { matchLabels: selector },
      // 127 hosts: roll a tenth at a time rather than one by one for an hour.
      updateStrategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: "10%" } },
      template: {
        metadata: { labels: objectLabels("node-exporter") },
        spec: {
          // The host's network namespace: conntrack counts are per network
          // namespace, so only here does node_nf_conntrack_entries show the
          // host's table (the one the seed watches). hostPID for process stats.
          hostNetwork: true,
          hostPID: true,
          automountServiceAccountToken: false,
          // Host metrics matter most when a node is in trouble.
          priorityClassName: "system-node-critical",
          // Every host: masters, LVS directors and dedicated machines too.
          tolerations: [{ operator: "Exists" }],
          securityContext: { runAsUser: UID.nobody, runAsGroup: UID.nobody, runAsNonRoot: true },
          containers: [
            {
              name: "node-exporter",
              image,
              args: [
                "--path.procfs=/host/proc",
                "--path.sysfs=/host/sys",
                "--path.rootfs=/host/root",
                `--web.listen-address=:${webPorts.nodeExporter}`,
                // Container and pod mounts come and go with every pod; the host's own disks are what matter.
                "--collector.filesystem.mount-points-exclude=^/(dev|proc|run|sys|var/lib/docker/.+|var/lib/kubelet/pods/.+)($|/)",
                "--no-collector.wifi",
              ],
              env: goEnv(cpuLimitMillis),
              ports: [{ name: METRICS_PORT_NAME, containerPort: webPorts.nodeExporter, protocol: "TCP" }],
              resources: resources(50, cpuLimitMillis, 64, 180),
              livenessProbe: httpGetProbe("/", METRICS_PORT_NAME, monitoringLiveness),
              readinessProbe: httpGetProbe("/", METRICS_PORT_NAME, readinessTiming),
              securityContext: {
                allowPrivilegeEscalation: false,
                readOnlyRootFilesystem: true,
                capabilities: { drop: ["ALL"] },
              },
              volumeMounts: [
                { name: "proc", mountPath: "/host/proc", readOnly: true },
                { name: "sys", mountPath: "/host/sys", readOnly: true },
                {
                  name: "root",
                  mountPath: "/host/root",
                  readOnly: true,
                  mountPropagation: "HostToContainer",
                },
              ],
            },
          ],
          volumes: [
            { name: "proc", hostPath: { path: "/proc" } },
            { name: "sys", hostPath: { path: "/sys" } },
            { name: "root", hostPath: { path: "/" } },
          ],
        },
      },
    },
  };
}

// ---------------------------------------------------------------------------
// kube-state-metrics
// ---------------------------------------------------------------------------

/**
 * What kube-state-metrics watches: its `--resources` flag and its ClusterRole
 * come from this one table, so it never watches what it may not list (it
 * would log forbidden errors forever) nor gets rights it does not use.
 * No Secrets or ConfigMaps: their metadata is not worth the read access.
 */
export const ksmResources: readonly { readonly resource: string; readonly apiGroup: string }[] = [
  { resource: "cronjobs", apiGroup: "batch" },
  { resource: "daemonsets", apiGroup: "apps" },
  { resource: "deployments", apiGroup: "apps" },
  { resource: "horizontalpodautoscalers", apiGroup: "autoscaling" },
  { resource: "jobs", apiGroup: "batch" },
  { resource: "namespaces", apiGroup: "" },
  { resource: "nodes", apiGroup: "" },
  { resource: "persistentvolumeclaims", apiGroup: "" },
  { resource: "persistentvolumes", apiGroup: "" },
  { resource: "poddisruptionbudgets", apiGroup: "policy" },
  { resource: "pods", apiGroup: "" },
  { resource: "replicasets", apiGroup: "apps" },
  { resource: "resourcequotas", apiGroup: "" },
  { resource: "services", apiGroup: "" },
  { resource: "statefulsets", apiGroup: "apps" },
  { resource: "storageclasses", apiGroup: "storage.k8s.io" },
];

export function kubeStateMetricsDeployment(
  namespace: string,
  image: string,
  serviceAccountName: string,
): k8s.types.input.apps.v1.Deployment {
  const cpuLimitMillis = 1000;
  const selector = selectorLabels("kube-state-metrics");
  return {
    metadata: { name: objectNames.kubeStateMetrics, namespace, labels: objectLabels("kube-state-metrics") },
    spec: {
      // One replica: two would duplicate every object series; a restart is a
      // scrape gap, and the workload alerts have `for:` windows longer than it.
      replicas: 1,
      selector: { matchLabels: selector },
      template: {
        metadata: { labels: objectLabels("kube-state-metrics") },
        spec: {
          serviceAccountName,
          securityContext: podSecurity(UID.nobody),
          ...monitoringPlacement(selector),
          containers: [
            {
              name: "kube-state-metrics",
              image,
              args: [
                `--port=${webPorts.kubeStateMetrics}`,
                `--telemetry-port=${webPorts.kubeStateMetricsTelemetry}`,
                `--resources=${ksmResources.map((r) => r.resource).join(",")}`,
                // Requests/limits per container: the nginx dashboard's CPU-vs-limit panel needs them.
                "--metric-labels-allowlist=pods=[app.kubernetes.io/name]",
              ],
              env: goEnv(cpuLimitMillis),
              ports: [
                { name: METRICS_PORT_NAME, containerPort: webPorts.kubeStateMetrics, protocol: "TCP" },
                { name: "telemetry", containerPort: webPorts.kubeStateMetricsTelemetry, protocol: "TCP" },
              ],
              resources: resources(100, cpuLimitMillis, 256, 1024),
              livenessProbe: httpGetProbe("/livez", METRICS_PORT_NAME, monitoringLiveness),
              readinessProbe: httpGetProbe("/readyz", "telemetry", readinessTiming),
              securityContext: restrictedContainerSecurity(),
            },
          ],
        },
      },
    },
  };
}

// ---------------------------------------------------------------------------
// RBAC (ours: only the verbs each reader uses)
// ---------------------------------------------------------------------------

type PolicyRule = k8s.types.input.rbac.v1.PolicyRule;

/** Prometheus: discover targets and read the kubelet's and control plane's /metrics. */
export function prometheusClusterRoleRules(): PolicyRule[] {
  return [
    {
      apiGroups: [""],
      resources: ["nodes", "nodes/metrics", "services", "endpoints", "pods"],
      verbs: ["get", "list", "watch"],
    },
    { apiGroups: ["discovery.k8s.io"], resources: ["endpointslices"], verbs: ["get", "list", "watch"] },
    { nonResourceURLs: ["/metrics", "/metrics/cadvisor"], verbs: ["get"] },
  ];
}

export function kubeStateMetricsClusterRoleRules(): PolicyRule[] {
  const groups = [...new Set(ksmResources.map((r) => r.apiGroup))];
  return groups.map((g) => ({
    apiGroups: [g],
    resources: ksmResources.filter((r) => r.apiGroup === g).map((r) => r.resource),
    verbs: ["list", "watch"],
  }));
}

// ---------------------------------------------------------------------------
// Alertmanager
// ---------------------------------------------------------------------------

export interface AlertmanagerWorkloadInput {
  readonly namespace: string;
  readonly image: string;
  readonly replicas: number;
  readonly storageGiB: number;
  readonly storageClass: string;
  readonly configSecretName: string;
  readonly configDigest: string;
}

export function alertmanagerPeers(namespace: string, replicas: number): string[] {
  return Array.from(
    { length: replicas },
    (_, i) => `alertmanager-${i}.alertmanager.${namespace}.svc:${webPorts.alertmanagerMesh}`,
  );
}

export function alertmanagerStatefulSet(a: AlertmanagerWorkloadInput): k8s.types.input.apps.v1.StatefulSet {
  const cpuLimitMillis = 500;
  const selector = selectorLabels("alertmanager");
  const cluster =
    a.replicas > 1
      ? [
          `--cluster.listen-address=0.0.0.0:${webPorts.alertmanagerMesh}`,
          `--cluster.advertise-address=$(POD_IP):${webPorts.alertmanagerMesh}`,
          ...alertmanagerPeers(a.namespace, a.replicas).map((p) => `--cluster.peer=${p}`),
        ]
      : // One replica: no gossip (an empty listen address turns clustering off).
        ["--cluster.listen-address="];
  return {
    metadata: {
      name: objectNames.alertmanager,
      namespace: a.namespace,
      labels: objectLabels("alertmanager"),
    },
    spec: {
      serviceName: "alertmanager",
      replicas: a.replicas,
      podManagementPolicy: "Parallel",
      selector: { matchLabels: selector },
      persistentVolumeClaimRetentionPolicy: { whenDeleted: "Retain", whenScaled: "Retain" },
      template: {
        metadata: {
          labels: objectLabels("alertmanager"),
          annotations: { "private-cloud.io/config-digest": a.configDigest },
        },
        spec: {
          securityContext: podSecurity(UID.nobody),
          automountServiceAccountToken: false,
          ...monitoringPlacement(selector),
          containers: [
            {
              name: "alertmanager",
              image: a.image,
              args: [
                "--config.file=/etc/alertmanager/alertmanager.yml",
                "--storage.path=/alertmanager",
                `--web.listen-address=:${webPorts.alertmanager}`,
                ...cluster,
              ],
              env: [
                { name: "POD_IP", valueFrom: { fieldRef: { fieldPath: "status.podIP" } } },
                ...goEnv(cpuLimitMillis),
              ],
              ports: [
                { name: "web", containerPort: webPorts.alertmanager, protocol: "TCP" },
                { name: "mesh-tcp", containerPort: webPorts.alertmanagerMesh, protocol: "TCP" },
                { name: "mesh-udp", containerPort: webPorts.alertmanagerMesh, protocol: "UDP" },
              ],
              resources: resources(50, cpuLimitMillis, 128, 256),
              livenessProbe: httpGetProbe("/-/healthy", "web", monitoringLiveness),
              readinessProbe: httpGetProbe("/-/ready", "web", readinessTiming),
              securityContext: restrictedContainerSecurity(),
              volumeMounts: [
                { name: "config", mountPath: "/etc/alertmanager", readOnly: true },
                { name: "data", mountPath: "/alertmanager" },
              ],
            },
          ],
          volumes: [{ name: "config", secret: { secretName: a.configSecretName } }],
        },
      },
      volumeClaimTemplates: [
        {
          metadata: { name: "data", labels: objectLabels("alertmanager") },
          spec: {
            accessModes: ["ReadWriteOnce"],
            storageClassName: a.storageClass,
            resources: { requests: { storage: `${a.storageGiB}Gi` } },
          },
        },
      ],
    },
  };
}

// ---------------------------------------------------------------------------
// Grafana
// ---------------------------------------------------------------------------

export interface GrafanaWorkloadInput {
  readonly namespace: string;
  readonly image: string;
  readonly adminSecretName: string;
  readonly iniConfigMapName: string;
  readonly datasourcesConfigMapName: string;
  readonly providersConfigMapName: string;
  /** Dashboard ConfigMap per folder. */
  readonly dashboardConfigMaps: readonly { readonly folder: string; readonly configMapName: string }[];
  readonly configDigest: string;
}

export function grafanaDeployment(g: GrafanaWorkloadInput): k8s.types.input.apps.v1.Deployment {
  const cpuLimitMillis = 1000;
  const selector = selectorLabels("grafana");
  return {
    metadata: { name: objectNames.grafana, namespace: g.namespace, labels: objectLabels("grafana") },
    spec: {
      // One replica: sessions and preferences live in its SQLite file. Every
      // datasource and dashboard is provisioned, so a new pod is the same Grafana.
      replicas: 1,
      selector: { matchLabels: selector },
      template: {
        metadata: {
          labels: objectLabels("grafana"),
          annotations: { "private-cloud.io/config-digest": g.configDigest },
        },
        spec: {
          securityContext: podSecurity(UID.grafana),
          automountServiceAccountToken: false,
          ...monitoringPlacement(selector),
          containers: [
            {
              name: "grafana",
              image: g.image,
              env: [
                {
                  name: "GF_SECURITY_ADMIN_USER",
                  valueFrom: { secretKeyRef: { name: g.adminSecretName, key: "admin-user" } },
                },
                {
                  name: "GF_SECURITY_ADMIN_PASSWORD",
                  valueFrom: { secretKeyRef: { name: g.adminSecretName, key: "admin-password" } },
                },
                { name: "GF_PATHS_CONFIG", value: "/etc/grafana/grafana.ini" },
                ...goEnv(cpuLimitMillis),
              ],
              ports: [{ name: "http", containerPort: webPorts.grafana, protocol: "TCP" }],
              resources: resources(100, cpuLimitMillis, 256, 1024),
              livenessProbe: httpGetProbe("/api/health", "http", monitoringLiveness),
              readinessProbe: httpGetProbe("/api/health", "http", readinessTiming),
              securityContext: restrictedContainerSecurity(),
              volumeMounts: [
                {
                  name: "ini",
                  mountPath: "/etc/grafana/grafana.ini",
                  subPath: "grafana.ini",
                  readOnly: true,
                },
                { name: "datasources", mountPath: "/etc/grafana/provisioning/datasources", readOnly: true },
                { name: "providers", mountPath: "/etc/grafana/provisioning/dashboards", readOnly: true },
                { name: "data", mountPath: "/var/lib/grafana" },
                { name: "tmp", mountPath: "/tmp" },
                ...g.dashboardConfigMaps.map((d) => ({
                  name: `dashboards-${d.folder}`,
                  mountPath: `${GRAFANA_DASHBOARDS_DIR}/${d.folder}`,
                  readOnly: true,
                })),
              ],
            },
          ],
          volumes: [
            { name: "ini", configMap: { name: g.iniConfigMapName } },
            { name: "datasources", configMap: { name: g.datasourcesConfigMapName } },
            { name: "providers", configMap: { name: g.providersConfigMapName } },
            // Grafana's SQLite database (sessions, preferences: dashboards are provisioned) and its temp files.
            { name: "data", emptyDir: { sizeLimit: "1Gi" } },
            { name: "tmp", emptyDir: { sizeLimit: "256Mi" } },
            ...g.dashboardConfigMaps.map((d) => ({
              name: `dashboards-${d.folder}`,
              configMap: { name: d.configMapName },
            })),
          ],
        },
      },
    },
  };
}
