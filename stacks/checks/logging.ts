/**
 * Elasticsearch must fit the logging machines: master and data pods never
 * share a host with a pod of their own role (required anti-affinity: two data
 * nodes on one host would let one machine take both copies of a shard), every
 * role's limits must fit the smallest logging machine, all roles together
 * must fit one machine (the scheduler may put a master, a data node and a
 * client on the same host), and each role's memory must hold the heap plus
 * what the JVM uses beside it.
 */
import { elasticsearchSizing, jvmMemoryFloorMiB } from "../../components/common/sizing";
import type { CheckContext } from "./context";

/** Master-eligible Elasticsearch nodes: three, so one loss keeps a quorum of two. */
export const ES_MASTER_NODES = 3;

const ROLES = ["master", "data", "client"] as const;

export function loggingChecks(ctx: CheckContext): void {
  const { cfg, issues, cfgPath } = ctx;
  const log = cfg.logging;
  const hosts = ctx.hostsOf("logging");
  if (!log || hosts.length === 0) return; // a missing logging function is reported with the machine functions
  if (hosts.length < ES_MASTER_NODES)
    issues.add(
      cfgPath("logging"),
      `only ${hosts.length} logging host(s) (expected at least ${ES_MASTER_NODES}: the ${ES_MASTER_NODES} Elasticsearch masters each need their own host)`,
    );
  if (log.dataNodes > hosts.length)
    issues.add(
      cfgPath("logging", "dataNodes"),
      `${log.dataNodes} data nodes but only ${hosts.length} logging host(s) (expected at most ${hosts.length}: data nodes never share a host)`,
    );
  const minCores = Math.min(...hosts.map((h) => h.cores));
  const minMemMiB = Math.min(...hosts.map((h) => h.memoryGiB * 1024));
  for (const role of ROLES) {
    const r = log[role];
    if (r.cpuLimitMillis > minCores * 1000)
      issues.add(
        cfgPath("logging", role, "cpuLimitMillis"),
        `${r.cpuLimitMillis} exceeds the smallest logging machine's ${minCores} cores (expected at most ${minCores * 1000})`,
      );
    if (r.memoryLimitMiB > minMemMiB)
      issues.add(
        cfgPath("logging", role, "memoryLimitMiB"),
        `${r.memoryLimitMiB} exceeds the smallest logging machine's ${minMemMiB} MiB (expected at most ${minMemMiB})`,
      );
    const { heapMiB, processors } = elasticsearchSizing(r.cpuLimitMillis, r.memoryLimitMiB);
    const floor = jvmMemoryFloorMiB(heapMiB, processors);
    if (floor > r.memoryLimitMiB)
      issues.add(
        cfgPath("logging", role, "memoryLimitMiB"),
        `${r.memoryLimitMiB} cannot hold a ${heapMiB} MiB heap plus the JVM's direct memory, metaspace and the thread stacks of ${processors} processors (from cpuLimitMillis ${r.cpuLimitMillis}) (expected at least ${floor}, or a lower cpuLimitMillis)`,
      );
  }
  // Requests equal limits for every role, so the sums are what the scheduler
  // counts. A role that alone exceeds the machine is reported above: one
  // mistake, one message.
  const alone = ROLES.some(
    (r) => log[r].cpuLimitMillis > minCores * 1000 || log[r].memoryLimitMiB > minMemMiB,
  );
  if (alone) return;
  const cpu = ROLES.reduce((s, r) => s + log[r].cpuLimitMillis, 0);
  const mem = ROLES.reduce((s, r) => s + log[r].memoryLimitMiB, 0);
  const terms = (key: "cpuLimitMillis" | "memoryLimitMiB") =>
    ROLES.map((r) => `${r} ${log[r][key]}`).join(" + ");
  if (cpu > minCores * 1000)
    issues.add(
      cfgPath("logging"),
      `one logging machine may run a master, a data and a client node: ${terms("cpuLimitMillis")} = ${cpu}m CPU, more than the smallest logging machine's ${minCores * 1000}m (expected the three roles' cpuLimitMillis to sum to at most ${minCores * 1000})`,
    );
  if (mem > minMemMiB)
    issues.add(
      cfgPath("logging"),
      `one logging machine may run a master, a data and a client node: ${terms("memoryLimitMiB")} = ${mem} MiB, more than the smallest logging machine's ${minMemMiB} MiB (expected the three roles' memoryLimitMiB to sum to at most ${minMemMiB})`,
    );
}
