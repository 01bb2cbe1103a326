import * as fs from "fs";
import * as path from "path";
import { loadStackFile } from "../../stacks/config";
import { projectDir } from "../helpers/config";

const stacks = fs.readdirSync(projectDir).filter((f) => /^Pulumi\.dc-[a-z]\.yaml$/.test(f));

describe("the three datacenter stacks", () => {
  it("exist", () => expect(stacks).toEqual(["Pulumi.dc-a.yaml", "Pulumi.dc-b.yaml", "Pulumi.dc-c.yaml"]));

  it.each(stacks)("%s validates", (file) => {
    expect(() => loadStackFile(path.join(projectDir, file))).not.toThrow();
  });

  it("are different datacenters, not copies", () => {
    const models = stacks.map((f) => loadStackFile(path.join(projectDir, f)));
    const sizes = models.map((m) => m.minions.length);
    expect(new Set(sizes).size).toBe(3);
    expect(Math.max(...sizes)).toBeGreaterThanOrEqual(100);
    expect(Math.min(...sizes)).toBeLessThanOrEqual(40);
    expect(new Set(models.map((m) => m.api.mode))).toEqual(new Set(["lvs", "dns"]));
    expect(new Set(models.map((m) => m.config.bgp.mode))).toEqual(new Set(["tor", "routeReflector"]));
    expect(new Set(models.map((m) => m.config.bgp.asNumber)).size).toBe(3);
    expect(new Set(models.map((m) => m.config.network.podCidr)).size).toBe(3);
    for (const m of models) {
      expect(m.rooms.length).toBe(2);
      expect(m.racks.length).toBeGreaterThanOrEqual(4);
    }
  });

  it("fills schema defaults for what a stack leaves out", () => {
    const m = loadStackFile(path.join(projectDir, "Pulumi.dc-b.yaml"));
    expect(m.config.hostAccess).toEqual({ enabled: true, sshUser: "ops", sshPort: 22, parallelism: 16 });
    expect(m.config.businesses[0].ports).toEqual([
      { port: 80, protocol: "TCP" },
      { port: 443, protocol: "TCP" },
    ]);
    expect(m.config.masters.etcdDataDir).toBe("/var/lib/etcd");
  });

  it("publishes one A record per master in dns mode", () => {
    const m = loadStackFile(path.join(projectDir, "Pulumi.dc-b.yaml"));
    expect(m.api.dnsRecords).toEqual(
      m.masters.map((h) => ({ name: "api.dc-b.cloud.internal", type: "A", value: h.ip, ttlSeconds: 30 })),
    );
  });

  it("warn, without refusing, when every ingress tier at maxReplicas would outgrow the ingress fleet", () => {
    const warnings = stacks.map((f) =>
      loadStackFile(path.join(projectDir, f)).warnings.map((w) => `${w.path}: ${w.message}`),
    );
    // dc-a: shop 40 × 6000m + account 16 × 4000m + push 12 × 2500m = 334000m on 8 × 32 cores.
    expect(warnings).toEqual([
      [
        "private-cloud:businesses: every ingress tier at maxReplicas needs 334000m CPU, more than the 8 ingress machines' 256000m (expected the sum of maxReplicas × CPU request to fit, or tiers that never peak together)",
      ],
      [],
      [],
    ]);
  });

  it("derive each fact once, on the model: VIPs, IP pools, namespaces", () => {
    const m = loadStackFile(path.join(projectDir, "Pulumi.dc-a.yaml"));
    expect(m.vips.map((v) => v.business)).toEqual(["shop", "account", "push"]);
    expect(m.ipPools.length).toBeGreaterThan(0);
    expect(m.namespaces.platform.nodeTuning).toBe("node-tuning");
    expect(m.namespaces.businesses.shop).toEqual({ tier: "ingress-shop", app: "shop" });
  });
});
