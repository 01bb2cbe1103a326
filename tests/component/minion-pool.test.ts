import { execSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { specialSecretSig, specialSigKey } from "@pulumi/pulumi/runtime/rpc";
import { runMocked, byType, named, type Recorded } from "../helpers/pulumi";
import { MinionPool, caCertHash } from "../../components/minion-pool";
import { labelKeys } from "../../stacks/labels";
import { fixture, modelOf } from "../helpers/config";
import { commandOutputs, testCa } from "../helpers/kubeconfig";

const model = modelOf(fixture("dc-a"));

describe("caCertHash", () => {
  it("pins the CA's public key exactly as openssl computes it", () => {
    const { kubeconfig, caPem } = testCa();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pc-hash-"));
    fs.writeFileSync(`${dir}/ca.crt`, caPem);
    const expected = execSync(
      `openssl x509 -pubkey -noout -in ${dir}/ca.crt | openssl pkey -pubin -outform der | sha256sum`,
      { encoding: "utf8" },
    ).split(" ")[0];
    fs.rmSync(dir, { recursive: true, force: true });
    expect(caCertHash(kubeconfig)).toBe(`sha256:${expected}`);
  });

  it("refuses a kubeconfig without a CA", () => {
    expect(() => caCertHash("clusters: [{cluster: {server: x}}]")).toThrow(
      "kubeconfig has no certificate-authority-data",
    );
  });
});

describe("MinionPool with host access", () => {
  let records: Recorded[];
  beforeAll(async () => {
    records = await runMocked(
      () =>
        new MinionPool("dc-a-minions", {
          model,
          apiEndpoint: "https://10.250.16.10:6443",
          kubeconfig: testCa().kubeconfig,
          sshPrivateKey: "KEY",
        }),
      { outputs: commandOutputs },
    );
  });

  it("runs one bootstrap command per rack, not per host", () => {
    const racks = byType(records, "command:local:Command");
    expect(racks.map((r) => r.name)).toEqual(model.racks.map((r) => `dc-a-minions-rack-${r.name}`));
    expect(model.minions.length).toBe(122);
    for (const r of racks) expect(r.parent).toBe("dc-a-minions");
  });

  it("passes secrets through the environment and pins the CA", () => {
    const secretEnv = named(records, "dc-a-minions-rack-a1r03").inputs.environment;
    // The environment holds the key and token, so it travels as one secret.
    expect(secretEnv[specialSigKey]).toBe(specialSecretSig);
    const env = secretEnv.value;
    expect(env.JOIN_TOKEN).toMatch(/^[a-z0-9]{6}\.[a-z0-9]{16}$/);
    expect(env.CA_CERT_HASH).toBe(caCertHash(testCa().kubeconfig));
    expect(Object.keys(env).sort()).toEqual([
      "CA_CERT_HASH",
      "JOIN_TOKEN",
      "KUBECONFIG_CONTENT",
      "SSH_PRIVATE_KEY",
    ]);
  });

  it("creates a bootstrap token Secret the racks wait for", () => {
    const token = named(records, "dc-a-minions-join-token");
    expect(token.inputs.type).toBe("bootstrap.kubernetes.io/token");
    expect(named(records, "dc-a-minions-rack-a1r01").dependsOn).toContain(token.urn);
  });

  it("tunes each machine class with one DaemonSet selected by the CMDB machine-type label", () => {
    const ds = byType(records, "kubernetes:apps/v1:DaemonSet");
    // Sorted: registrations complete in any order (a skipAwait annotation changes it).
    expect(ds.map((d) => d.name).sort()).toEqual(
      ["m16c64x", "m24c128", "m32c128n", "m32c256", "m40c256s"].map((t) => `dc-a-minions-tune-${t}`),
    );
    const dsNamed = (t: string) => ds.find((d) => d.name === `dc-a-minions-tune-${t}`)?.inputs;
    expect(dsNamed("m32c128n").spec.template.spec.nodeSelector).toEqual({
      [labelKeys.machineType]: "m32c128n",
    });
    // 101 m24c128 hosts one at a time outlast the provider's 10-min await; 8 m32c128n do not.
    expect(dsNamed("m24c128").metadata.annotations).toEqual({
      "pulumi.com/skipAwait": "true",
    });
    expect(dsNamed("m32c128n").metadata.annotations).toBeUndefined();
    expect(
      named(records, "dc-a-minions-node-tuning").inputs.metadata.labels["pod-security.kubernetes.io/enforce"],
    ).toBe("privileged");
  });

  it("has a resource count that follows racks and machine types", () => {
    const custom = records.filter((r) => r.custom);
    // racks + 2 per machine class + namespace, service account, token (3 resources) + node-tuning's default deny
    expect(custom.length).toBe(8 + 2 * 5 + 2 + 3 + 1);
  });
});

describe("MinionPool without host access", () => {
  it("deploys tuning but no host commands", async () => {
    const f = fixture("dc-c");
    f.raw.hostAccess = { enabled: false, disabledReason: "simulated nodes", kubeconfigPath: "kc" };
    const records = await runMocked(
      () => new MinionPool("sim-minions", { model: modelOf(f), apiEndpoint: "https://x:6443" }),
    );
    expect(byType(records, "command:local:Command")).toEqual([]);
    expect(byType(records, "random:index/randomString:RandomString")).toEqual([]);
    expect(byType(records, "kubernetes:apps/v1:DaemonSet").length).toBeGreaterThan(0);
  });
});
