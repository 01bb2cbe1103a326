/**
 * A synthetic datacenter of any size, derived from dc-a's config: used by the
 * benchmark (1,000 minions) and by tests that check how the program scales.
 */
import * as path from "path";
import { rawFromConfigMap, readStackFile } from "../stacks/config";
import { generateInventory, type RackSpec } from "../stacks/inventory";
import { buildModel, type DatacenterModel } from "../stacks/model";

const HOSTS_PER_RACK = 25;

/** dc-a's settings with `minions` web/ingress/… hosts spread over two rooms of 25-host racks. */
export function syntheticDatacenter(minions: number): DatacenterModel {
  // A fresh parse of the stack file: ours to modify.
  const raw = rawFromConfigMap(readStackFile(path.join(__dirname, "..", "Pulumi.dc-a.yaml"))) as Record<
    string,
    unknown
  > & {
    network: { racks: unknown[] };
    bgp: { peers: unknown[]; ipPools: unknown[] };
    masters: { hostnames: string[] };
    lvs: { directors: string[] };
  };
  const rackCount = Math.ceil((minions + 9) / HOSTS_PER_RACK);
  const racks: RackSpec[] = [];
  let left = minions;
  for (let i = 0; i < rackCount; i++) {
    const room = i % 2 === 0 ? "a1" : "a2";
    const name = `${room}x${String(i + 1).padStart(2, "0")}`;
    const hosts: RackSpec["hosts"] = {};
    let room_ = HOSTS_PER_RACK;
    // The first racks carry the control plane and the special machine types.
    if (i < 3) {
      hosts.master = 1;
      room_ -= 1;
    }
    if (i < 2) {
      hosts.lvs = 2;
      room_ -= 2;
      left -= 2;
    }
    const special =
      i % 4 === 0 ? "ingress" : i % 4 === 1 ? "logging" : i % 4 === 2 ? "monitoring" : undefined;
    if (special && left > 0) {
      const n = Math.min(3, left);
      hosts[special] = n;
      room_ -= n;
      left -= n;
    }
    const web = Math.max(0, Math.min(room_, left));
    hosts.web = web;
    left -= web;
    if (Object.values(hosts).some((n) => n > 0)) racks.push({ name, room, subnet: `10.17.${i}.0/24`, hosts });
  }
  const inventory = generateInventory("dc-a", racks);
  const gateway = (r: RackSpec) => r.subnet.replace(/0\/24$/, "1");
  raw.network.racks = racks.map((r) => ({ name: r.name, subnet: r.subnet, gateway: gateway(r) }));
  raw.bgp.peers = racks.map((r, i) => ({ rack: r.name, peerIp: gateway(r), asNumber: 65100 + i }));
  // One pool for the whole pod range: per-rack aggregation is dc-a's choice for 8 racks, not a need.
  raw.bgp.ipPools = [
    { name: "pods", cidr: (raw.network as unknown as { podCidr: string }).podCidr, blockSize: 26 },
  ];
  raw.masters.hostnames = inventory.hosts.filter((h) => h.function === "master").map((h) => h.hostname);
  raw.lvs.directors = inventory.hosts.filter((h) => h.function === "lvs").map((h) => h.hostname);
  raw.minions = { ...(raw.minions as object), inventory: `generated/${minions}-minions.yaml` };
  return buildModel(raw, inventory, `generated/${minions}-minions.yaml`);
}
