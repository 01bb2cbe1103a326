/**
 * The filebeat sidecar every business workload ships its logs with (seed
 * part 7): fluentd, sharing the app's log volume, lagged and ate resources;
 * filebeat did the same job under 0.1 core and 100 MB. So the limits here are
 * the seed's numbers, and the policy pack reads the same `filebeatLimits`.
 *
 * The app writes its logs into an EmptyDir (on the minions' plain partition,
 * seed part 2) and the sidecar mounts that same volume. Each business gets its
 * own data stream (`biz-<business>`) on the Elasticsearch client nodes; the
 * LoggingStack owns the index template, the retention policy and the writer
 * user whose credentials the sidecar reads from a Secret in the pod's namespace.
 *
 * Log files are named by day (the app rolls them; the ingress tier's nginx
 * writes `access-YYYY-MM-DD.log`), and the sidecar prunes files nobody has
 * written to for `pruneAfterHours`: an EmptyDir has no logrotate, and a full
 * kubelet partition evicts every pod on the node.
 */
import type * as k8s from "@pulumi/kubernetes";
import { stringify } from "yaml";
import type { DatacenterModel } from "../../stacks/model";
import { imagesFor } from "../../stacks/images";

/** The seed: filebeat ships a business's logs in < 0.1 core and < 100 MB. Upper bounds; the policy pack checks them. */
export const filebeatLimits = { cpuMillis: 100, memoryMiB: 100 } as const;
/** Requests: what filebeat uses at a steady trickle of lines (it is mostly idle between scans). */
export const filebeatRequests = { cpuMillis: 20, memoryMiB: 64 } as const;

export const FILEBEAT_CONTAINER = "filebeat";
/** Port of filebeat's HTTP stats endpoint (JSON), scraped through json-exporter for the lag alert. */
export const FILEBEAT_STATS_PORT = 5066;
export const FILEBEAT_STATS_PORT_NAME = "filebeat-stats";
/** Pod label that marks pods carrying the sidecar: the json-exporter scrape job selects on it. */
export const FILEBEAT_POD_LABEL = "private-cloud.io/filebeat";
/** Data streams of business logs are `biz-<business>`; the LoggingStack's index template matches the prefix. */
export const BUSINESS_INDEX_PREFIX = "biz-";
/**
 * Elasticsearch speaks HTTPS with a CA of its own (the LoggingStack's): every
 * namespace whose pods ship logs gets this ConfigMap, key `ca.crt`, from the
 * platform (the IngressTier puts it in the tier's and the business's
 * namespaces), and clients trust that CA only.
 */
export const ES_CA_CONFIGMAP = "elasticsearch-ca";
export const ES_CA_KEY = "ca.crt";
/** Where clients mount that ConfigMap. */
export const ES_CA_DIR = "/etc/elasticsearch-ca";

/** Keys of the credentials Secret the sidecar reads (the LoggingStack writes them). */
export const LOG_WRITER_SECRET_KEYS = { username: "username", password: "password" } as const;
/** Where the sidecar mounts the app's log volume. */
export const FILEBEAT_LOG_MOUNT = "/var/log/app";
/** filebeat image's own user (uid/gid 1000): it runs unprivileged. */
export const FILEBEAT_UID = 1000;

/** The data stream a business's logs land in. */
export function businessIndexName(business: string): string {
  return `${BUSINESS_INDEX_PREFIX}${business}`;
}

/** Where workloads send logs: the LoggingStack's client Service and the writer credentials. */
export interface LogShipping {
  /** Elasticsearch client URLs, e.g. ["https://es-client.logging.svc:9200"]. */
  readonly hosts: readonly string[];
  /** Name of the Secret (in the workload's namespace) with `username` and `password`. */
  readonly credentialsSecret: string;
}

export interface FilebeatSidecarArgs {
  /** Business the logs belong to: picks the data stream and labels every event. */
  readonly business: string;
  /** Name of the app's EmptyDir log volume in the pod spec (shared, not created here). */
  readonly logVolume: string;
  /** File globs inside the log volume. Default: ["*.log"]. */
  readonly logFiles?: readonly string[];
  /** Where to ship. */
  readonly shipping: LogShipping;
  /** Name of the ConfigMap (in the pod's namespace) holding `filebeat.yml`. Default: `filebeat-<business>`. */
  readonly configMapName?: string;
  /** Files untouched for this long are deleted from the log volume, hours. Default: 48 (a day of lag headroom past the daily roll). */
  readonly pruneAfterHours?: number;
}

export interface FilebeatSidecar {
  readonly container: k8s.types.input.core.v1.Container;
  /** Volumes to add to the pod: the config and filebeat's registry (the log volume is the app's). */
  readonly volumes: readonly k8s.types.input.core.v1.Volume[];
  /** The ConfigMap to create in the pod's namespace. */
  readonly configMap: { readonly name: string; readonly data: Record<string, string> };
  /** Labels to merge into the pod template (marks the pod for the lag scrape). */
  readonly podLabels: Record<string, string>;
}

const CONFIG_VOLUME = "filebeat-config";
const DATA_VOLUME = "filebeat-data";
const CA_VOLUME = "elasticsearch-ca";
const CONFIG_DIR = "/etc/filebeat";
const DATA_DIR = "/usr/share/filebeat/data";

/**
 * What the sidecar needs to know about its datacenter. The platform stack
 * derives it from the model (`filebeatSite`); a business stack reads the same
 * values from the platform stack's outputs.
 */
export interface FilebeatSite {
  /** Datacenter name, put on every event. */
  readonly datacenter: string;
  /** The filebeat image reference (pinned, from the registry mirror). */
  readonly image: string;
}

export function filebeatSite(model: DatacenterModel): FilebeatSite {
  return { datacenter: model.name, image: imagesFor(model).filebeat };
}

const siteOf = (m: DatacenterModel | FilebeatSite): FilebeatSite => ("datacenter" in m ? m : filebeatSite(m));

/** filebeat.yml as a typed object; `filebeatConfigText` renders it. */
export function filebeatConfig(
  model: DatacenterModel | FilebeatSite,
  args: FilebeatSidecarArgs,
): Record<string, unknown> {
  const globs = args.logFiles ?? ["*.log"];
  return {
    "filebeat.inputs": [
      {
        type: "filestream",
        id: `${args.business}-app-logs`,
        paths: globs.map((g) => `${FILEBEAT_LOG_MOUNT}/${g}`),
        // Daily files: a file quiet for 5 minutes is yesterday's; release its handle.
        "close.on_state_change.inactive": "5m",
        fields_under_root: true,
        fields: {
          business: args.business,
          datacenter: siteOf(model).datacenter,
          pod: "${POD_NAME}",
          namespace: "${POD_NAMESPACE}",
          node: "${NODE_NAME}",
        },
      },
    ],
    "output.elasticsearch": {
      hosts: [...args.shipping.hosts],
      username: "${ES_USERNAME}",
      password: "${ES_PASSWORD}",
      // HTTPS, trusting only the LoggingStack's CA (full verification: the
      // certificate names the client Service).
      "ssl.certificate_authorities": [`${ES_CA_DIR}/${ES_CA_KEY}`],
      "ssl.verification_mode": "full",
      index: businessIndexName(args.business),
    },
    // The LoggingStack owns the template and the retention policy; the writer
    // user may not (and need not) install them.
    "setup.template.enabled": false,
    "setup.ilm.enabled": false,
    // One OS thread and a small queue keep filebeat inside its 100Mi: the
    // queue, not the harvesters, is what grows when Elasticsearch is slow.
    max_procs: 1,
    "queue.mem.events": 2048,
    http: { enabled: true, host: "0.0.0.0", port: FILEBEAT_STATS_PORT },
    "path.data": DATA_DIR,
    "logging.metrics.enabled": false,
  };
}

export function filebeatConfigText(model: DatacenterModel | FilebeatSite, args: FilebeatSidecarArgs): string {
  return `# Generated by private-cloud (components/common/filebeat.ts); edit the builder, not this file.\n${stringify(
    filebeatConfig(model, args),
    { lineWidth: 0 },
  )}`;
}

/** The sidecar's entrypoint: prune quiet files hourly in the background, then run filebeat in the foreground. */
export function filebeatCommand(pruneAfterHours: number): string[] {
  const minutes = Math.round(pruneAfterHours * 60);
  return [
    "/bin/sh",
    "-c",
    [
      `(while :; do find ${FILEBEAT_LOG_MOUNT} -type f -name '*.log' -mmin +${minutes} -delete 2>/dev/null; sleep 3600; done) &`,
      `exec filebeat -e -c ${CONFIG_DIR}/filebeat.yml`,
    ].join("\n"),
  ];
}

/**
 * The sidecar, its volumes, its ConfigMap and pod labels. The caller adds the
 * container and volumes to the pod spec, merges the labels and creates the
 * ConfigMap; `withFilebeat` does all of that for a pod spec in one call.
 */
export function filebeatSidecar(
  model: DatacenterModel | FilebeatSite,
  args: FilebeatSidecarArgs,
): FilebeatSidecar {
  const configMapName = args.configMapName ?? `filebeat-${args.business}`;
  const fromField = (name: string, fieldPath: string) => ({ name, valueFrom: { fieldRef: { fieldPath } } });
  const fromSecret = (name: string, key: string) => ({
    name,
    valueFrom: { secretKeyRef: { name: args.shipping.credentialsSecret, key } },
  });
  return {
    container: {
      name: FILEBEAT_CONTAINER,
      image: siteOf(model).image,
      command: filebeatCommand(args.pruneAfterHours ?? 48),
      env: [
        fromField("POD_NAME", "metadata.name"),
        fromField("POD_NAMESPACE", "metadata.namespace"),
        fromField("NODE_NAME", "spec.nodeName"),
        fromSecret("ES_USERNAME", LOG_WRITER_SECRET_KEYS.username),
        fromSecret("ES_PASSWORD", LOG_WRITER_SECRET_KEYS.password),
        // Go's GC otherwise lets the heap grow to twice the live set and the
        // kernel OOM-kills at the limit; a soft limit below it makes GC work harder instead.
        { name: "GOMEMLIMIT", value: `${Math.floor(filebeatLimits.memoryMiB * 0.8)}MiB` },
      ],
      ports: [{ name: FILEBEAT_STATS_PORT_NAME, containerPort: FILEBEAT_STATS_PORT, protocol: "TCP" }],
      volumeMounts: [
        { name: args.logVolume, mountPath: FILEBEAT_LOG_MOUNT },
        { name: CONFIG_VOLUME, mountPath: CONFIG_DIR, readOnly: true },
        { name: CA_VOLUME, mountPath: ES_CA_DIR, readOnly: true },
        { name: DATA_VOLUME, mountPath: DATA_DIR },
      ],
      resources: {
        requests: { cpu: `${filebeatRequests.cpuMillis}m`, memory: `${filebeatRequests.memoryMiB}Mi` },
        limits: { cpu: `${filebeatLimits.cpuMillis}m`, memory: `${filebeatLimits.memoryMiB}Mi` },
      },
      securityContext: {
        runAsNonRoot: true,
        runAsUser: FILEBEAT_UID,
        runAsGroup: FILEBEAT_UID,
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        capabilities: { drop: ["ALL"] },
        seccompProfile: { type: "RuntimeDefault" },
      },
    },
    volumes: [
      { name: CONFIG_VOLUME, configMap: { name: configMapName, defaultMode: 0o444 } },
      { name: CA_VOLUME, configMap: { name: ES_CA_CONFIGMAP, defaultMode: 0o444 } },
      // The registry (read offsets) survives container restarts with the pod,
      // so a restarted sidecar resumes instead of re-shipping every file.
      { name: DATA_VOLUME, emptyDir: { sizeLimit: "64Mi" } },
    ],
    configMap: { name: configMapName, data: { "filebeat.yml": filebeatConfigText(model, args) } },
    podLabels: { [FILEBEAT_POD_LABEL]: args.business },
  };
}

type PodSpec = k8s.types.input.core.v1.PodSpec;
/** A pod spec whose containers, volumes and security context are plain values (what our builders return). */
export type PlainPodSpec = Omit<PodSpec, "containers" | "volumes" | "securityContext"> & {
  containers: k8s.types.input.core.v1.Container[];
  volumes?: k8s.types.input.core.v1.Volume[];
  securityContext?: k8s.types.input.core.v1.PodSecurityContext;
};

/**
 * A pod spec with the sidecar added: container, volumes and an fsGroup so the
 * files the app writes into the shared EmptyDir are readable by filebeat's
 * group. The spec must already mount `args.logVolume` in the app container.
 */
export function withFilebeat(
  model: DatacenterModel | FilebeatSite,
  spec: PlainPodSpec,
  args: FilebeatSidecarArgs,
): { spec: PlainPodSpec; sidecar: FilebeatSidecar } {
  const sidecar = filebeatSidecar(model, args);
  const volumes = spec.volumes ?? [];
  if (!volumes.some((v) => v.name === args.logVolume))
    throw new Error(
      `withFilebeat: the pod spec has no volume ${JSON.stringify(args.logVolume)} (expected the app's EmptyDir log volume)`,
    );
  return {
    spec: {
      ...spec,
      containers: [...spec.containers, sidecar.container],
      volumes: [...volumes, ...sidecar.volumes],
      securityContext: { ...spec.securityContext, fsGroup: FILEBEAT_UID },
    },
    sidecar,
  };
}
