import { imagePinning } from "../../policy/images";
import { messages, type Res } from "./harness";
import { container, nginxTier } from "./fixtures";

const policy = imagePinning();
const C = "Deployment ingress-shop/nginx container controller";
const PATTERN = "^(registry\\.[a-z0-9-]+\\.cloud\\.internal|127\\.0\\.0\\.1)(:[0-9]+)?(/|$)";

function withImage(image: string | undefined): Res[] {
  const rs = nginxTier();
  container(rs, "shop-nginx").image = image;
  return rs;
}

describe("image-pinning", () => {
  it("is a mandatory resource policy", () => expect(policy.enforcementLevel).toBe("mandatory"));

  it.each<[string, string | undefined, string[]]>([
    [
      "latest",
      "registry.dc-a.cloud.internal/ingress-nginx/controller:latest",
      [
        `${C}: image registry.dc-a.cloud.internal/ingress-nginx/controller:latest uses the moving tag latest — pin a version tag or a digest`,
      ],
    ],
    [
      "no tag",
      "registry.dc-a.cloud.internal/ingress-nginx/controller",
      [
        `${C}: image registry.dc-a.cloud.internal/ingress-nginx/controller has no tag (the runtime pulls latest) — pin a version tag or a digest`,
      ],
    ],
    [
      "Docker Hub instead of the mirror",
      "nginx:1.29.1",
      [
        `${C}: image nginx:1.29.1 is not from the registry mirror (registry docker.io, implied) — pull it through the mirror matching /${PATTERN}/`,
      ],
    ],
    [
      "another registry",
      "quay.io/calico/node:v3.30.3",
      [
        `${C}: image quay.io/calico/node:v3.30.3 is not from the registry mirror (registry quay.io) — pull it through the mirror matching /${PATTERN}/`,
      ],
    ],
    ["no image", undefined, [`${C}: has no image — set an image from the registry mirror with a pinned tag`]],
  ])("%s", async (_, image, want) => {
    expect(await messages(policy, withImage(image))).toEqual(want);
  });

  it.each([
    "registry.dc-b.cloud.internal:5000/k8s/etcd:3.6.5-0",
    "registry.dc-a.cloud.internal/x/y@sha256:0123456789abcdef",
    "registry.dc-a.cloud.internal/x/y:latest@sha256:0123456789abcdef",
    // The simulated datacenter's registry (scripts/sim.sh) with an image of ours pinned by digest.
    "127.0.0.1:16405/private-cloud/network-check:v1.4.2@sha256:0123456789abcdef",
  ])("accepts %s", async (image) => expect(await messages(policy, withImage(image))).toEqual([]));

  it.each(["127.0.0.2:5000/x/y:1", "127.0.0.1.example.com/x/y:1"])(
    "refuses %s (only loopback itself)",
    async (image) => expect(await messages(policy, withImage(image))).toHaveLength(1),
  );

  it("takes the mirror from config", async () => {
    expect(await messages(policy, nginxTier(), { registryPattern: "^registry\\.dc-b\\." })).toHaveLength(2);
  });
});
