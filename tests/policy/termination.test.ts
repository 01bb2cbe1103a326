import { gracefulTerminationPolicy } from "../../policy/termination";
import { messages, type Res } from "./harness";
import { container, find, nginxTier } from "./fixtures";

const policy = gracefulTerminationPolicy();
const C = "Deployment ingress-shop/nginx container controller";

function mutated(change: (rs: Res[]) => void): Res[] {
  const rs = nginxTier();
  change(rs);
  return rs;
}

describe("graceful-termination", () => {
  it("is a mandatory stack policy", () => expect(policy.enforcementLevel).toBe("mandatory"));

  it.each<[string, (rs: Res[]) => void, string[]]>([
    [
      "the default 30 s grace period cannot cover preStop + shutdown",
      (rs) => delete find(rs, "shop-nginx").spec.template.spec.terminationGracePeriodSeconds,
      [
        `${C}: terminationGracePeriodSeconds 30 (default) is less than preStop wait 11s + worker-shutdown-timeout 30s = 41s — set terminationGracePeriodSeconds >= 41`,
      ],
    ],
    [
      "ingress-nginx's default worker-shutdown-timeout is 240 s",
      (rs) => delete find(rs, "shop-nginx-config").data["worker-shutdown-timeout"],
      [
        `${C}: terminationGracePeriodSeconds 46 is less than preStop wait 11s + worker-shutdown-timeout 240s (default) = 251s — set terminationGracePeriodSeconds >= 251`,
      ],
    ],
    [
      "--shutdown-grace-period adds to the drain",
      (rs) => container(rs, "shop-nginx").args.push("--shutdown-grace-period=10"),
      [
        `${C}: terminationGracePeriodSeconds 46 is less than preStop wait 11s + worker-shutdown-timeout 30s + --shutdown-grace-period 10s = 51s — set terminationGracePeriodSeconds >= 51`,
      ],
    ],
    [
      "no preStop hook: the pod stops while LVS still sends traffic",
      (rs) => delete container(rs, "shop-nginx").lifecycle,
      [
        `${C}: no preStop hook, so the pod stops while the LVS tier still sends it traffic — add a preStop hook that waits >= 11s before nginx drains`,
      ],
    ],
    [
      "a preStop wait shorter than the LVS detection time",
      (rs) => (container(rs, "shop-nginx").lifecycle.preStop = { sleep: { seconds: 3 } }),
      [
        `${C}: preStop waits 3s, less than the 11s the LVS health check needs to take the pod out — wait >= 11s`,
      ],
    ],
    [
      "plain nginx without worker_shutdown_timeout",
      (rs) => {
        const c = container(rs, "shop-nginx");
        c.image = "registry.dc-a.cloud.internal/library/nginx:1.29.1";
        c.args = undefined;
      },
      [
        `${C}: no worker_shutdown_timeout in any mounted nginx.conf, so nginx waits for every open connection with no bound (keep-alive clients keep it alive until SIGKILL) — set worker_shutdown_timeout so the grace period can cover the drain`,
      ],
    ],
  ])("%s", async (_, change, want) => {
    expect(await messages(policy, mutated(change))).toEqual(want);
  });
});
