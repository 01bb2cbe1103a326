/**
 * Pure builders for the logging stack (seed part 7): Elasticsearch in pods —
 * three dedicated masters, data nodes on persistent volumes, coordinating
 * ("client") nodes that filebeat ships to — on the logging machines.
 *
 * The seed's lesson for Elasticsearch is that thread counts must match the CPU
 * limit: `node.processors` sizes every thread pool, and Elasticsearch reads the
 * host's cores unless told. It comes from `elasticsearchSizing`, the function
 * the policy pack checks with, and so does the heap (half the memory limit).
 */
import type * as k8s from "@pulumi/kubernetes";
import { stringify } from "yaml";
import type { DatacenterModel } from "../../stacks/model";
import { ES_MASTER_NODES } from "../../stacks/model";
import { imagesFor } from "../../stacks/images";
import { labelKeys, managedBy } from "../../stacks/labels";
import { platformNamespaces } from "../../stacks/namespaces";
import { elasticsearchSizing } from "../common/sizing";
import { livenessTiming, readinessTiming, startupTiming, warmupAnnotation } from "../common/probes";
import { namespaceSpec } from "../common/namespace";
import { BUSINESS_INDEX_PREFIX, ES_CA_CONFIGMAP, ES_CA_DIR, ES_CA_KEY } from "../common/filebeat";

export type EsRole = "master" | "data" | "client";
export const ES_ROLES: readonly EsRole[] = ["master", "data", "client"];

export const LOGGING_NAMESPACE = platformNamespaces.logging.name;
export const ES_HTTP_PORT = 9200;
export const ES_TRANSPORT_PORT = 9300;
/** Seconds a node needs to start (JVM, plugins, joining the cluster) before it is probed for liveness. */
export const ES_WARMUP_SECONDS = 90;
/** Master volumes hold only the cluster state. */
export const MASTER_STORAGE_GIB = 20;
/**
 * Host settings Elasticsearch needs on the logging machines, for the node
 * tuning profile: below 262144 memory-mapped areas the production bootstrap
 * check refuses to start (a sysctl a `restricted` pod may not set itself).
 */
export const ES_HOST_SYSCTLS = { "vm.max_map_count": 262144 } as const;

export const esNames = {
  namespace: LOGGING_NAMESPACE,
  /** StatefulSet/Deployment/Service name of a role. */
  role: (r: EsRole) => `es-${r}`,
  config: (r: EsRole) => `es-config-${r}`,
  /** Headless Service the masters find each other through (also published before they are ready). */
  discovery: "es-discovery",
  client: "es-client",
  credentials: "es-credentials",
  transportTls: "es-transport-tls",
  httpTls: "es-http-tls",
  /** The HTTP CA certificate, public, for clients in this namespace (the same name in every namespace that ships logs). */
  httpCa: ES_CA_CONFIGMAP,
  setupJob: "es-setup",
  exporter: "es-exporter",
  filebeatExporter: "filebeat-exporter",
} as const;

/** Keys of the credentials Secret. */
export const CREDENTIAL_KEYS = {
  elasticPassword: "elastic-password",
  writerUsername: "writer-username",
  writerPassword: "writer-password",
  exporterUsername: "exporter-username",
  exporterPassword: "exporter-password",
} as const;
export const LOG_WRITER_USER = "log-writer";
export const EXPORTER_USER = "es-exporter";
export const ILM_POLICY = "private-cloud-logs";
export const INDEX_TEMPLATE = "private-cloud-business-logs";

export const clusterName = (model: DatacenterModel) => `${model.name}-logs`;
export const clientUrl = () => `https://${esNames.client}.${LOGGING_NAMESPACE}.svc:${ES_HTTP_PORT}`;

/** The names the HTTP certificate carries: the client Service (every form a client may use) and every node. */
export function httpDnsNames(): string[] {
  const ns = LOGGING_NAMESPACE;
  return [
    `${esNames.client}.${ns}.svc`,
    `${esNames.client}.${ns}.svc.cluster.local`,
    `${esNames.client}.${ns}`,
    `*.${esNames.discovery}.${ns}.svc`,
    `*.${esNames.role("data")}.${ns}.svc`,
  ];
}

/** The CA file clients in the logging namespace read (the httpCa ConfigMap, mounted). */
export const CA_FILE = `${ES_CA_DIR}/${ES_CA_KEY}`;
const HTTP_CERTS_DIR = "/usr/share/elasticsearch/config/http-certs";

export const roleSelector = (r: EsRole) => ({
  "app.kubernetes.io/name": "elasticsearch",
  "app.kubernetes.io/component": r,
});

const meta = (name: string, extra: Record<string, string> = {}) => ({
  name,
  namespace: LOGGING_NAMESPACE,
  labels: { ...managedBy, "app.kubernetes.io/part-of": "logging", ...extra },
});

/** Replicas of a role. */
export function replicasOf(model: DatacenterModel, r: EsRole): number {
  const log = model.config.logging;
  return r === "master" ? ES_MASTER_NODES : r === "data" ? log.dataNodes : log.clientNodes;
}

/** Limits of a role and what they imply: the one place the processors and heap are derived. */
export function esResources(model: DatacenterModel, r: EsRole) {
  const { cpuLimitMillis, memoryLimitMiB } = model.config.logging[r];
  return { cpuLimitMillis, memoryLimitMiB, ...elasticsearchSizing(cpuLimitMillis, memoryLimitMiB) };
}

export function loggingNamespace(): k8s.types.input.core.v1.Namespace {
  return namespaceSpec(LOGGING_NAMESPACE, "restricted", "logging");
}

/** The masters' stable DNS names (StatefulSet pods behind the discovery Service). */
export function masterHosts(): string[] {
  return Array.from(
    { length: ES_MASTER_NODES },
    (_, i) => `${esNames.role("master")}-${i}.${esNames.discovery}.${LOGGING_NAMESPACE}.svc`,
  );
}

/** elasticsearch.yml of one role, as a typed object. */
export function esSettings(model: DatacenterModel, r: EsRole): Record<string, unknown> {
  const { processors } = esResources(model, r);
  return {
    "cluster.name": clusterName(model),
    "node.name": "${POD_NAME}",
    "node.roles": r === "master" ? ["master"] : r === "data" ? ["data", "ingest"] : [],
    // Every thread pool is sized from this; without it Elasticsearch counts the host's cores.
    "node.processors": processors,
    "network.host": "0.0.0.0",
    "discovery.seed_hosts": masterHosts(),
    // Only read when the cluster forms for the first time; the masters' volumes
    // are retained, so it never bootstraps a second, empty cluster over them.
    ...(r === "master"
      ? {
          "cluster.initial_master_nodes": Array.from({ length: ES_MASTER_NODES }, (_, i) => `es-master-${i}`),
        }
      : {}),
    "path.data": "/usr/share/elasticsearch/data",
    "bootstrap.memory_lock": false,
    "xpack.security.enabled": true,
    "xpack.security.transport.ssl.enabled": true,
    "xpack.security.transport.ssl.verification_mode": "certificate",
    "xpack.security.transport.ssl.certificate": "certs/tls.crt",
    "xpack.security.transport.ssl.key": "certs/tls.key",
    "xpack.security.transport.ssl.certificate_authorities": ["certs/ca.crt"],
    // HTTPS with basic auth: every client (filebeat, the exporter, the setup
    // job) verifies the certificate against the HTTP CA.
    "xpack.security.http.ssl.enabled": true,
    "xpack.security.http.ssl.certificate": "http-certs/tls.crt",
    "xpack.security.http.ssl.key": "http-certs/tls.key",
    "action.destructive_requires_name": true,
  };
}

export function esConfigMap(model: DatacenterModel, r: EsRole): k8s.types.input.core.v1.ConfigMap {
  return {
    metadata: meta(esNames.config(r), roleSelector(r)),
    data: {
      "elasticsearch.yml": `# Generated by private-cloud (components/logging-stack); edit the builder.\n${stringify(esSettings(model, r), { lineWidth: 0 })}`,
    },
  };
}

/** Readiness: the node answers HTTP with our credentials (local state only: a red cluster must not empty every Service). */
export const readinessScript = `curl -fsS -o /dev/null --cacert ${HTTP_CERTS_DIR}/ca.crt -u "elastic:$ELASTIC_PASSWORD" "https://127.0.0.1:${ES_HTTP_PORT}/_cluster/health?local=true&timeout=4s"`;

export function esContainer(model: DatacenterModel, r: EsRole): k8s.types.input.core.v1.Container {
  const res = esResources(model, r);
  const secret = (name: string, key: string) => ({
    name,
    valueFrom: { secretKeyRef: { name: esNames.credentials, key } },
  });
  return {
    name: "elasticsearch",
    image: imagesFor(model).elasticsearch,
    env: [
      { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
      // Heap at half the limit: the other half is the page cache Lucene lives on.
      { name: "ES_JAVA_OPTS", value: `-Xms${res.heapMiB}m -Xmx${res.heapMiB}m` },
      // The image sets the `elastic` user's bootstrap password from it.
      secret("ELASTIC_PASSWORD", CREDENTIAL_KEYS.elasticPassword),
    ],
    ports: [
      { name: "http", containerPort: ES_HTTP_PORT, protocol: "TCP" },
      { name: "transport", containerPort: ES_TRANSPORT_PORT, protocol: "TCP" },
    ],
    resources: {
      requests: { cpu: `${res.cpuLimitMillis}m`, memory: `${res.memoryLimitMiB}Mi` },
      limits: { cpu: `${res.cpuLimitMillis}m`, memory: `${res.memoryLimitMiB}Mi` },
    },
    startupProbe: { tcpSocket: { port: ES_HTTP_PORT }, ...startupTiming(ES_WARMUP_SECONDS) },
    // Liveness: the transport port (a long GC pause must not restart a node);
    // readiness: the HTTP API answers.
    livenessProbe: { tcpSocket: { port: ES_TRANSPORT_PORT }, ...livenessTiming },
    readinessProbe: { exec: { command: ["/bin/sh", "-c", readinessScript] }, ...readinessTiming },
    volumeMounts: [
      { name: "data", mountPath: "/usr/share/elasticsearch/data" },
      {
        name: "config",
        mountPath: "/usr/share/elasticsearch/config/elasticsearch.yml",
        subPath: "elasticsearch.yml",
        readOnly: true,
      },
      { name: "transport-tls", mountPath: "/usr/share/elasticsearch/config/certs", readOnly: true },
      { name: "http-tls", mountPath: HTTP_CERTS_DIR, readOnly: true },
    ],
    securityContext: {
      runAsNonRoot: true,
      runAsUser: 1000,
      runAsGroup: 1000,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ["ALL"] },
      seccompProfile: { type: "RuntimeDefault" },
    },
  };
}

/**
 * Logging machines only; masters and data nodes one per host (two data nodes
 * on one host could hold both copies of a shard) and spread over racks, so a
 * rack failure leaves two masters of three.
 */
export function esScheduling(
  r: EsRole,
): Pick<k8s.types.input.core.v1.PodSpec, "affinity" | "topologySpreadConstraints"> {
  const selector = { matchLabels: roleSelector(r) };
  const hard = r !== "client";
  return {
    affinity: {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [
            { matchExpressions: [{ key: labelKeys.function, operator: "In", values: ["logging"] }] },
          ],
        },
      },
      podAntiAffinity: hard
        ? {
            requiredDuringSchedulingIgnoredDuringExecution: [
              { topologyKey: labelKeys.hostname, labelSelector: selector },
            ],
          }
        : {
            preferredDuringSchedulingIgnoredDuringExecution: [
              { weight: 100, podAffinityTerm: { topologyKey: labelKeys.hostname, labelSelector: selector } },
            ],
          },
    },
    topologySpreadConstraints: [
      {
        topologyKey: labelKeys.rack,
        maxSkew: 1,
        whenUnsatisfiable: hard ? "DoNotSchedule" : "ScheduleAnyway",
        labelSelector: selector,
      },
    ],
  };
}

export function esPodTemplate(model: DatacenterModel, r: EsRole): k8s.types.input.core.v1.PodTemplateSpec {
  const volumes: k8s.types.input.core.v1.Volume[] = [
    { name: "config", configMap: { name: esNames.config(r) } },
    { name: "transport-tls", secret: { secretName: esNames.transportTls, defaultMode: 0o440 } },
    { name: "http-tls", secret: { secretName: esNames.httpTls, defaultMode: 0o440 } },
    // Client nodes keep nothing worth a volume; masters and data get claims.
    ...(r === "client" ? [{ name: "data", emptyDir: { sizeLimit: "1Gi" } }] : []),
  ];
  return {
    metadata: {
      labels: { ...managedBy, ...roleSelector(r) },
      annotations: { [warmupAnnotation]: String(ES_WARMUP_SECONDS) },
    },
    spec: {
      // Elasticsearch never calls the Kubernetes API (discovery is by DNS).
      automountServiceAccountToken: false,
      ...esScheduling(r),
      // Time to hand shards off and flush before the kill.
      terminationGracePeriodSeconds: 120,
      securityContext: {
        runAsNonRoot: true,
        fsGroup: 1000,
        fsGroupChangePolicy: "OnRootMismatch",
        seccompProfile: { type: "RuntimeDefault" },
      },
      containers: [esContainer(model, r)],
      volumes,
    },
  };
}

/**
 * Masters and data nodes: StatefulSets with a volume claim each. Claims are
 * retained when the StatefulSet is deleted or scaled down
 * (`persistentVolumeClaimRetentionPolicy`), and the StorageClass is expected
 * to retain the volume when a claim goes (local-retain). Started in parallel:
 * masters can only become ready together (quorum).
 */
export function esStatefulSet(
  model: DatacenterModel,
  r: "master" | "data",
): k8s.types.input.apps.v1.StatefulSet {
  const log = model.config.logging;
  const size = r === "data" ? log.dataStorageGiB : MASTER_STORAGE_GIB;
  return {
    metadata: meta(esNames.role(r), roleSelector(r)),
    spec: {
      serviceName: r === "master" ? esNames.discovery : esNames.role(r),
      replicas: replicasOf(model, r),
      podManagementPolicy: "Parallel",
      selector: { matchLabels: roleSelector(r) },
      updateStrategy: { type: "RollingUpdate" },
      persistentVolumeClaimRetentionPolicy: { whenDeleted: "Retain", whenScaled: "Retain" },
      template: esPodTemplate(model, r),
      volumeClaimTemplates: [
        {
          metadata: { name: "data", labels: roleSelector(r) },
          spec: {
            accessModes: ["ReadWriteOnce"],
            storageClassName: log.storageClass,
            resources: { requests: { storage: `${size}Gi` } },
          },
        },
      ],
    },
  };
}

export function esClientDeployment(model: DatacenterModel): k8s.types.input.apps.v1.Deployment {
  return {
    metadata: meta(esNames.role("client"), roleSelector("client")),
    spec: {
      replicas: replicasOf(model, "client"),
      selector: { matchLabels: roleSelector("client") },
      strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
      template: esPodTemplate(model, "client"),
    },
  };
}

export function esServices(): Record<"discovery" | "data" | "client", k8s.types.input.core.v1.Service> {
  const http = { name: "http", port: ES_HTTP_PORT, targetPort: ES_HTTP_PORT, protocol: "TCP" };
  const transport = {
    name: "transport",
    port: ES_TRANSPORT_PORT,
    targetPort: ES_TRANSPORT_PORT,
    protocol: "TCP",
  };
  const ports = [http, transport];
  return {
    discovery: {
      metadata: meta(esNames.discovery),
      // Masters must find each other before any is ready (they become ready together).
      spec: { clusterIP: "None", publishNotReadyAddresses: true, selector: roleSelector("master"), ports },
    },
    data: {
      metadata: meta(esNames.role("data")),
      spec: { clusterIP: "None", selector: roleSelector("data"), ports },
    },
    client: {
      // Not headless: filebeat keeps long-lived bulk connections, and a
      // ClusterIP spreads new ones over the client nodes.
      metadata: meta(esNames.client),
      spec: { selector: roleSelector("client"), ports: [http] },
    },
  };
}

/** One node of a role down at a time: for masters that keeps quorum, for data nodes a shard copy. */
export function esPdb(r: EsRole): k8s.types.input.policy.v1.PodDisruptionBudget {
  return {
    metadata: meta(esNames.role(r), roleSelector(r)),
    spec: { maxUnavailable: 1, selector: { matchLabels: roleSelector(r) } },
  };
}

// ---------------------------------------------------------------------------
// Retention, index template and users: created once the cluster answers
// ---------------------------------------------------------------------------

export function ilmPolicyBody(retentionDays: number): Record<string, unknown> {
  return {
    policy: {
      phases: {
        hot: { actions: { rollover: { max_age: "1d", max_primary_shard_size: "50gb" } } },
        delete: { min_age: `${retentionDays}d`, actions: { delete: {} } },
      },
    },
  };
}

/** Every business data stream (`biz-<business>`): retention policy, shards over the data nodes, a replica when there is a second node. */
export function indexTemplateBody(dataNodes: number): Record<string, unknown> {
  const keyword = { type: "keyword" };
  return {
    index_patterns: [`${BUSINESS_INDEX_PREFIX}*`],
    data_stream: {},
    priority: 200,
    template: {
      settings: {
        "index.lifecycle.name": ILM_POLICY,
        "index.number_of_shards": Math.min(dataNodes, 3),
        "index.number_of_replicas": dataNodes >= 2 ? 1 : 0,
      },
      mappings: {
        properties: {
          "@timestamp": { type: "date" },
          message: { type: "text" },
          business: keyword,
          datacenter: keyword,
          namespace: keyword,
          pod: keyword,
          node: keyword,
        },
      },
    },
  };
}

/** The writer may append to business data streams and nothing else. */
export function writerRoleBody(): Record<string, unknown> {
  return {
    cluster: ["monitor"],
    indices: [
      {
        names: [`${BUSINESS_INDEX_PREFIX}*`],
        privileges: ["create_doc", "auto_configure", "view_index_metadata"],
      },
    ],
  };
}

/** Single-quotes a string for sh. */
const sq = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * The setup Job's script: wait for the cluster, then PUT (idempotent) the
 * retention policy, the index template, the writer role and the two service
 * users. Passwords come from env (alphanumeric: safe inside JSON).
 */
export function setupScript(model: DatacenterModel): string {
  const log = model.config.logging;
  const put = (p: string, body: Record<string, unknown>) => `put ${sq(p)} ${sq(JSON.stringify(body))}`;
  return [
    "set -eu",
    `es=${sq(clientUrl())}`,
    `auth="elastic:$ELASTIC_PASSWORD"`,
    `until curl -fsS -o /dev/null --cacert ${CA_FILE} -u "$auth" "$es/_cluster/health?wait_for_status=yellow&timeout=30s"; do echo "waiting for Elasticsearch"; sleep 5; done`,
    `put() { curl -fsS -o /dev/null --cacert ${CA_FILE} -u "$auth" -X PUT -H 'Content-Type: application/json' "$es$1" -d "$2"; echo "PUT $1"; }`,
    put(`/_ilm/policy/${ILM_POLICY}`, ilmPolicyBody(log.retentionDays)),
    put(`/_index_template/${INDEX_TEMPLATE}`, indexTemplateBody(log.dataNodes)),
    put(`/_security/role/${LOG_WRITER_USER}`, writerRoleBody()),
    `put ${sq(`/_security/user/${LOG_WRITER_USER}`)} "{\\"password\\":\\"$WRITER_PASSWORD\\",\\"roles\\":[\\"${LOG_WRITER_USER}\\"]}"`,
    `put ${sq(`/_security/user/${EXPORTER_USER}`)} "{\\"password\\":\\"$EXPORTER_PASSWORD\\",\\"roles\\":[\\"remote_monitoring_collector\\"]}"`,
    "",
  ].join("\n");
}

const smallResources = {
  requests: { cpu: "20m", memory: "64Mi" },
  limits: { cpu: "200m", memory: "256Mi" },
};
const restrictedContainer = {
  runAsNonRoot: true,
  runAsUser: 1000,
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  capabilities: { drop: ["ALL"] },
  seccompProfile: { type: "RuntimeDefault" },
};

export function setupJob(model: DatacenterModel): k8s.types.input.batch.v1.Job {
  const secret = (name: string, key: string) => ({
    name,
    valueFrom: { secretKeyRef: { name: esNames.credentials, key } },
  });
  return {
    metadata: {
      ...meta(esNames.setupJob),
      // Completion depends on the whole cluster forming; `pulumi up` should
      // not block on it (the alerts say when the cluster is unhealthy).
      annotations: { "pulumi.com/skipAwait": "true" },
    },
    spec: {
      backoffLimit: 20,
      activeDeadlineSeconds: 3600,
      template: {
        metadata: { labels: { ...managedBy, "app.kubernetes.io/name": "es-setup" } },
        spec: {
          restartPolicy: "OnFailure",
          // It talks to Elasticsearch only.
          automountServiceAccountToken: false,
          securityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
          affinity: esScheduling("client").affinity,
          containers: [
            {
              name: "setup",
              image: imagesFor(model).elasticsearch,
              command: ["/bin/sh", "-c", setupScript(model)],
              env: [
                secret("ELASTIC_PASSWORD", CREDENTIAL_KEYS.elasticPassword),
                secret("WRITER_PASSWORD", CREDENTIAL_KEYS.writerPassword),
                secret("EXPORTER_PASSWORD", CREDENTIAL_KEYS.exporterPassword),
              ],
              resources: smallResources,
              securityContext: restrictedContainer,
              volumeMounts: [caVolumeMount],
            },
          ],
          volumes: [caVolume],
        },
      },
    },
  };
}

/** The HTTP CA, for clients in the logging namespace. */
export const caVolume = { name: "elasticsearch-ca", configMap: { name: esNames.httpCa, defaultMode: 0o444 } };
export const caVolumeMount = { name: caVolume.name, mountPath: ES_CA_DIR, readOnly: true };

export { smallResources, restrictedContainer };
