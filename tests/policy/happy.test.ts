import { allPolicies } from "../../policy/policies";
import { evaluate } from "./harness";
import { calicoNode, elasticsearch, nginxTier } from "./fixtures";

describe("happy-path fixtures", () => {
  it.each([
    ["nginx tier", nginxTier],
    ["elasticsearch", elasticsearch],
    ["calico-node", calicoNode],
  ])("%s passes every policy", async (_, make) => {
    expect(await evaluate(allPolicies(), make())).toEqual([]);
  });

  it("every policy declares its enforcement level and config defaults", () => {
    const levels = Object.fromEntries(allPolicies().map((p) => [p.name, p.enforcementLevel]));
    expect(levels).toEqual({
      "probe-timeouts": "mandatory",
      "cpu-limit-worker-consistency": "mandatory",
      "graceful-termination": "mandatory",
      resources: "mandatory",
      "privileged-only-where-needed": "mandatory",
      "image-pinning": "mandatory",
      "least-privilege": "mandatory",
      "control-plane-flags": "mandatory",
      "headless-upstreams": "advisory",
      spread: "advisory",
    });
    for (const p of allPolicies())
      for (const [k, s] of Object.entries(p.configSchema?.properties ?? {}))
        expect([p.name, k, s.default !== undefined]).toEqual([p.name, k, true]);
  });
});
