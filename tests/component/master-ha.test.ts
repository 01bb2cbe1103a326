import { runMocked, valueOf, byType, named, type Recorded } from "../helpers/pulumi";
import { specialSecretSig, specialSigKey } from "@pulumi/pulumi/runtime/rpc";
import { MasterHA } from "../../components/master-ha";
import { fixture, modelOf } from "../helpers/config";
import { commandOutputs } from "../helpers/kubeconfig";

const model = modelOf(fixture("dc-a"));

describe("MasterHA with host access", () => {
  let records: Recorded[];
  let masters: MasterHA;
  beforeAll(async () => {
    records = await runMocked(
      () => {
        masters = new MasterHA("dc-a-masters", { model, sshPrivateKey: "PRIVATE KEY" });
      },
      { outputs: commandOutputs },
    );
  });

  it("runs one install per master, named after the host, under the component", () => {
    const installs = byType(records, "command:remote:Command").filter((r) =>
      r.name.startsWith("dc-a-masters-dca-"),
    );
    expect(installs.map((r) => r.name)).toEqual(model.masters.map((m) => `dc-a-masters-${m.hostname}`));
    for (const r of installs) {
      expect(r.parent).toBe("dc-a-masters");
      expect(r.parentType).toBe("private-cloud:cluster:MasterHA");
    }
  });

  it("chains the installs so masters upgrade one at a time, after the PKI is exported", () => {
    const urn = (name: string) => named(records, name).urn;
    const chain = [
      model.masters[0].hostname,
      "pki-bundle",
      ...model.masters.slice(1).map((m) => m.hostname),
    ].map((n) => `dc-a-masters-${n}`);
    for (let i = 1; i < chain.length; i++)
      expect(named(records, chain[i]).dependsOn).toContain(urn(chain[i - 1]));
    expect(named(records, chain[0]).dependsOn).toEqual(expect.not.arrayContaining([urn(chain[1])]));
    expect(named(records, "dc-a-masters-admin-kubeconfig").dependsOn).toContain(urn(chain.at(-1) as string));
  });

  it("connects over SSH with the configured user and the secret key", () => {
    const first = named(records, `dc-a-masters-${model.masters[0].hostname}`);
    expect(first.inputs.connection).toEqual({
      host: "10.16.1.11",
      port: 22,
      user: "ops",
      privateKey: "PRIVATE KEY",
    });
    expect(first.inputs.create).toContain("master install --stage /stage/files --node-name 'dca-a1r01-01'");
    expect(first.inputs.delete).toContain("refusing to remove dca-a1r01-01");
  });

  it("keeps the encryption key, with protect, out of the command text", () => {
    expect(byType(records, "random:index/randomBytes:RandomBytes").map((r) => r.name)).toEqual([
      "dc-a-masters-encryption-key",
    ]);
    const second = named(records, `dc-a-masters-${model.masters[1].hostname}`);
    expect(second.inputs.create).not.toContain("VEVTVC1FTkNSWVBUSU9OLUtFWQ==");
    // stdin carries the key and the PKI bundle, and travels as a secret.
    expect(second.inputs.stdin).toEqual({
      [specialSigKey]: specialSecretSig,
      value: "VEVTVC1FTkNSWVBUSU9OLUtFWQ==\nUEtJ",
    });
  });

  it("exposes the VIP endpoint, and publishes apiServer.name for the VIP in lvs mode", async () => {
    expect(masters.endpoint).toBe("https://10.250.16.10:6443");
    expect(masters.dnsRecords).toEqual([
      { name: "api.dc-a.cloud.internal", type: "A", value: "10.250.16.10", ttlSeconds: 30 },
    ]);
    expect(masters.kubeconfig).toBeDefined();
    expect(Object.keys(masters.files)).toHaveLength(5);
    const kubeconfig = await valueOf(masters.kubeconfig as never);
    expect(kubeconfig).toContain("server: https://10.250.16.10:6443");
  });
});

describe("MasterHA without host access (the simulated datacenter)", () => {
  it("runs nothing on hosts and hands the given kubeconfig on", async () => {
    const f = fixture("dc-b");
    f.raw.hostAccess = { enabled: false, disabledReason: "no real hosts in this test", kubeconfigPath: "kc" };
    let masters: MasterHA | undefined;
    const records = await runMocked(() => {
      masters = new MasterHA("dc-b-masters", { model: modelOf(f), kubeconfig: "apiVersion: v1" });
    });
    expect(records.filter((r) => r.custom)).toEqual([]);
    expect(await valueOf(masters?.kubeconfig as never)).toBe("apiVersion: v1");
    expect(masters?.dnsRecords).toHaveLength(3);
    expect(masters?.endpoint).toBe("https://api.dc-b.cloud.internal:6443");
  });
});

describe("MasterHA misconfigured", () => {
  it("says how to set the SSH key when host access is on and none is given", async () => {
    await expect(runMocked(() => new MasterHA("x", { model }))).rejects.toThrow(
      "x: hostAccess.enabled is true but no SSH private key was given (set it with `pulumi config set --secret private-cloud:sshPrivateKey < key`)",
    );
  });
});
