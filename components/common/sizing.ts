/**
 * Sizing rules derived from CPU and memory limits. Components use them to set
 * values and the policy pack uses the same functions to check them, so the two
 * can never disagree (one source of truth per fact).
 */

/** Parses a Kubernetes CPU quantity ("500m", "1.5", "2", 2) into millicores; undefined when it is not one. */
export function cpuMillis(quantity: string | number | undefined): number | undefined {
  if (quantity === undefined || quantity === null) return undefined;
  if (typeof quantity === "number")
    return Number.isFinite(quantity) && quantity >= 0 ? Math.round(quantity * 1000) : undefined;
  const m = /^\s*([0-9]+(?:\.[0-9]+)?|\.[0-9]+)(m?)\s*$/.exec(quantity);
  if (!m) return undefined;
  const n = Number(m[1]);
  return m[2] === "m" ? Math.round(n) : Math.round(n * 1000);
}

/** Parses a memory quantity ("512Mi", "4Gi", "1G", "1048576") into MiB; undefined when it is not one. */
export function memoryMiB(quantity: string | number | undefined): number | undefined {
  if (quantity === undefined || quantity === null) return undefined;
  if (typeof quantity === "number") return quantity / 2 ** 20;
  const m = /^\s*([0-9]+(?:\.[0-9]+)?)(Ki|Mi|Gi|Ti|k|M|G|T)?\s*$/.exec(quantity);
  if (!m) return undefined;
  const factor: Record<string, number> = {
    "": 1 / 2 ** 20,
    Ki: 1 / 1024,
    Mi: 1,
    Gi: 1024,
    Ti: 1024 ** 2,
    k: 1000 / 2 ** 20,
    M: 1e6 / 2 ** 20,
    G: 1e9 / 2 ** 20,
    T: 1e12 / 2 ** 20,
  };
  return Number(m[1]) * factor[m[2] ?? ""];
}

/** The most worker processes/threads a CPU limit can keep busy: ceil(limit in cores). Policies use this as the bound. */
export function maxWorkersForCpuLimit(limitMillis: number): number {
  return Math.max(1, Math.ceil(limitMillis / 1000));
}

/**
 * nginx `worker_processes` for a container CPU limit: floor(limit in cores),
 * at least 1. Rounding down leaves the fraction to the ingress controller
 * process that shares the container and to nginx's cache manager.
 *
 * Why not `auto`: nginx counts the host's cores, not the cgroup quota. On the
 * seed's 24-core minions a 5–6 core limit got 24 workers, which were throttled
 * in turn and upstream response times rose to seconds.
 */
export function nginxWorkerProcesses(limitMillis: number): number {
  return Math.max(1, Math.floor(limitMillis / 1000));
}

/**
 * `worker_cpu_affinity` masks: one bitmask per worker, spread evenly over the
 * host's cores with a per-tier offset, so the tiers sharing a host do not all
 * pin their first workers to cores 0..n (the seed: "load piles up on the first
 * cores"). Masks are written most significant bit first, as nginx reads them.
 */
export function nginxCpuAffinity(workers: number, hostCores: number, offset = 0): string[] {
  if (workers < 1 || hostCores < 1)
    throw new Error(`workers (${workers}) and hostCores (${hostCores}) must be >= 1`);
  const stride = Math.max(1, Math.floor(hostCores / workers));
  return Array.from({ length: workers }, (_, i) => {
    const core = (offset + i * stride) % hostCores;
    return Array.from({ length: hostCores }, (_, bit) => (hostCores - 1 - bit === core ? "1" : "0")).join("");
  });
}

/** A stable small number from a name, to offset one tier's cores from another's. */
export function stableOffset(name: string, modulo: number): number {
  let h = 2166136261;
  for (const ch of name) h = Math.imul(h ^ ch.charCodeAt(0), 16777619) >>> 0;
  return modulo > 0 ? h % modulo : 0;
}

/** Connections per nginx worker, and the file-descriptor limit that goes with them (two fds per proxied connection). */
export function nginxConnections(
  workers: number,
  connectionsPerWorker = 16384,
): { workerConnections: number; workerRlimitNofile: number; podNofile: number } {
  const workerRlimitNofile = connectionsPerWorker * 2 + 1024;
  return {
    workerConnections: connectionsPerWorker,
    workerRlimitNofile,
    podNofile: workerRlimitNofile * workers + 4096,
  };
}

/**
 * Elasticsearch sizing from container limits: `node.processors` sizes every
 * thread pool, so it must follow the CPU limit (the seed: thread counts have to
 * match CPU limits); heap is half the memory limit (the rest is page cache),
 * capped below 31 GiB to keep compressed object pointers.
 */
export function elasticsearchSizing(
  cpuLimitMillis: number,
  memoryLimitMiB: number,
): { processors: number; heapMiB: number } {
  return {
    processors: maxWorkersForCpuLimit(cpuLimitMillis),
    heapMiB: Math.min(Math.floor(memoryLimitMiB / 2), 31 * 1024 - 1),
  };
}

/** JVM `-XX:ActiveProcessorCount` for a CPU limit (GC and JIT thread pools follow it). */
export function jvmActiveProcessors(cpuLimitMillis: number): number {
  return maxWorkersForCpuLimit(cpuLimitMillis);
}

/**
 * Graceful scale-in timing for an LB-backed proxy (the seed: the pod first
 * leaves the LB, then waits and drains). The preStop wait outlasts the LVS
 * health check's detection time (interval × failures) plus a margin for the
 * director sync, and the grace period covers preStop + nginx's own
 * worker_shutdown_timeout + a kill margin.
 */
export function gracefulTermination(
  lvsCheckIntervalSeconds: number,
  lvsCheckFailures: number,
  shutdownTimeoutSeconds = 30,
) {
  const detectionSeconds = lvsCheckIntervalSeconds * lvsCheckFailures;
  const preStopWaitSeconds = detectionSeconds + 5;
  const killMarginSeconds = 5;
  return {
    detectionSeconds,
    preStopWaitSeconds,
    shutdownTimeoutSeconds,
    terminationGracePeriodSeconds: preStopWaitSeconds + shutdownTimeoutSeconds + killMarginSeconds,
  };
}

/**
 * The least memory an nginx container with `workers` workers can run in, MiB:
 * a floor, not a sizing guide. The ingress-nginx controller process (Go, plus
 * the Lua shared dictionaries it preallocates) takes about 256 MiB; each
 * worker's Lua VM and pools about 32 MiB; and each of its
 * `connectionsPerWorker` connections needs at least its header and first
 * proxy buffer (1 KiB + one 4 KiB page) plus kernel socket state, rounded to
 * 8 KiB. Below this, a tier at full connection load is OOM-killed — every
 * connection through that pod dropped at once.
 */
export function nginxMemoryFloorMiB(workers: number, connectionsPerWorker = 16384): number {
  return 256 + workers * (32 + Math.ceil((connectionsPerWorker * 8) / 1024));
}

/**
 * The least memory an Elasticsearch container needs for its heap plus what
 * the JVM uses beside it, MiB: direct memory (Elasticsearch caps it at half
 * the heap), metaspace and code cache (about 128 MiB), and thread stacks (the
 * thread pools scale with `node.processors`: about 8 threads of 1 MiB per
 * processor). A container below it is OOM-killed under load, not at start.
 */
export function jvmMemoryFloorMiB(heapMiB: number, processors: number): number {
  return heapMiB + Math.ceil(heapMiB / 2) + 128 + processors * 8;
}
