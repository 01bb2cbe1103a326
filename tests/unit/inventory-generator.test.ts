/**
 * The inventory generator behind the checked-in CMDB exports and the
 * 1,000-node simulated datacenter (`npm run sim:up -- --nodes 1000`): a
 * generator that put two hosts on one address, a host outside its rack's
 * subnet or all of a function in one room would make the 1,000-node figures
 * describe a fleet nobody runs.
 */
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { SIM_1K_NEW_WEB, layouts, sim1kLayout } from "../../scripts/gen-inventory";
import { simObjects } from "../../scripts/sim-nodes";
import { loadStackFile } from "../../stacks/config";
import { defaultMachines, generateInventory, inventoryYaml } from "../../stacks/inventory";
import { labelKeys } from "../../stacks/labels";
import { ipToInt, parseCidr } from "../../stacks/net";
import type { HostFunction } from "../../stacks/schema";
import { projectDir } from "../helpers/config";

const sim1k = generateInventory("sim-1k", sim1kLayout());

describe("sim1kLayout", () => {
  const racks = sim1kLayout();

  it("is 40 racks of 25 hosts, 20 in each of two rooms, on distinct /26 subnets", () => {
    expect(racks).toHaveLength(40);
    expect(racks.filter((r) => r.room === "k1")).toHaveLength(20);
    expect(racks.filter((r) => r.room === "k2")).toHaveLength(20);
    for (const r of racks) expect(Object.values(r.hosts).reduce((a, b) => a + (b ?? 0), 0)).toBe(25);
    expect(new Set(racks.map((r) => r.subnet)).size).toBe(40);
    expect(new Set(racks.map((r) => r.name)).size).toBe(40);
  });
});

describe("generateInventory (sim-1k)", () => {
  it("gives 1,000 hosts unique hostnames and addresses, each inside its rack's subnet above the reserved range", () => {
    expect(sim1k.hosts).toHaveLength(1000);
    expect(new Set(sim1k.hosts.map((h) => h.hostname)).size).toBe(1000);
    expect(new Set(sim1k.hosts.map((h) => h.ip)).size).toBe(1000);
    const subnet = new Map(sim1kLayout().map((r) => [r.name, parseCidr(r.subnet)]));
    for (const h of sim1k.hosts) {
      const net = subnet.get(h.rack) ?? { first: NaN, last: NaN };
      const ip = ipToInt(h.ip);
      // .1 gateway, .2-.10 switches and BMC proxies, broadcast at the end.
      expect([h.hostname, ip >= net.first + 11 && ip < net.last]).toEqual([h.hostname, true]);
    }
  });

  it("puts every platform function in both rooms, so one failed room leaves each running", () => {
    const fns: HostFunction[] = ["master", "lvs", "ingress", "monitoring", "logging", "web"];
    for (const fn of fns) {
      const rooms = new Set(sim1k.hosts.filter((h) => h.function === fn).map((h) => h.room));
      expect([fn, [...rooms].sort()]).toEqual([fn, ["k1", "k2"]]);
    }
    expect(sim1k.hosts.filter((h) => h.function === "master")).toHaveLength(3);
  });

  it("gives each host its machine type's shape, with two web generations", () => {
    const types = new Map<string, { cores: number; memoryGiB: number }>();
    for (const h of sim1k.hosts) {
      const seen = types.get(h.machineType);
      if (seen)
        expect({ t: h.machineType, ...seen }).toEqual({
          t: h.machineType,
          cores: h.cores,
          memoryGiB: h.memoryGiB,
        });
      else types.set(h.machineType, { cores: h.cores, memoryGiB: h.memoryGiB });
    }
    const web = new Set(sim1k.hosts.filter((h) => h.function === "web").map((h) => h.machineType));
    expect([...web].sort()).toEqual([defaultMachines.web.machineType, SIM_1K_NEW_WEB.machineType].sort());
    expect(types.size).toBe(7);
    // A data disk for the functions that keep data, on its own plain partition (the seed's LVM incident).
    for (const h of sim1k.hosts.filter((x) => x.function === "logging" || x.function === "monitoring"))
      expect(h.disks.find((d) => d.device === "sdc")).toMatchObject({ lvm: false });
  });

  it("is deterministic", () => {
    expect(generateInventory("sim-1k", sim1kLayout())).toEqual(sim1k);
  });
});

describe("the checked-in exports", () => {
  it.each(Object.keys(layouts))("inventory/%s.yaml is what the generator writes", (dc) => {
    const file = fs.readFileSync(path.join(projectDir, "inventory", `${dc}.yaml`), "utf8");
    const inv = generateInventory(dc, layouts[dc]);
    // Compare the data, not the header comment.
    expect(parse(file)).toEqual(parse(inventoryYaml(inv, "x")));
  });
});

describe("the 1,000-node simulated datacenter's nodes (scripts/sim-nodes.ts)", () => {
  const model = loadStackFile(path.join(projectDir, "Pulumi.sim-1k.yaml"));
  const objects = simObjects(model) as {
    kind: string;
    metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
    spec?: { taints?: { key: string }[] };
    status?: { capacity: Record<string, string>; addresses: { type: string; address: string }[] };
  }[];
  const nodes = objects.filter((o) => o.kind === "Node");

  it("registers every host as a kwok node with its CMDB labels, capacity and address", () => {
    expect(nodes).toHaveLength(1000);
    const byName = new Map(nodes.map((n) => [n.metadata.name, n]));
    for (const h of model.inventory.hosts) {
      const n = byName.get(h.hostname);
      if (!n) throw new Error(`${h.hostname}: no Node registered`);
      expect(n.metadata.annotations?.["kwok.x-k8s.io/node"]).toBe("fake");
      expect(n.metadata.labels).toMatchObject({
        [labelKeys.machineType]: h.machineType,
        [labelKeys.rack]: h.rack,
        "topology.kubernetes.io/zone": h.room,
        "kubernetes.io/hostname": h.hostname,
      });
      expect(n.status?.capacity).toMatchObject({ cpu: String(h.cores), memory: `${h.memoryGiB}Gi` });
      expect(n.status?.addresses).toContainEqual({ type: "InternalIP", address: h.ip });
    }
  });

  it("taints exactly the masters, and gives local volumes to monitoring and logging hosts only", () => {
    const tainted = nodes.filter((n) => n.spec?.taints?.length).map((n) => n.metadata.name);
    expect(tainted.sort()).toEqual([...model.config.masters.hostnames].sort());
    const volumeHosts = new Set(
      objects
        .filter((o) => o.kind === "PersistentVolume")
        .map((o) => o.metadata.name.replace(/-vol\d+$/, "")),
    );
    const dataHosts = model.inventory.hosts
      .filter((h) => h.function === "monitoring" || h.function === "logging")
      .map((h) => h.hostname);
    expect([...volumeHosts].sort()).toEqual(dataHosts.sort());
  });
});
