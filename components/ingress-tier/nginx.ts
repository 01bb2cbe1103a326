/**
 * The nginx side of a business's ingress tier: the numbers derived from the
 * container's CPU limit and the LVS health check, the ingress-nginx ConfigMap
 * that carries them, and a complete nginx.conf rendered from the same values
 * so the real `nginx -t` can check what we generate (tests/tools/nginx.test.ts).
 *
 * Every number comes from components/common/sizing.ts, the functions the
 * policy pack checks with: one source of truth for worker counts, affinity
 * masks, connection and descriptor limits, and grace periods.
 */
import { LvsSection, type Business } from "../../stacks/schema";
import type { DatacenterModel } from "../../stacks/model";
import {
  gracefulTermination,
  nginxConnections,
  nginxCpuAffinity,
  nginxWorkerProcesses,
  stableOffset,
} from "../common/sizing";
import { FILEBEAT_LOG_MOUNT } from "../common/filebeat";
import { ingressPorts } from "./ports";

/** The LVS real-server health check the preStop wait must outlast. */
export interface LvsHealthCheck {
  readonly intervalSeconds: number;
  readonly failures: number;
  /** `config` when read from `private-cloud:lvs`, `default` when the stack has no lvs section. */
  readonly source: "config" | "default";
}

/**
 * The datacenter's LVS health-check settings; without an lvs section, the
 * schema's own defaults for them (so both paths use the same numbers).
 */
export function lvsHealthCheck(model: DatacenterModel): LvsHealthCheck {
  const lvs = model.config.lvs;
  if (lvs)
    return {
      intervalSeconds: lvs.healthCheckIntervalSeconds,
      failures: lvs.healthCheckFailures,
      source: "config",
    };
  return {
    intervalSeconds: LvsSection.properties.healthCheckIntervalSeconds.default as number,
    failures: LvsSection.properties.healthCheckFailures.default as number,
    source: "default",
  };
}

/**
 * Cores of the machines an ingress pod can land on, when they all have the
 * same count; undefined when the ingress machines differ. The masks live in
 * one ConfigMap per tier, written before the scheduler picks a machine, so
 * they can only follow the machine when every machine is the same. Sizing
 * them for the smallest machine (as this once did) pinned every tier inside
 * the first cores of a large machine, the seed's "load piles up on the first
 * cores" again; with mixed sizes the tier is not pinned at all and the
 * kernel spreads the workers.
 */
export function ingressHostCores(model: DatacenterModel): number | undefined {
  const cores = new Set(model.inventory.hosts.filter((h) => h.function === "ingress").map((h) => h.cores));
  return cores.size === 1 ? [...cores][0] : undefined;
}

/** Everything nginx-related that one tier derives from its business config. */
export interface NginxTuning {
  readonly business: string;
  readonly cpuLimitMillis: number;
  readonly cpuRequestMillis: number;
  readonly memoryLimitMiB: number;
  /** `worker_processes`: floor(CPU limit in cores), never `auto` (the seed's 24-workers-on-6-cores incident). */
  readonly workerProcesses: number;
  /** Cores of every ingress machine; undefined when they differ (and the workers are not pinned). */
  readonly hostCores: number | undefined;
  /** First core of this tier's masks: different businesses start on different cores of a shared host. */
  readonly affinityOffset: number;
  /** One mask per worker (`worker_cpu_affinity`); empty when the machine is not known (not pinned). */
  readonly cpuAffinity: readonly string[];
  readonly workerConnections: number;
  readonly workerRlimitNofile: number;
  readonly lvs: LvsHealthCheck;
  /** preStop wait, shutdown timeout and grace period. */
  readonly termination: ReturnType<typeof gracefulTermination>;
  readonly warmupSeconds: number;
}

export function nginxTuning(model: DatacenterModel, biz: Business): NginxTuning {
  const workerProcesses = nginxWorkerProcesses(biz.cpuLimitMillis);
  const hostCores = ingressHostCores(model);
  const affinityOffset = hostCores === undefined ? 0 : stableOffset(biz.name, hostCores);
  const conns = nginxConnections(workerProcesses);
  const lvs = lvsHealthCheck(model);
  return {
    business: biz.name,
    cpuLimitMillis: biz.cpuLimitMillis,
    cpuRequestMillis: biz.cpuRequestMillis ?? biz.cpuLimitMillis,
    memoryLimitMiB: biz.memoryLimitMiB,
    workerProcesses,
    hostCores,
    affinityOffset,
    cpuAffinity: hostCores === undefined ? [] : nginxCpuAffinity(workerProcesses, hostCores, affinityOffset),
    workerConnections: conns.workerConnections,
    workerRlimitNofile: conns.workerRlimitNofile,
    lvs,
    termination: gracefulTermination(lvs.intervalSeconds, lvs.failures, biz.workerShutdownTimeoutSeconds),
    warmupSeconds: biz.warmupSeconds,
  };
}

/** Paths the generated config refers to; tests point them into a temporary directory. */
export interface NginxPaths {
  /** Created by the preStop hook: the health server answers 503 from then on. */
  readonly drainFile: string;
  /** Directory of the daily access logs (the EmptyDir the filebeat sidecar reads). */
  readonly logDir: string;
  /** Port of the drain-aware health server. */
  readonly lbHealthPort: number;
}

/** The drain marker lives on its own tiny EmptyDir, mounted here in the controller container. */
export const DRAIN_DIR = "/run/lb-drain";
export const LB_HEALTH_PATH = "/lb-health";

export const podPaths: NginxPaths = {
  drainFile: `${DRAIN_DIR}/draining`,
  logDir: FILEBEAT_LOG_MOUNT,
  lbHealthPort: ingressPorts.lbHealth,
};

/** nginx variable holding today's date (YYYY-MM-DD), used in the access log's file name. */
const LOG_DAY_VAR = "$pc_log_day";

/** Access log file: one per day, so the filebeat sidecar can prune whole days. */
export function accessLogPath(paths: NginxPaths): string {
  return `${paths.logDir}/access-${LOG_DAY_VAR}.log`;
}

/**
 * The http-context snippet we add to ingress-nginx's nginx.conf:
 *
 * - the day variable for the access log name, and a descriptor cache (a
 *   variable in a log path otherwise makes nginx open the file per request);
 * - a health server on its own port that turns 503 once the preStop hook has
 *   created the drain file. It is what readiness and the LVS real-server check
 *   probe, so a terminating pod leaves both before nginx stops accepting
 *   (the seed: "the pod is removed from the LB first, then waits and exits").
 *
 * ingress-nginx has no slow-start for new upstreams (kubernetes/ingress-nginx#2291):
 * protecting a new pod is the startup probe's job (see manifests.ts), not nginx's.
 */
export function httpSnippet(paths: NginxPaths): string {
  return [
    `map $time_iso8601 ${LOG_DAY_VAR} {`,
    `    "~^(?<pc_day>\\d{4}-\\d{2}-\\d{2})" $pc_day;`,
    `    default "undated";`,
    `}`,
    `open_log_file_cache max=16 inactive=2m valid=1m min_uses=1;`,
    `server {`,
    `    listen ${paths.lbHealthPort};`,
    `    access_log off;`,
    `    location = ${LB_HEALTH_PATH} {`,
    `        default_type text/plain;`,
    `        if (-f ${paths.drainFile}) {`,
    `            return 503 "draining\\n";`,
    `        }`,
    `        return 200 "ok\\n";`,
    `    }`,
    `    location / {`,
    `        return 404;`,
    `    }`,
    `}`,
    ``,
  ].join("\n");
}

/**
 * The ingress-nginx controller ConfigMap (keys as ingress-nginx names them).
 * Values are strings, as a ConfigMap holds them.
 */
export function controllerConfigData(t: NginxTuning, paths: NginxPaths = podPaths): Record<string, string> {
  return {
    "worker-processes": String(t.workerProcesses),
    // Empty means no pinning (ingress-nginx's own default).
    "worker-cpu-affinity": t.cpuAffinity.join(" "),
    "max-worker-connections": String(t.workerConnections),
    "max-worker-open-files": String(t.workerRlimitNofile),
    "worker-shutdown-timeout": `${t.termination.shutdownTimeoutSeconds}s`,
    "http-snippet": httpSnippet(paths),
    // Only the http context knows the day variable; stream (L4) logs stay on stdout.
    "http-access-log-path": accessLogPath(paths),
    "stream-access-log-path": "/dev/stdout",
    "error-log-path": "/dev/stderr",
    // Business teams configure hosts and paths, not nginx: snippet annotations
    // on an Ingress would bypass every number above.
    "allow-snippet-annotations": "false",
    // The client address arrives in the TCP option the TOA module reads
    // (seed part 4), so the socket peer already is the client: no header to trust.
    "use-forwarded-headers": "false",
  };
}

/** Certificate and key files (PEM) of one TLS server. */
export interface TlsFiles {
  readonly certFile: string;
  readonly keyFile: string;
}

/**
 * The HTTPS side as ingress-nginx renders it: a server per Ingress `tls`
 * entry for its hosts, and the default server on the same port with the
 * `--default-ssl-certificate` (what a client without SNI, or with a name no
 * Ingress lists, is served instead of the controller's self-signed fake).
 */
export interface NginxTls {
  readonly port: number;
  readonly servers: readonly (TlsFiles & { readonly hosts: readonly string[] })[];
  readonly defaultCertificate: TlsFiles;
}

/** The HTTPS server blocks of `tls` (TLS 1.2+ only: ingress-nginx's default `ssl-protocols`). */
export function tlsServerBlocks(tls: NginxTls): string {
  const server = (names: string, files: TlsFiles, extra: string[]) => [
    `server {`,
    `    listen ${tls.port} ssl${extra.includes("default") ? " default_server" : ""};`,
    `    server_name ${names};`,
    `    ssl_certificate ${files.certFile};`,
    `    ssl_certificate_key ${files.keyFile};`,
    `    ssl_protocols TLSv1.2 TLSv1.3;`,
    `    location / {`,
    `        default_type text/plain;`,
    `        return 200 "$server_name\n";`,
    `    }`,
    `}`,
  ];
  return [
    ...server("_", tls.defaultCertificate, ["default"]),
    ...tls.servers.flatMap((s) => server(s.hosts.join(" "), s, [])),
    ``,
  ].join("\n");
}

/**
 * A complete nginx.conf with the main/events directives ingress-nginx renders
 * from the ConfigMap above and our http snippet, for `nginx -t`. `prefix` is
 * where temporary files and the pid file go (the test's temporary directory).
 * With `tls`, the HTTPS servers too (tests/tools/nginx-tls.test.ts serves them).
 */
export function renderNginxConf(t: NginxTuning, paths: NginxPaths, prefix: string, tls?: NginxTls): string {
  const data = controllerConfigData(t, paths);
  const indent = (text: string) =>
    text
      .split("\n")
      .map((l) => (l ? `    ${l}` : l))
      .join("\n");
  return [
    `# Rendered by components/ingress-tier/nginx.ts for business ${t.business}.`,
    `worker_processes ${data["worker-processes"]};`,
    ...(data["worker-cpu-affinity"] ? [`worker_cpu_affinity ${data["worker-cpu-affinity"]};`] : []),
    `worker_rlimit_nofile ${data["max-worker-open-files"]};`,
    `worker_shutdown_timeout ${data["worker-shutdown-timeout"]};`,
    `pid ${prefix}/nginx.pid;`,
    `error_log stderr notice;`,
    ``,
    `events {`,
    `    worker_connections ${data["max-worker-connections"]};`,
    `    multi_accept on;`,
    `}`,
    ``,
    `http {`,
    `    client_body_temp_path ${prefix}/client_body;`,
    `    proxy_temp_path ${prefix}/proxy;`,
    `    fastcgi_temp_path ${prefix}/fastcgi;`,
    `    uwsgi_temp_path ${prefix}/uwsgi;`,
    `    scgi_temp_path ${prefix}/scgi;`,
    `    log_format upstreaminfo '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent $request_time $upstream_addr $upstream_response_time $upstream_status';`,
    `    access_log ${data["http-access-log-path"]} upstreaminfo;`,
    indent(data["http-snippet"]),
    ...(tls ? [indent(tlsServerBlocks(tls))] : []),
    `}`,
    ``,
  ].join("\n");
}
