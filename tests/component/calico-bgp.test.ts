import { byType, named, runMocked, type Recorded } from "../helpers/pulumi";
import { CalicoBGP } from "../../components/calico-bgp";
import { CALICO_KINDS } from "../../components/calico-bgp/crds";
import { fixture, modelOf } from "../helpers/config";

const CR = "kubernetes:crd.projectcalico.org/v1";
const crsOfKind = (records: Recorded[], kind: string) => records.filter((r) => r.type === `${CR}:${kind}`);

describe("CalicoBGP (dc-a, tor mode, LVS)", () => {
  let records: Recorded[];
  let component: CalicoBGP | undefined;
  beforeAll(async () => {
    records = await runMocked(() => {
      component = new CalicoBGP("dc-a-calico", { model: modelOf(fixture("dc-a")) });
    });
  });

  it("is one component with everything parented to it", () => {
    expect(named(records, "dc-a-calico").type).toBe("private-cloud:network:CalicoBGP");
    const children = records.filter((r) => r.name !== "dc-a-calico");
    for (const r of children) expect([r.name, r.parent]).toEqual([r.name, "dc-a-calico"]);
    for (const r of children) expect(r.name.startsWith("dc-a-calico-")).toBe(true);
  });

  it("creates calico-system as a privileged namespace", () => {
    const ns = named(records, "dc-a-calico-ns");
    expect(ns.inputs.metadata.name).toBe("calico-system");
    expect(ns.inputs.metadata.labels["pod-security.kubernetes.io/enforce"]).toBe("privileged");
  });

  it("defines every Calico CRD", () => {
    expect(byType(records, "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition")).toHaveLength(
      CALICO_KINDS.length,
    );
  });

  it("applies every CR after its CRD", () => {
    const crs = records.filter((r) => r.type.startsWith(CR));
    expect(crs.length).toBeGreaterThan(10);
    for (const r of crs) {
      const kind = r.type.split(":").pop() as string;
      const plural = CALICO_KINDS.find((k) => k.kind === kind)?.plural;
      const crd = named(records, `dc-a-calico-crd-${plural}`);
      expect(r.dependsOn).toContain(crd.urn);
    }
  });

  it("peers each rack with its ToR and has no mesh", () => {
    const bgp = named(records, "dc-a-calico-bgp-default");
    expect(bgp.inputs.spec.nodeToNodeMeshEnabled).toBe(false);
    const peers = crsOfKind(records, "BGPPeer");
    expect(peers).toHaveLength(8);
    expect(named(records, "dc-a-calico-peer-tor-a2r03-10-16-11-1").inputs.spec).toEqual({
      nodeSelector: "cmdb.private-cloud.io/rack == 'a2r03'",
      peerIP: "10.16.11.1",
      asNumber: 65111,
      sourceAddress: "UseNodeIP",
    });
  });

  it("carves one IPPool per rack and bypasses conntrack for the LIPs", () => {
    expect(crsOfKind(records, "IPPool")).toHaveLength(8);
    const gnp = named(records, "dc-a-calico-policy-lvs-untracked");
    expect(gnp.inputs.spec).toMatchObject({ doNotTrack: true, applyOnForward: true });
    expect(component?.conntrackBypass).toBe(true);
    expect(component?.ipPoolCidrs[0]).toBe("10.128.0.0/17");
  });

  it("starts calico-node only after its configuration, so it creates no defaults of its own", () => {
    const ds = named(records, "dc-a-calico-calico-node");
    for (const dep of [
      "bgp-default",
      "felix-default",
      "pool-pods-a1-a1r01",
      "cni-config",
      "calico-node-role",
    ])
      expect(ds.dependsOn).toContain(named(records, `dc-a-calico-${dep}`).urn);
    const kc = named(records, "dc-a-calico-calico-kube-controllers");
    expect(kc.dependsOn).toContain(named(records, "dc-a-calico-kube-controllers-default").urn);
  });

  it("schedules calico-node on the host network, everywhere but the directors", () => {
    const spec = named(records, "dc-a-calico-calico-node").inputs.spec.template.spec;
    expect(spec.hostNetwork).toBe(true);
    expect(spec.tolerations).toEqual([{ operator: "Exists" }]);
    expect(
      spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms,
    ).toEqual([
      { matchExpressions: [{ key: "cmdb.private-cloud.io/function", operator: "NotIn", values: ["lvs"] }] },
    ]);
  });

  it("uses images from the datacenter registry only", () => {
    const spec = named(records, "dc-a-calico-calico-node").inputs.spec.template.spec;
    for (const c of [...spec.containers, ...spec.initContainers])
      expect(c.image.startsWith("registry.dc-a.cloud.internal/")).toBe(true);
  });

  it("patches no node in tor mode", () => {
    expect(byType(records, "kubernetes:core/v1:NodePatch")).toEqual([]);
  });
});

describe("CalicoBGP (dc-b, route reflectors, no LVS tier)", () => {
  let records: Recorded[];
  beforeAll(async () => {
    const f = fixture("dc-b");
    // Without an LVS tier there can be no businesses (their VIPs live on it).
    delete f.raw.lvs;
    f.raw.businesses = [];
    records = await runMocked(() => new CalicoBGP("dc-b-calico", { model: modelOf(f) }));
  });

  it("labels the two reflectors with their cluster ID", () => {
    const patches = byType(records, "kubernetes:core/v1:NodePatch");
    expect(patches.map((p) => p.inputs.metadata.name)).toEqual(["dcb-b1r03-04", "dcb-b2r03-04"]);
    expect(patches[0].inputs.metadata.annotations).toEqual({
      "projectcalico.org/RouteReflectorClusterID": "244.0.0.1",
    });
    expect(patches[0].parent).toBe("dc-b-calico");
  });

  it("peers clients with reflectors and reflectors with the core", () => {
    expect(crsOfKind(records, "BGPPeer").map((p) => p.name)).toEqual([
      "dc-b-calico-peer-rr-clients",
      "dc-b-calico-peer-rr-mesh",
      "dc-b-calico-peer-rr-core-10-32-0-1",
      "dc-b-calico-peer-rr-core-10-32-0-2",
    ]);
  });

  it("creates no conntrack bypass without an LVS tier", () => {
    expect(crsOfKind(records, "GlobalNetworkPolicy")).toEqual([]);
  });
});
