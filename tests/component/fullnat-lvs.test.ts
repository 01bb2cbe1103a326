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
    const pushes = byType(records, "command:remote:Command").filter((p) => !p.name.endsWith("-agent"));
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

  it("installs one lvs-director-agent per director, after that director's config", () => {
    const installs = byType(records, "command:remote:Command").filter((p) => p.name.endsWith("-agent"));
    expect(installs.map((p) => p.name)).toEqual([
      "dc-a-lvs-dca-a1r01-03-agent",
      "dc-a-lvs-dca-a1r01-04-agent",
      "dc-a-lvs-dca-a2r01-02-agent",
      "dc-a-lvs-dca-a2r01-03-agent",
    ]);
    expect(installs[0].dependsOn).toContain(named(records, "dc-a-lvs-dca-a1r01-03").urn);
    expect(lvs?.agentInstalls).toHaveLength(4);
  });

  it("creates lvs-system with no in-cluster director-sync Deployment (the agents run on the directors)", () => {
    const ns = named(records, "dc-a-lvs-ns");
    expect(ns.inputs.metadata.name).toBe("lvs-system");
    expect(byType(records, "kubernetes:apps/v1:Deployment")).toEqual([]);
    expect(byType(records, "kubernetes:policy/v1:PodDisruptionBudget")).toEqual([]);
  });

  it("gives the agents a ServiceAccount token of their own", () => {
    const token = named(records, "dc-a-lvs-agent-token");
    expect(token.inputs.type).toBe("kubernetes.io/service-account-token");
    expect(token.inputs.metadata.annotations["kubernetes.io/service-account.name"]).toBe(
      "lvs-director-agent",
    );
  });

  it("lets the agent read Services and EndpointSlices and create Events, nothing more", () => {
    const role = named(records, "dc-a-lvs-agent-role");
    const verbs = role.inputs.rules.flatMap((r: { resources: string[]; verbs: string[] }) =>
      r.resources.flatMap((res) => r.verbs.map((v) => `${res}:${v}`)),
    );
    expect(verbs.sort()).toEqual(
      [
        "services:get",
        "services:list",
        "services:watch",
        "endpointslices:get",
        "endpointslices:list",
        "endpointslices:watch",
        "events:create",
        "events:patch",
      ].sort(),
    );
  });

  it("announces the API VIP with the business VIPs", () => {
    expect(lvs?.announcedVips).toContain("10.250.16.10");
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
      lvs = new FullnatLVS("sim-lvs", { model: modelOf(f) });
    });
  });

  it("says so once in the preview", () => {
    const said = info.mock.calls.filter(([m]) => String(m).includes("director configs for"));
    expect(said).toHaveLength(1);
    expect(String(said[0][0])).toContain("simulated datacenter: no real hosts");
  });

  it("creates no remote command", () => {
    expect(byType(records, "command:remote:Command")).toEqual([]);
  });

  it("still renders every director's configs as outputs", () => {
    expect(Object.keys(lvs?.directorConfigs ?? {})).toEqual(["dcc-c1r01-03", "dcc-c1r01-04"]);
    expect(lvs?.directorConfigs["dcc-c1r01-03"].keepalived).toContain("lb_kind FNAT");
  });

  it("still creates the agents' identity, and renders their unit", () => {
    expect(named(records, "sim-lvs-agent-sa").inputs.metadata.name).toBe("lvs-director-agent");
    expect(lvs?.agentUnit).toContain("ExecStart=/usr/local/libexec/lvs-director-agent");
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
