/**
 * Writes the checked-in CMDB exports under inventory/ from the rack layouts
 * below. The real CMDB export replaces these files in production; they exist
 * so the three datacenter stacks (and the sim) describe plausible fleets.
 *
 *   npx ts-node --transpile-only scripts/gen-inventory.ts
 */
import * as fs from "fs";
import * as path from "path";
import { generateInventory, inventoryYaml, type MachineSpec, type RackSpec } from "../stacks/inventory";

/**
 * sim-1k: the 1,000-node simulated datacenter (`npm run sim:up -- --nodes 1000`,
 * stack `sim-1k`). 40 racks of 25 machines in two rooms, like a large site:
 * the control plane, LVS directors, ingress, monitoring and logging machines
 * spread over both rooms (one failed room leaves each function running), web
 * machines filling the rest. Subnets are /26 (62 addresses for 25 hosts and the
 * switches). Like any site bought over years, the fleet is not one shape: the
 * newer half of the racks (row 11 on, in both rooms) holds a later web
 * generation, so web machines come in two types with their own tuning.
 */
export const SIM_1K_NEW_WEB: MachineSpec = { machineType: "m48c256", cores: 48, memoryGiB: 256 };

export function sim1kLayout(): RackSpec[] {
  const racks: RackSpec[] = [];
  const special: Record<number, RackSpec["hosts"]> = {
    0: { master: 1, lvs: 2, ingress: 4 },
    1: { master: 1, lvs: 2, ingress: 4 },
    2: { master: 1, monitoring: 3 },
    3: { monitoring: 3 },
    4: { logging: 4 },
    5: { logging: 4 },
    6: { ingress: 2 },
    7: { ingress: 2 },
  };
  for (let i = 0; i < 40; i++) {
    const room = i % 2 === 0 ? "k1" : "k2";
    const hosts: RackSpec["hosts"] = { ...(special[i] ?? {}) };
    const used = Object.values(hosts).reduce((a, b) => a + (b ?? 0), 0);
    hosts.web = 25 - used;
    racks.push({
      name: `${room}r${String(Math.floor(i / 2) + 1).padStart(2, "0")}`,
      room,
      subnet: `10.201.${i}.0/26`,
      hosts,
      ...(i >= 20 ? { machines: { web: SIM_1K_NEW_WEB } } : {}),
    });
  }
  return racks;
}

export const layouts: Record<string, RackSpec[]> = {
  // dc-a: the largest site, two rooms of four racks, five masters.
  "dc-a": [
    { name: "a1r01", room: "a1", subnet: "10.16.1.0/24", hosts: { master: 2, lvs: 2, web: 12 } },
    { name: "a1r02", room: "a1", subnet: "10.16.2.0/24", hosts: { master: 1, ingress: 4, web: 11 } },
    { name: "a1r03", room: "a1", subnet: "10.16.3.0/24", hosts: { monitoring: 2, web: 14 } },
    { name: "a1r04", room: "a1", subnet: "10.16.4.0/24", hosts: { logging: 3, web: 13 } },
    { name: "a2r01", room: "a2", subnet: "10.16.9.0/24", hosts: { master: 1, lvs: 2, web: 12 } },
    { name: "a2r02", room: "a2", subnet: "10.16.10.0/24", hosts: { master: 1, ingress: 4, web: 11 } },
    { name: "a2r03", room: "a2", subnet: "10.16.11.0/24", hosts: { monitoring: 1, web: 15 } },
    { name: "a2r04", room: "a2", subnet: "10.16.12.0/24", hosts: { logging: 3, web: 13 } },
  ],
  // dc-b: mid-size, three racks a room, API by DNS, BGP through route reflectors.
  "dc-b": [
    { name: "b1r01", room: "b1", subnet: "10.32.1.0/25", hosts: { master: 1, lvs: 2, web: 8 } },
    { name: "b1r02", room: "b1", subnet: "10.32.1.128/25", hosts: { master: 1, ingress: 3, web: 7 } },
    { name: "b1r03", room: "b1", subnet: "10.32.2.0/25", hosts: { monitoring: 1, logging: 2, web: 8 } },
    { name: "b2r01", room: "b2", subnet: "10.32.8.0/25", hosts: { master: 1, lvs: 1, web: 8 } },
    { name: "b2r02", room: "b2", subnet: "10.32.8.128/25", hosts: { ingress: 3, web: 8 } },
    { name: "b2r03", room: "b2", subnet: "10.32.9.0/25", hosts: { monitoring: 1, logging: 2, web: 7 } },
  ],
  // sim: the local simulated datacenter (npm run sim:up registers these as kwok
  // nodes): every machine function, two rooms, four racks, 24 hosts.
  sim: [
    { name: "s1r01", room: "s1", subnet: "10.200.1.0/26", hosts: { master: 2, lvs: 1, ingress: 2, web: 2 } },
    { name: "s1r02", room: "s1", subnet: "10.200.1.64/26", hosts: { monitoring: 1, logging: 2, web: 2 } },
    { name: "s2r01", room: "s2", subnet: "10.200.2.0/26", hosts: { master: 1, lvs: 1, ingress: 2, web: 2 } },
    { name: "s2r02", room: "s2", subnet: "10.200.2.64/26", hosts: { monitoring: 1, logging: 1, web: 2 } },
  ],
  "sim-1k": sim1kLayout(),
  // dc-c: the small site, two racks a room.
  "dc-c": [
    { name: "c1r01", room: "c1", subnet: "172.18.1.0/26", hosts: { master: 2, lvs: 2, web: 6 } },
    {
      name: "c1r02",
      room: "c1",
      subnet: "172.18.1.64/26",
      hosts: { ingress: 2, monitoring: 1, logging: 2, web: 4 },
    },
    { name: "c2r01", room: "c2", subnet: "172.18.2.0/26", hosts: { master: 1, web: 7 } },
    {
      name: "c2r02",
      room: "c2",
      subnet: "172.18.2.64/26",
      hosts: { ingress: 2, monitoring: 1, logging: 1, web: 3 },
    },
  ],
};

if (require.main === module) {
  for (const [dc, racks] of Object.entries(layouts)) {
    const inv = generateInventory(dc, racks);
    const file = path.join(__dirname, "..", "inventory", `${dc}.yaml`);
    fs.writeFileSync(
      file,
      inventoryYaml(
        inv,
        `CMDB export for ${dc} (${inv.hosts.length} hosts), exported ${inv.exportedAt}.\nRegenerate: npx ts-node --transpile-only scripts/gen-inventory.ts`,
      ),
    );
    console.log(`${file}: ${inv.hosts.length} hosts`);
  }
}
