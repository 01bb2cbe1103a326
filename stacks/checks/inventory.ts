/** Inventory identity and racks: unique hosts, declared racks, the kubelet partition. */
import { show } from "../validate";
import type { CheckContext } from "./context";

export function inventoryChecks(ctx: CheckContext): void {
  const { cfg, inv, issues, cfgPath, invPath, inventoryPath, rackByName, invRacks } = ctx;
  if (inv.datacenter !== cfg.datacenter.name) {
    issues.add(
      invPath("datacenter"),
      `${show(inv.datacenter)} does not match stack datacenter (expected ${show(cfg.datacenter.name)})`,
    );
  }
  issues.unique(
    inv.hosts,
    (h) => h.hostname,
    (i) => invPath("hosts", i, "hostname"),
    (i) => `hosts[${i}]`,
    "unique hostnames",
  );
  issues.unique(
    inv.hosts,
    (h) => h.ip,
    (i) => invPath("hosts", i, "ip"),
    (i) => `hosts[${i}]`,
    "unique IPs",
  );

  const racksCfg = cfg.network.racks;
  issues.unique(
    racksCfg,
    (r) => r.name,
    (i) => cfgPath("network", "racks", i, "name"),
    (i) => `network.racks[${i}]`,
    "one entry per rack",
  );
  racksCfg.forEach((r, i) => {
    if (!invRacks.has(r.name))
      issues.add(
        cfgPath("network", "racks", i, "name"),
        `rack ${show(r.name)} is not in the inventory ${inventoryPath} (expected a rack that holds hosts)`,
      );
  });
  for (const [rack, rooms] of invRacks) {
    if (rooms.size > 1)
      issues.add(
        invPath("hosts"),
        `rack ${show(rack)} appears in several rooms ${show([...rooms].sort())} (expected one room per rack)`,
      );
  }
  // One message per undeclared rack, naming its first host: a missing rack
  // entry is one mistake, however many hosts the rack holds.
  const undeclared = new Map<string, number[]>();
  inv.hosts.forEach(
    (h, i) => !rackByName.has(h.rack) && undeclared.set(h.rack, [...(undeclared.get(h.rack) ?? []), i]),
  );
  for (const [rack, idx] of undeclared) {
    const more = idx.length > 1 ? ` and ${idx.length - 1} more host(s) of that rack` : "";
    issues.add(
      invPath("hosts", idx[0], "rack"),
      `${show(rack)}${more} is not declared in ${cfgPath("network", "racks")} (expected one of ${show(racksCfg.map((x) => x.name))})`,
    );
  }
  inv.hosts.forEach((h, i) => {
    // The seed's LVM metadata incident: log volumes (EmptyDir, under the
    // kubelet root) must sit on their own plain partition.
    const kubeletDisk = h.disks.find((d) => d.mount === cfg.minions.kubeletRoot);
    if (!kubeletDisk) {
      issues.add(
        invPath("hosts", i, "disks"),
        `${h.hostname} has no partition mounted at ${cfg.minions.kubeletRoot} (expected a dedicated plain partition for EmptyDir log volumes)`,
      );
    } else if (kubeletDisk.lvm) {
      issues.add(
        invPath("hosts", i, "disks"),
        `${h.hostname}'s ${cfg.minions.kubeletRoot} (${kubeletDisk.device}) is on LVM (expected a plain partition: LVM metadata exhaustion took logging down in production)`,
      );
    }
  });
  for (const m of Object.keys(cfg.minions.tuning)) {
    if (!inv.hosts.some((h) => h.machineType === m))
      issues.add(
        cfgPath("minions", "tuning", m),
        `machine type ${show(m)} is not in the inventory (expected one of ${show([...new Set(inv.hosts.map((h) => h.machineType))].sort())})`,
      );
  }
}

/** Machine functions the platform schedules onto: each must exist in the inventory. */
export function functionChecks(ctx: CheckContext): void {
  const { cfg, inv, issues, invPath } = ctx;
  const functions = new Set(inv.hosts.map((h) => h.function));
  const need = (fn: string, why: string) => {
    if (!functions.has(fn as never))
      issues.add(invPath("hosts"), `no host has function ${show(fn)} (expected at least one: ${why})`);
  };
  if (cfg.businesses.length > 0) need("ingress", "business ingress tiers are pinned to ingress machines");
  need("monitoring", "Prometheus runs on dedicated monitoring machines");
  need("logging", "Elasticsearch runs on dedicated logging machines");
}
