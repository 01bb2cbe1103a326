/**
 * The whole datacenter composition under mocks, for each real stack: every
 * resource has a parent component, names are unique, and bad config stops
 * the program before anything is registered.
 */
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { runMocked, type Recorded } from "../helpers/pulumi";
import { deployDatacenter } from "../../stacks/datacenter";
import { loadStackFile, readStackFile } from "../../stacks/config";
import { modelFromPulumiConfig } from "../../stacks/pulumi-config";
import { commandOutputs } from "../helpers/kubeconfig";
import { projectDir } from "../helpers/config";

describe.each(["dc-a", "dc-b", "dc-c"])("%s under mocks", (stack) => {
  let records: Recorded[];
  beforeAll(async () => {
    const model = loadStackFile(path.join(projectDir, `Pulumi.${stack}.yaml`));
    records = await runMocked(() => deployDatacenter(model, { sshPrivateKey: "KEY", projectDir }), {
      stack,
      outputs: commandOutputs,
    });
    // A whole datacenter under mocks. The file took 41-65 s for its three
    // stacks at load 17 (with or without the ownership transform alike) and
    // jest's estimate after an earlier run was 211 s: the 30 s default
    // failed this hook under load. It only bounds a hang, so it is generous.
  }, 180_000);

  it("registers resources with unique names", () => {
    const names = records.map((r) => `${r.type}::${r.name}`);
    expect(new Set(names).size).toBe(names.length);
    expect(records.length).toBeGreaterThan(20);
  });

  it("parents every resource except the provider to one of our components", () => {
    const orphans = records.filter(
      (r) =>
        r.custom && !r.type.startsWith("pulumi:providers:") && !r.parentType.startsWith("private-cloud:"),
    );
    expect(orphans.map((r) => r.name)).toEqual([]);
  });

  it("names children after the datacenter", () => {
    for (const r of records) expect(r.name.startsWith(`${stack}-`)).toBe(true);
  });
});

describe("a broken stack config", () => {
  it("fails with every problem listed and registers nothing", async () => {
    const config = readStackFile(path.join(projectDir, "Pulumi.dc-c.yaml"));
    const masters = config["private-cloud:masters"] as { hostnames: string[] };
    masters.hostnames = masters.hostnames.slice(0, 2);
    (config["private-cloud:network"] as { serviceCidr: string }).serviceCidr = "10.145.0.0/16";
    let error: unknown;
    const records = await runMocked(
      () => {
        try {
          deployDatacenter(modelFromPulumiConfig(projectDir), { sshPrivateKey: "KEY", projectDir });
        } catch (e) {
          error = e;
        }
      },
      { stack: "dc-c", config },
    );
    expect(records).toEqual([]);
    expect(error).toBeInstanceOf(pulumi.RunError);
    expect((error as Error).message).toBe(
      [
        "stack dc-c: invalid configuration: 2 problems; nothing was created",
        "  - private-cloud:network.serviceCidr: 10.145.0.0/16 overlaps private-cloud:network.podCidr 10.144.0.0/15 (expected disjoint address ranges)",
        "  - private-cloud:masters.hostnames: 2 master(s) cannot keep etcd quorum through a failure (expected 3, 5 or 7)",
      ].join("\n"),
    );
  });
});
