/**
 * The CMDB export of a datacenter: reading the checked-in file, and a
 * deterministic generator used to write plausible exports (and the 1,000-minion
 * benchmark fleet). The generator is for fixtures only; production exports come
 * from the CMDB.
 */
import * as fs from "fs";
import * as path from "path";
import { CORE_SCHEMA, load } from "js-yaml";
import { Document, isMap, isSeq } from "yaml";
import type { Host, HostFunction, Inventory } from "./schema";
import { ConfigError } from "./validate";
import { intToIp, parseCidr } from "./net";

/** Reads and parses an inventory YAML file; unreadable or malformed files are ConfigErrors naming the config key and file. */
export function readInventory(projectDir: string, relPath: string): unknown {
  const file = path.resolve(projectDir, relPath);
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    throw new ConfigError([
      {
        path: "private-cloud:minions.inventory",
        message: `${JSON.stringify(relPath)} cannot be read: ${(e as Error).message} (expected a CMDB export YAML file relative to the project)`,
      },
    ]);
  }
  try {
    // js-yaml's core schema (YAML 1.2 core, as `yaml` reads it): a
    // 1,000-host CMDB export parses in ~0.1 s against ~1-4 s with `yaml`,
    // and every preview and up of the datacenter reads it (profile of the
    // program at 1,000 nodes, README "At 1,000 nodes, for real").
    return load(text, { schema: CORE_SCHEMA, filename: relPath });
  } catch (e) {
    throw new ConfigError([
      { path: relPath, message: `is not valid YAML: ${(e as Error).message.split("\n")[0]}` },
    ]);
  }
}

/** What a rack of a generated inventory holds. */
export interface RackSpec {
  readonly name: string;
  readonly room: string;
  readonly subnet: string;
  /** Host count per function, in the order they are racked. */
  readonly hosts: Partial<Record<HostFunction, number>>;
  /** Machine shapes of this rack that differ from `defaultMachines` (a newer generation of a function). */
  readonly machines?: Partial<Record<HostFunction, MachineSpec>>;
}

export interface MachineSpec {
  readonly machineType: string;
  readonly cores: number;
  readonly memoryGiB: number;
  /** Extra data disk (mount point, GiB) beyond root and the kubelet partition. */
  readonly data?: { mount: string; sizeGiB: number };
}

/** Machine types the generator assigns per function (typical shapes from the seed: 24 HT cores, 128 GB). */
export const defaultMachines: Record<HostFunction, MachineSpec> = {
  master: { machineType: "m16c64", cores: 16, memoryGiB: 64, data: { mount: "/var/lib/etcd", sizeGiB: 400 } },
  web: { machineType: "m24c128", cores: 24, memoryGiB: 128 },
  ingress: { machineType: "m32c128n", cores: 32, memoryGiB: 128 },
  monitoring: {
    machineType: "m32c256",
    cores: 32,
    memoryGiB: 256,
    data: { mount: "/data/prometheus", sizeGiB: 3600 },
  },
  logging: {
    machineType: "m40c256s",
    cores: 40,
    memoryGiB: 256,
    data: { mount: "/data/elasticsearch", sizeGiB: 7200 },
  },
  lvs: { machineType: "m16c64x", cores: 16, memoryGiB: 64 },
};

const FUNCTION_ORDER: readonly HostFunction[] = ["master", "lvs", "ingress", "monitoring", "logging", "web"];

/**
 * Hosts of a rack get consecutive addresses from .11 on (.1 is the gateway,
 * .2–.10 are reserved for switches and BMC proxies).
 */
export function generateInventory(
  datacenter: string,
  racks: readonly RackSpec[],
  exportedAt = "2026-11-20",
): Inventory {
  const prefix = datacenter.replace(/[^a-z0-9]/g, "");
  const hosts: Host[] = [];
  for (const rack of racks) {
    const base = parseCidr(rack.subnet).first;
    let n = 0;
    for (const fn of FUNCTION_ORDER) {
      for (let i = 0; i < (rack.hosts[fn] ?? 0); i++) {
        const m = rack.machines?.[fn] ?? defaultMachines[fn];
        n++;
        hosts.push({
          hostname: `${prefix}-${rack.name}-${String(n).padStart(2, "0")}`,
          ip: intToIp(base + 10 + n),
          function: fn,
          room: rack.room,
          rack: rack.name,
          machineType: m.machineType,
          cores: m.cores,
          memoryGiB: m.memoryGiB,
          disks: [
            { device: "sda", mount: "/", sizeGiB: 480, lvm: true },
            { device: "sdb", mount: "/var/lib/kubelet", sizeGiB: 1800, lvm: false },
            ...(m.data ? [{ device: "sdc", mount: m.data.mount, sizeGiB: m.data.sizeGiB, lvm: false }] : []),
          ],
        });
      }
    }
  }
  return { datacenter, exportedAt, hosts };
}

/** YAML text of an inventory, with a header saying where it came from. */
export function inventoryYaml(inv: Inventory, header: string): string {
  return `${header
    .split("\n")
    .map((l) => `# ${l}`.trimEnd())
    .join("\n")}\n${inventoryDocument(inv).toString({ lineWidth: 0 })}`;
}

/** One line per disk keeps a 1,000-host export readable in review. */
function inventoryDocument(inv: Inventory): Document {
  const doc = new Document(inv);
  const hosts = doc.get("hosts");
  if (isSeq(hosts)) {
    for (const host of hosts.items) {
      const disks = isMap(host) ? host.get("disks") : undefined;
      if (isSeq(disks)) disks.items.forEach((d) => isMap(d) && (d.flow = true));
    }
  }
  return doc;
}
