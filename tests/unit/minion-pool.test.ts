import {
  conntrackMaxFor,
  cpuMaskHex,
  machineClasses,
  profileFile,
  tuningProfile,
} from "../../components/minion-pool/tuning";
import { tuningObjects } from "../../components/minion-pool/daemonset";
import { labelArg, rackBootstrapScript, hostBootstrapScript } from "../../components/minion-pool/bootstrap";
import { labelKeys } from "../../stacks/labels";
import { fixture, modelOf } from "../helpers/config";
import { plain } from "../helpers/pulumi";

describe("cpuMaskHex", () => {
  it.each([
    [1, "1"],
    [4, "f"],
    [16, "ffff"],
    [24, "ffffff"],
    [32, "ffffffff"],
    [40, "ff,ffffffff"],
    [64, "ffffffff,ffffffff"],
    [72, "ff,ffffffff,ffffffff"],
  ])("%i cores -> %s", (cores, mask) => expect(cpuMaskHex(cores)).toBe(mask));
  it("refuses nonsense", () =>
    expect(() => cpuMaskHex(0)).toThrow("cores must be a positive integer, got 0"));
});

describe("conntrackMaxFor", () => {
  it.each([
    [8, 262_144],
    [64, 1_048_576],
    [128, 2_097_152],
    [256, 4_194_304],
    [512, 4_194_304],
  ])("%i GiB -> %i entries", (mem, max) => expect(conntrackMaxFor(mem)).toBe(max));
});

describe("tuningProfile", () => {
  const web = { machineType: "m24c128", cores: 24, memoryGiB: 128, functions: ["web"] };
  const ingress = { machineType: "m32c128n", cores: 32, memoryGiB: 128, functions: ["ingress"] };
  const value = (p: ReturnType<typeof tuningProfile>, key: string) =>
    p.sysctls.find((s) => s.key === key)?.value;

  it.each([
    ["net.core.somaxconn", "32768", "65535"],
    ["net.ipv4.tcp_max_syn_backlog", "65535", "65535"],
    ["net.core.netdev_max_backlog", "16384", "16384"],
    ["net.netfilter.nf_conntrack_max", "2097152", "2097152"],
    ["vm.swappiness", "0", "0"],
    ["net.netfilter.nf_conntrack_tcp_be_liberal", "1", "1"],
  ])("%s: web %s, ingress %s", (key, w, i) => {
    expect(value(tuningProfile(web), key)).toBe(w);
    expect(value(tuningProfile(ingress), key)).toBe(i);
  });

  it("raises vm.max_map_count on logging machines only (Elasticsearch's bootstrap check)", () => {
    const logging = { machineType: "m40c256s", cores: 40, memoryGiB: 256, functions: ["logging"] };
    expect(value(tuningProfile(logging), "vm.max_map_count")).toBe("262144");
    expect(value(tuningProfile(web), "vm.max_map_count")).toBeUndefined();
  });

  it("applies config overrides", () => {
    const p = tuningProfile(web, { somaxconn: 4096, conntrackMax: 524288 });
    expect(value(p, "net.core.somaxconn")).toBe("4096");
    expect(value(p, "net.netfilter.nf_conntrack_max")).toBe("524288");
    expect(p.conntrackBuckets).toBe(131072);
  });

  it("gives every setting a reason, spreads RPS over every core and loads TOA", () => {
    const p = tuningProfile(web);
    for (const s of p.sysctls) expect(s.reason.length).toBeGreaterThan(20);
    expect(p.rpsCpus).toBe("ffffff");
    expect(p.modules).toEqual(["toa"]);
  });

  it("renders a profile file with reasons as comments", () => {
    const text = profileFile(tuningProfile(web));
    expect(text).toContain("sysctl net.core.somaxconn 32768\n");
    expect(text).toContain("rps ffffff\n");
    expect(text).toContain("module toa\n");
    expect(text).toContain("swap off\n");
    expect(text.split("\n").filter((l) => l.startsWith("sysctl")).length).toBe(8);
  });
});

describe("machine classes and DaemonSets", () => {
  const model = modelOf(fixture("dc-a"));
  const classes = machineClasses(model.minions);

  it("group minions by machine type, one class per type", () => {
    expect(classes.map((c) => c.machineType)).toEqual([
      "m16c64x",
      "m24c128",
      "m32c128n",
      "m32c256",
      "m40c256s",
    ]);
    expect(classes.find((c) => c.machineType === "m32c128n")?.functions).toEqual(["ingress"]);
  });

  it("select the class's nodes by the CMDB machine-type label and run privileged on the host network", () => {
    const { daemonSet, configMap } = tuningObjects(tuningProfile(classes[1]), "reg/tune:v1", "node-tuning");
    const spec = plain(daemonSet).spec as {
      template: { spec: Record<string, unknown> & { containers: Record<string, unknown>[] } };
    };
    expect(spec.template.spec.nodeSelector).toEqual({ [labelKeys.machineType]: "m24c128" });
    expect(spec.template.spec).toMatchObject({
      hostNetwork: true,
      hostPID: true,
      tolerations: [{ operator: "Exists" }],
    });
    expect(spec.template.spec.containers[0].securityContext).toEqual({ privileged: true });
    expect(spec.template.spec.containers[0].resources).toEqual({
      requests: { cpu: "10m", memory: "32Mi" },
      limits: { cpu: "100m", memory: "64Mi" },
    });
    expect(configMap.metadata).toMatchObject({ name: "tune-m24c128", namespace: "node-tuning" });
  });

  it("restart the agents when the profile changes", () => {
    const a = tuningObjects(tuningProfile(classes[1]), "i", "sa").daemonSet;
    const b = tuningObjects(tuningProfile(classes[1], { somaxconn: 1024 }), "i", "sa").daemonSet;
    const hash = (d: typeof a) =>
      (d.spec as { template: { metadata: { annotations: Record<string, string> } } }).template.metadata
        .annotations["private-cloud.io/profile-hash"];
    expect(hash(a)).not.toBe(hash(b));
  });
});

describe("rack bootstrap", () => {
  const model = modelOf(fixture("dc-c"));
  const rack = model.racks[0];

  it("labels a node with its CMDB fields, room as the zone", () => {
    expect(labelArg(model.minions[0])).toBe(
      "cmdb.private-cloud.io/function=lvs,cmdb.private-cloud.io/machine-type=m16c64x,cmdb.private-cloud.io/rack=c1r01,cmdb.private-cloud.io/room=c1,topology.kubernetes.io/zone=c1",
    );
  });

  it("lists only the rack's minions (masters are MasterHA's) and fans out with the configured parallelism", () => {
    const script = rackBootstrapScript(
      model,
      rack,
      hostBootstrapScript(model, "i", "https://172.19.250.10:6443"),
    );
    expect(script).toContain("# private-cloud: bootstrap rack c1r01 (8 hosts) of datacenter dc-c");
    expect(script).not.toContain("dcc-c1r01-01 ");
    expect(script).toContain("dcc-c1r01-03 172.18.1.13 ");
    expect(script).toContain("xargs -P 8 -L 1");
    expect(script).toContain("-p 2222");
    expect(script).toContain("'deploy'@");
  });

  it("keeps secrets out of the command text", () => {
    const script = rackBootstrapScript(model, rack, hostBootstrapScript(model, "i", "https://x:6443"));
    expect(script).toContain(
      ': "${SSH_PRIVATE_KEY:?}" "${JOIN_TOKEN:?}" "${CA_CERT_HASH:?}" "${KUBECONFIG_CONTENT:?}"',
    );
  });

  it("changes only when its own rack changes", () => {
    const host = hostBootstrapScript(model, "i", "https://x:6443");
    const before = model.racks.map((r) => rackBootstrapScript(model, r, host));
    const f = fixture("dc-c");
    const h = f.inventory.hosts.find((x) => x.rack === "c2r02");
    if (h) h.machineType = "m24c128";
    const m2 = modelOf(f);
    const after = m2.racks.map((r) => rackBootstrapScript(m2, r, host));
    expect(before.map((b, i) => b === after[i])).toEqual([true, true, true, false]);
  });
});
