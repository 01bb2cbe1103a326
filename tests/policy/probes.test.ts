import { probeTimeouts } from "../../policy/probes";
import { warmupAnnotation } from "../../components/common/probes";
import { messages, type Res } from "./harness";
import { calicoNode, container, find, nginxTier } from "./fixtures";

const policy = probeTimeouts();
const C = "Deployment ingress-shop/nginx container controller";

function mutated(make: () => Res[], change: (rs: Res[]) => void): Res[] {
  const rs = make();
  change(rs);
  return rs;
}

describe("probe-timeouts", () => {
  it("is a mandatory resource policy", () => expect(policy.enforcementLevel).toBe("mandatory"));

  it.each<[string, (rs: Res[]) => void, string[]]>([
    [
      "the seed's avalanche: a 1 s readiness timeout",
      (rs) => (container(rs, "shop-nginx").readinessProbe.timeoutSeconds = 1),
      [
        `${C}: readinessProbe timeoutSeconds 1 is below the floor 5 — set timeoutSeconds >= 5 (a busy pod must not be restarted or ejected for one slow answer)`,
      ],
    ],
    [
      "an unset timeout is Kubernetes' 1 s",
      (rs) => delete container(rs, "shop-nginx").livenessProbe.timeoutSeconds,
      [
        `${C}: livenessProbe timeoutSeconds 1 (default) is below the floor 5 — set timeoutSeconds >= 5 (a busy pod must not be restarted or ejected for one slow answer)`,
      ],
    ],
    [
      "a liveness window too short to survive a busy spell",
      (rs) =>
        Object.assign(container(rs, "shop-nginx").livenessProbe, { failureThreshold: 2, periodSeconds: 5 }),
      [
        `${C}: livenessProbe failureThreshold 2 × periodSeconds 5 = 10s is below the floor 30s — raise failureThreshold or periodSeconds so failureThreshold × periodSeconds >= 30`,
      ],
    ],
    [
      "a readiness window of one failure",
      (rs) => Object.assign(container(rs, "shop-nginx").readinessProbe, { failureThreshold: 1 }),
      [
        `${C}: readinessProbe failureThreshold 1 × periodSeconds 5 = 5s is below the floor 10s — raise failureThreshold or periodSeconds so failureThreshold × periodSeconds >= 10`,
      ],
    ],
    [
      "a startup probe shorter than the declared warm-up",
      (rs) => (find(rs, "shop-nginx").spec.template.metadata.annotations[warmupAnnotation] = "120"),
      [
        `${C}: startupProbe gives 60s (initialDelaySeconds + failureThreshold × periodSeconds) before liveness starts, less than the declared warm-up (${warmupAnnotation}) 120s — raise the startup probe's failureThreshold so it covers >= 120s`,
      ],
    ],
    [
      "liveness without a startup probe or initial delay",
      (rs) => {
        const c = container(rs, "shop-nginx");
        delete c.startupProbe;
        delete c.livenessProbe.initialDelaySeconds;
      },
      [
        `${C}: livenessProbe starts after initialDelaySeconds 0 (default) with no startupProbe, before the declared warm-up (${warmupAnnotation}) 30s — add a startupProbe covering the warm-up or set initialDelaySeconds >= 30`,
      ],
    ],
    [
      "identical readiness and liveness",
      (rs) => {
        const c = container(rs, "shop-nginx");
        c.readinessProbe = { ...c.livenessProbe };
      },
      [
        `${C}: readinessProbe and livenessProbe are identical — a pod that is only busy gets restarted instead of leaving rotation; make liveness more lenient (longer window) or check a different endpoint`,
      ],
    ],
  ])("%s", async (_, change, want) => {
    expect(await messages(policy, mutated(nginxTier, change))).toEqual(want);
  });

  it("uses the default warm-up when none is declared", async () => {
    const rs = mutated(
      calicoNode,
      (r) => delete container(r, "calico-node").livenessProbe.initialDelaySeconds,
    );
    expect(await messages(policy, rs)).toEqual([
      "DaemonSet calico-system/calico-node container calico-node: livenessProbe starts after initialDelaySeconds 0 (default) with no startupProbe, before the default warm-up 10s — add a startupProbe covering the warm-up or set initialDelaySeconds >= 10",
    ]);
  });

  it("takes its floors from config", async () => {
    const rs = nginxTier();
    expect(await messages(policy, rs, { minTimeoutSeconds: 10 })).toHaveLength(3);
  });
});
