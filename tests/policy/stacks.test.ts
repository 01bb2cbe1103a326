/**
 * The real datacenters comply: every resource dc-a, dc-b and dc-c register
 * (under mocks) goes through the whole pack, and no mandatory policy may
 * object. Then a seeded bad business — the seed's two incidents, 24 nginx
 * workers on a 6-core limit and a 1 s probe timeout — must produce exactly the
 * expected violations and nothing else.
 */
import { runMocked, type Recorded } from "../helpers/pulumi";
import * as path from "path";
import { projectDir } from "../helpers/config";
import { loadStackFile } from "../../stacks/config";
import { commandOutputs } from "../helpers/kubeconfig";
import { deployDatacenter } from "../../stacks/datacenter";
import { allPolicies } from "../../policy/policies";
import { evaluate, fromRecorded, type Res } from "./harness";
import type { Any } from "./fixtures";

const STACKS = ["dc-a", "dc-b", "dc-c"] as const;
// Read straight from the stack files: fixture()'s structuredClone makes arrays
// of Node's realm, which Pulumi's serializer (in jest's realm) does not see as
// arrays, so `hosts.map(...)` would be recorded as {"0": …}.
const models = STACKS.map((s) => loadStackFile(path.join(projectDir, `Pulumi.${s}.yaml`)));

let records: Recorded[];
beforeAll(async () => {
  records = await runMocked(
    () => {
      for (const model of models) {
        deployDatacenter(model, { sshPrivateKey: "PRIVATE KEY" });
      }
      // MasterHA reads the admin kubeconfig and PKI from its commands' output.
    },
    { outputs: commandOutputs },
  );
  // Every stack under mocks at once: 31-59 s at load 17 (with or without
  // the ownership transform alike), and jest's estimate after an earlier
  // run was 135 s, past the old 120 s. It only bounds a hang: generous.
}, 300_000);

const ofStack = (stack: string): Res[] => fromRecorded(records).filter((r) => r.name.startsWith(`${stack}-`));

describe.each(STACKS)("%s", (stack) => {
  it("registers Kubernetes workloads and commands the pack can see", () => {
    const types = new Set(ofStack(stack).map((r) => r.type));
    expect([...types]).toEqual(
      expect.arrayContaining(["command:remote:Command", "kubernetes:apps/v1:Deployment"]),
    );
  });

  it("passes every mandatory policy", async () => {
    const violations = await evaluate(allPolicies(), ofStack(stack));
    expect(violations.filter((v) => v.level === "mandatory").map((v) => `${v.policy}: ${v.message}`)).toEqual(
      [],
    );
  });
});

describe("a seeded bad business", () => {
  it("24 workers on a 6-core limit and a 1 s probe timeout fail with exactly those messages", async () => {
    const rs = structuredClone(ofStack("dc-a"));
    const deploymentOf = (r: Res) =>
      r.type === "kubernetes:apps/v1:Deployment" && (r.props as Any).metadata?.namespace === "ingress-shop";
    const deployment = rs.find(deploymentOf);
    if (!deployment) throw new Error("dc-a has no ingress-shop Deployment");
    const d = deployment.props as Any;
    const controller = d.spec.template.spec.containers.find((c: Any) =>
      (c.args ?? []).some((a: string) => a.startsWith("--configmap=")),
    );
    const ref = controller.args
      .find((a: string) => a.startsWith("--configmap="))
      .slice("--configmap=".length)
      .replace("$(POD_NAMESPACE)", "ingress-shop");
    const cm = rs.find(
      (r) =>
        r.type === "kubernetes:core/v1:ConfigMap" &&
        `${(r.props as Any).metadata.namespace}/${(r.props as Any).metadata.name}` === ref,
    );
    if (!cm) throw new Error(`no ConfigMap ${ref}`);
    expect(controller.resources.limits.cpu).toBe("6000m");
    (cm.props as Any).data["worker-processes"] = "24";
    controller.readinessProbe.timeoutSeconds = 1;

    const baseline = new Set((await evaluate(allPolicies(), ofStack("dc-a"))).map((v) => v.message));
    const added = (await evaluate(allPolicies(), rs)).filter((v) => !baseline.has(v.message));
    const who = `Deployment ingress-shop/${d.metadata.name} container ${controller.name}`;
    expect(added.map((v) => [v.policy, v.level, v.message])).toEqual([
      [
        "probe-timeouts",
        "mandatory",
        `${who}: readinessProbe timeoutSeconds 1 is below the floor 5 — set timeoutSeconds >= 5 (a busy pod must not be restarted or ejected for one slow answer)`,
      ],
      [
        "cpu-limit-worker-consistency",
        "mandatory",
        `${who}: worker-processes 24 (ConfigMap ${ref}) exceeds CPU limit 6 — set worker-processes <= 6`,
      ],
    ]);
  });
});
