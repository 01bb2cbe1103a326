/**
 * The Prometheus instances of one datacenter, with the config defaults
 * resolved in one place (instance value, else the monitoring section's).
 */
import type { DatacenterModel } from "../../stacks/model";
import { PROMETHEUS_INSTANCES, type PrometheusInstanceName } from "./contract";

export interface PrometheusInstance {
  readonly name: PrometheusInstanceName;
  readonly retentionDays: number;
  /** Data volume per replica, GiB. */
  readonly storageGiB: number;
  readonly replicas: number;
  readonly cpuLimitMillis: number;
  readonly memoryLimitMiB: number;
  readonly scrapeIntervalSeconds: number;
}

/** Share of the volume size-based retention may fill. */
export const RETENTION_SIZE_RATIO = 0.85;

/**
 * `--storage.tsdb.retention.size` for a volume: 85% of it. Time retention
 * alone lets a series explosion fill the disk, and a full disk stops
 * ingestion; the 15% left covers the WAL and a compaction's temporary blocks.
 * Prometheus reads "GB" as 2^30 bytes, so GiB in, "GB" out.
 */
export function retentionSize(storageGiB: number): string {
  return `${Math.floor(storageGiB * RETENTION_SIZE_RATIO)}GB`;
}

export function prometheusInstances(model: DatacenterModel): PrometheusInstance[] {
  const mon = model.config.monitoring;
  return PROMETHEUS_INSTANCES.map((name) => {
    const i = mon.prometheus[name];
    return {
      name,
      retentionDays: i.retentionDays ?? mon.retentionDays,
      storageGiB: i.storageGiB ?? mon.storageGiB,
      replicas: i.replicas,
      cpuLimitMillis: i.cpuLimitMillis,
      memoryLimitMiB: i.memoryLimitMiB,
      scrapeIntervalSeconds: i.scrapeIntervalSeconds,
    };
  });
}
