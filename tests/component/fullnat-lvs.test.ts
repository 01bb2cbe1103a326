import * as pulumi from "@pulumi/pulumi";
import { byType, named, runMocked, type Recorded } from "../helpers/pulumi";
import { FullnatLVS } from "../../components/fullnat-lvs";
import { fixture, modelOf } from "../helpers/config";

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- mutations reach into the raw YAML object
type Raw = any;

/** Inputs holding a secret arrive wrapped in Pulumi's secret envelope. */
const SECRET_SIG = "4dabf18193072939515e22adb298388d";
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- recorded inputs are untyped
const unwrap = (v: any) => (v && typeof v === "object" && SECRET_SIG in v ? v.value : v);
const isSecret = (v: unknown) => typeof v === "object" && v !== null && SECRET_SIG in v;

describe("FullnatLVS with host access (dc-a)", () => {
  let records: Recorded[];
  let lvs: FullnatLVS | undefined;
  beforeAll(async () => {
    records = await runMocked(() => {
      lvs = new FullnatLVS("dc-a-lvs", {
        model: modelOf(fixture("dc-a")),
        sshPrivateKey: pulumi.secret("KEY"),
        directorSyncSshPrivateKey: pulumi.secret("SYNC-KEY"),
      });
    });
  });

  it("is one component with everything parented to it", () => {
    expect(named(records, "dc-a-lvs").type).toBe("private-cloud:network:FullnatLVS");
    for (const r of records.filter((x) => x.name !== "dc-a-lvs")) {
      expect(r.parent).toBe("dc-a-lvs");
      expect(r.name.startsWith("dc-a-lvs-")).toBe(true);
    }
  });

  it("pushes each director's configs over SSH as the configured user", async () => {
    const pushes = byType(records, "command:remote:Command");
    expect(pushes.map((p) => p.name)).toEqual([
      "dc-a-lvs-dca-a1r01-03",
      "dc-a-lvs-dca-a1r01-04",
      "dc-a-lvs-dca-a2r01-02",
      "dc-a-lvs-dca-a2r01-03",
    ]);
    const first = pushes[0].inputs;
    expect(isSecret(first.connection)).toBe(true);
    expect(unwrap(first.connection)).toMatchObject({ host: "10.16.1.13", user: "ops", port: 22 });
    expect(first.create).toContain("bird -p -c");
    expect(lvs?.pushes).toHaveLength(4);
  });

  it("creates lvs-system as a privileged namespace with the director-sync in it", () => {
    const ns = named(records, "dc-a-lvs-ns");
    expect(ns.inputs.metadata.name).toBe("lvs-system");
    expect(ns.inputs.metadata.labels["pod-security.kubernetes.io/enforce"]).toBe("privileged");
    const dep = named(records, "dc-a-lvs-lvs-director-sync");
    expect(dep.inputs.metadata.namespace).toBe("lvs-system");
    expect(dep.dependsOn).toContain(named(records, "dc-a-lvs-sync-config").urn);
    expect(dep.dependsOn).toContain(named(records, "dc-a-lvs-sync-ssh").urn);
  });

  it("lets a drain take at most one director-sync replica", () => {
    const pdb = byType(records, "kubernetes:policy/v1:PodDisruptionBudget");
    expect(pdb.map((p) => [p.name, p.inputs.spec])).toEqual([
      [
        "dc-a-lvs-lvs-director-sync-pdb",
        { maxUnavailable: 1, selector: { matchLabels: { "app.kubernetes.io/name": "lvs-director-sync" } } },
      ],
    ]);
  });

  it("lets director-sync read Services and EndpointSlices, nothing more", () => {
    const role = named(records, "dc-a-lvs-sync-role");
    const verbs = role.inputs.rules.flatMap((r: { resources: string[]; verbs: string[] }) =>
      r.resources.flatMap((res) => r.verbs.map((v) => `${res}:${v}`)),
    );
    expect(verbs).toEqual(
      expect.arrayContaining([
        "services:list",
        "services:watch",
        "endpointslices:list",
        "endpointslices:watch",
      ]),
    );
    expect(
      verbs.filter((v: string) => /^(services|endpointslices):(create|update|patch|delete)$/.test(v)),
    ).toEqual([]);
  });

  it("publishes the contract with every business VIP", () => {
    const cm = named(records, "dc-a-lvs-sync-config");
    const contract = JSON.parse(cm.inputs.data["config.json"]);
    expect(contract.vips.map((v: { vip: string }) => v.vip)).toEqual([
      "10.250.16.214",
      "10.250.16.119",
      "10.250.16.224",
    ]);
  });

  it("announces the API VIP with the business VIPs", () => {
    expect(lvs?.announcedVips).toContain("10.250.16.10");
  });

  it("keeps the director-sync key secret", async () => {
    const secret = named(records, "dc-a-lvs-sync-ssh");
    expect(isSecret(secret.inputs.stringData)).toBe(true);
    expect(unwrap(secret.inputs.stringData).id).toBe("SYNC-KEY");
  });
});

describe("FullnatLVS without host access (simulated datacenter)", () => {
  let records: Recorded[];
  let lvs: FullnatLVS | undefined;
  const info = jest.spyOn(pulumi.log, "info");
  beforeAll(async () => {
    const f = fixture("dc-c");
    (f.raw as Raw).hostAccess = {
      enabled: false,
      disabledReason: "simulated datacenter: no real hosts",
      kubeconfigPath: ".sim/kubeconfig",
    };
    records = await runMocked(() => {
      lvs = new FullnatLVS("sim-lvs", { model: modelOf(f), directorSyncSshPrivateKey: "ignored" });
    });
  });

  it("says so once in the preview", () => {
    const said = info.mock.calls.filter(([m]) => String(m).includes("director configs for"));
    expect(said).toHaveLength(1);
    expect(String(said[0][0])).toContain("simulated datacenter: no real hosts");
  });

  it("creates no remote command and no SSH secret", () => {
    expect(byType(records, "command:remote:Command")).toEqual([]);
    expect(records.find((r) => r.name === "sim-lvs-sync-ssh")).toBeUndefined();
  });

  it("still renders every director's configs as outputs", () => {
    expect(Object.keys(lvs?.directorConfigs ?? {})).toEqual(["dcc-c1r01-03", "dcc-c1r01-04"]);
    expect(lvs?.directorConfigs["dcc-c1r01-03"].keepalived).toContain("lb_kind FNAT");
  });

  it("still deploys the in-cluster side", () => {
    expect(named(records, "sim-lvs-lvs-director-sync").inputs.spec.replicas).toBe(2);
  });
});

describe("FullnatLVS refuses to run half-configured", () => {
  it("needs the SSH key when host access is on", async () => {
    let error: unknown;
    await runMocked(() => {
      try {
        new FullnatLVS("dc-c-lvs", { model: modelOf(fixture("dc-c")) });
      } catch (e) {
        error = e;
      }
    });
    expect(String(error)).toContain("hostAccess.enabled is true but no SSH private key was given");
  });
});
