/**
 * IPAM blocks against nodes: the scale limit of the pod address plan at
 * 1,000 nodes (README "Scale limits"). A pool that runs out of blocks does
 * not stop pods, it turns every further pod address into a /32 route.
 */
import * as path from "path";
import { ipamHeadroom } from "../../components/calico-bgp/topology";
import { loadStackFile } from "../../stacks/config";
import { fixture, modelOf } from "../helpers/config";

describe("ipamHeadroom", () => {
  it("sim-1k: one /20 per rack holds two /26 blocks for each of its 25 nodes", () => {
    const rows = ipamHeadroom(loadStackFile(path.join(__dirname, "..", "..", "Pulumi.sim-1k.yaml")));
    expect(rows).toHaveLength(40);
    for (const r of rows) {
      expect(r.cidr).toMatch(/\/20$/);
      expect(r.blocks).toBe(64);
      expect(r.nodes).toBe(25);
      expect(r.fullNeed).toBe(50);
      expect(r.blocks).toBeGreaterThanOrEqual(r.fullNeed);
    }
    expect(rows.reduce((a, r) => a + r.nodes, 0)).toBe(1000);
  });

  it("one /16 of /26 blocks for 1,000 nodes is at its floor: 1,024 blocks, 2,000 wanted full", () => {
    const f = fixture("dc-a");
    const model = modelOf(f);
    const whole = ipamHeadroom({
      ...model,
      ipPools: [{ name: "pods", cidr: "10.208.0.0/16", blockSize: 26, natOutgoing: false }],
      inventory: {
        ...model.inventory,
        hosts: Array.from({ length: 1000 }, (_, i) => ({ ...model.inventory.hosts[0], hostname: `h${i}` })),
      },
    });
    expect(whole).toEqual([
      { pool: "pods", cidr: "10.208.0.0/16", blocks: 1024, nodes: 1000, minimumNeed: 1000, fullNeed: 2000 },
    ]);
  });
});
