import { containerResources } from "../../policy/resources";
import { messages, type Res } from "./harness";
import { container, nginxTier } from "./fixtures";

const policy = containerResources();
const NGINX = "Deployment ingress-shop/nginx container controller";
const BEAT = "Deployment ingress-shop/nginx container filebeat";

function mutated(change: (rs: Res[]) => void): Res[] {
  const rs = nginxTier();
  change(rs);
  return rs;
}

describe("resources", () => {
  it("is a mandatory resource policy", () => expect(policy.enforcementLevel).toBe("mandatory"));

  it.each<[string, (rs: Res[]) => void, string[]]>([
    [
      "no CPU limit",
      (rs) => delete container(rs, "shop-nginx").resources.limits.cpu,
      [`${NGINX}: has no cpu limit — set resources.limits.cpu`],
    ],
    [
      "no memory request",
      (rs) => delete container(rs, "shop-nginx").resources.requests.memory,
      [`${NGINX}: has no memory request — set resources.requests.memory`],
    ],
    [
      "no resources at all",
      (rs) => delete container(rs, "shop-nginx").resources,
      [
        `${NGINX}: has no cpu request — set resources.requests.cpu`,
        `${NGINX}: has no cpu limit — set resources.limits.cpu`,
        `${NGINX}: has no memory request — set resources.requests.memory`,
        `${NGINX}: has no memory limit — set resources.limits.memory`,
      ],
    ],
    [
      "a request above its limit",
      (rs) => (container(rs, "shop-nginx").resources.requests.cpu = "8"),
      [`${NGINX}: cpu request 8 exceeds its limit 6 — set the request <= the limit`],
    ],
    [
      "a quantity that is none",
      (rs) => (container(rs, "shop-nginx").resources.limits.memory = "4 gigs"),
      [`${NGINX}: memory limits "4 gigs" is not a quantity — set a Kubernetes quantity`],
    ],
    [
      "a filebeat sidecar over 0.1 core (the seed's budget)",
      (rs) => (container(rs, "shop-nginx", 1).resources.limits.cpu = "500m"),
      [
        `${BEAT}: log sidecar CPU limit 500m exceeds the sidecar budget 100m — set resources.limits.cpu <= 100m`,
      ],
    ],
    [
      "a filebeat sidecar over 100Mi",
      (rs) => (container(rs, "shop-nginx", 1).resources.limits.memory = "256Mi"),
      [
        `${BEAT}: log sidecar memory limit 256Mi exceeds the sidecar budget 100Mi — set resources.limits.memory <= 100Mi`,
      ],
    ],
  ])("%s", async (_, change, want) => {
    expect(await messages(policy, mutated(change))).toEqual(want);
  });
});
