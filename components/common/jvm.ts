/**
 * The contract between BusinessApp and the business images (`jetty`, and the
 * s6-supervised multi-process image): which environment variables the
 * platform sets and what the image must do with them. One place, so the
 * component that sets them, the images that read them and the policy pack
 * that checks them cannot drift apart.
 *
 * Why the platform computes JVM sizing instead of the image: the seed's
 * incident was a process sized from the host (24 cores) inside a 5–6 core
 * limit. A JVM that trusts its own container detection still picks GC and
 * JIT thread counts from `cpu.shares` on cgroup v1 kernels older than the
 * JDK's fixes (JDK-8281181 dropped shares-based sizing only in JDK 19), so the
 * count is given explicitly, from the same function the policy pack checks.
 */
import { jvmActiveProcessors } from "./sizing";

/** Environment variables every business container gets. The image must honour each as described. */
export const JVM_ENV = {
  /**
   * Complete JVM options, platform-sized options first and the business's own
   * after them (the JVM takes the last of a repeated flag, and so does the
   * policy pack's check). The image passes them to `java` verbatim and adds
   * no sizing flags of its own.
   */
  javaOpts: "JAVA_OPTS",
  /** `-XX:ActiveProcessorCount` as a bare integer (already inside JAVA_OPTS), for start scripts that size thread pools. */
  activeProcessors: "JVM_ACTIVE_PROCESSORS",
  /** Heap size in MiB (already inside JAVA_OPTS as -Xms/-Xmx). */
  heapMiB: "JVM_HEAP_MIB",
  /** Port Jetty's HTTP connector listens on. */
  httpPort: "JETTY_HTTP_PORT",
  /** Port of the Prometheus endpoint (`/metrics`: JVM heap, GC, Jetty threads and requests, logger error counter). */
  metricsPort: "JVM_METRICS_PORT",
  /**
   * Seconds Jetty's graceful stop may take after SIGTERM (`jetty.server.stopTimeout`):
   * in-flight requests finish, new connections are refused.
   */
  gracefulStopSeconds: "JETTY_GRACEFUL_STOP_SECONDS",
  /** Directory the app writes its log files into (an EmptyDir the filebeat sidecar reads). */
  logDir: "APP_LOG_DIR",
  /** Directory holding the business's config files (a read-only ConfigMap mount). */
  configDir: "APP_CONFIG_DIR",
  /** The business name and datacenter, for log fields and metrics labels. */
  business: "APP_BUSINESS",
  datacenter: "APP_DATACENTER",
} as const;

/** Paths inside business containers (part of the same contract). */
export const APP_PATHS = {
  logDir: "/var/log/app",
  configDir: "/etc/app",
  /**
   * Multi-process images run s6-overlay's `/init` as PID 1 and read one
   * service per directory here (`<name>/run`, executable); the layout
   * s6-overlay v3 still reads for services defined at deploy time.
   */
  s6ServicesDir: "/etc/services.d",
} as const;

/**
 * The numeric user and group business images run as: Pod Security
 * `restricted` (the business namespaces' level) needs a non-root user, and a
 * numeric one lets kubelet check it without reading the image.
 */
export const APP_UID = 10001;

export interface JvmSizing {
  /** `-XX:ActiveProcessorCount`: ceil(CPU limit in cores). */
  readonly activeProcessors: number;
  /** -Xms = -Xmx, MiB. */
  readonly heapMiB: number;
  /** Platform options, in order. */
  readonly options: readonly string[];
}

/** Memory the JVM needs outside the heap (metaspace, code cache, thread stacks, direct buffers), at least, MiB. */
export const JVM_NON_HEAP_FLOOR_MIB = 256;

/**
 * JVM sizing from the container limits. The heap is `heapPercent` of the
 * memory limit, but always leaves JVM_NON_HEAP_FLOOR_MIB outside it: a heap
 * that fills the limit gets the container OOM-killed by the kernel instead
 * of throwing a Java OutOfMemoryError the logs can explain.
 */
export function jvmSizing(cpuLimitMillis: number, memoryLimitMiB: number, heapPercent: number): JvmSizing {
  const activeProcessors = jvmActiveProcessors(cpuLimitMillis);
  const heapMiB = Math.max(
    64,
    Math.min(Math.floor((memoryLimitMiB * heapPercent) / 100), memoryLimitMiB - JVM_NON_HEAP_FLOOR_MIB),
  );
  return {
    activeProcessors,
    heapMiB,
    options: [
      `-XX:ActiveProcessorCount=${activeProcessors}`,
      `-Xms${heapMiB}m`,
      `-Xmx${heapMiB}m`,
      // Fixed heap: no resize pauses, and an OOM shows in the logs, not as a kernel kill.
      "-XX:+AlwaysPreTouch",
      "-XX:+ExitOnOutOfMemoryError",
    ],
  };
}

/** JAVA_OPTS: the platform's options, then the business's own (which the policy pack still checks). */
export function javaOpts(sizing: JvmSizing, businessOptions: readonly string[]): string {
  return [...sizing.options, ...businessOptions].join(" ");
}

/**
 * Series the business images expose on JVM_ENV.metricsPort (`/metrics`), which
 * BusinessApp's alert rules read: the Prometheus Java client's JVM collectors,
 * Jetty's statistics collector and a logging-appender counter (the seed's soft
 * metrics: JVM and logger error counters).
 */
export const JVM_METRICS = {
  /** Gauge, bytes; label area="heap". */
  memoryUsed: "jvm_memory_used_bytes",
  /** Gauge, bytes; label area="heap". */
  memoryMax: "jvm_memory_max_bytes",
  /** Summary of GC pauses: its `_sum` is seconds spent in GC. */
  gcSeconds: "jvm_gc_collection_seconds",
  /** Counter of log events; label level="error" is the logger error counter. */
  loggerEvents: "logback_appender_total",
  /** Counters of Jetty responses; label code="1xx".."5xx". */
  jettyResponses: "jetty_responses_total",
} as const;
