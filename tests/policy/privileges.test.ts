import { privilegedOnlyWhereNeeded } from "../../policy/privileges";
import { messages, type Res } from "./harness";
import { calicoNode, container, find, namespace, nginxTier } from "./fixtures";

const policy = privilegedOnlyWhereNeeded();
const NGINX = "Deployment ingress-shop/nginx";

function mutated(make: () => Res[], change: (rs: Res[]) => void): Res[] {
  const rs = make();
  change(rs);
  return rs;
}
const podSpec = (rs: Res[]) => find(rs, "shop-nginx").spec.template.spec;

describe("privileged-only-where-needed", () => {
  it("is a mandatory stack policy", () => expect(policy.enforcementLevel).toBe("mandatory"));

  it.each<[string, () => Res[], (rs: Res[]) => void, string[]]>([
    [
      "hostNetwork in a business namespace",
      nginxTier,
      (rs) => (podSpec(rs).hostNetwork = true),
      [
        `${NGINX}: uses hostNetwork in namespace ingress-shop — host access is only for calico-system, lvs-system, node-tuning, node-exporter`,
      ],
    ],
    [
      "a privileged container",
      nginxTier,
      (rs) => (container(rs, "shop-nginx").securityContext = { privileged: true }),
      [
        `${NGINX}: uses privileged container controller in namespace ingress-shop — host access is only for calico-system, lvs-system, node-tuning, node-exporter`,
      ],
    ],
    [
      "a hostPath volume",
      nginxTier,
      (rs) => podSpec(rs).volumes.push({ name: "root", hostPath: { path: "/" } }),
      [
        `${NGINX}: uses hostPath volume root (/) in namespace ingress-shop — host access is only for calico-system, lvs-system, node-tuning, node-exporter`,
      ],
    ],
    [
      "NET_ADMIN",
      nginxTier,
      (rs) =>
        (container(rs, "shop-nginx").securityContext = {
          capabilities: { add: ["NET_ADMIN", "NET_BIND_SERVICE"] },
        }),
      [
        `${NGINX}: uses container controller adds capabilities NET_ADMIN in namespace ingress-shop — host access is only for calico-system, lvs-system, node-tuning, node-exporter`,
      ],
    ],
    [
      "a hostPort",
      nginxTier,
      (rs) => (container(rs, "shop-nginx").ports = [{ containerPort: 80, hostPort: 80 }]),
      [
        `${NGINX}: uses container controller hostPort 80 in namespace ingress-shop — host access is only for calico-system, lvs-system, node-tuning, node-exporter`,
      ],
    ],
    [
      "a namespace without Pod Security labels",
      nginxTier,
      (rs) => (find(rs, "ingress-shop").metadata.labels = {}),
      [
        "Namespace ingress-shop: has no pod-security.kubernetes.io/enforce label — label it with a Pod Security level (privileged, baseline, restricted)",
        "Namespace ingress-shop: has no pod-security.kubernetes.io/audit label — label it with a Pod Security level (privileged, baseline, restricted)",
        "Namespace ingress-shop: has no pod-security.kubernetes.io/warn label — label it with a Pod Security level (privileged, baseline, restricted)",
      ],
    ],
    [
      "a privileged business namespace",
      nginxTier,
      (rs) => (rs[0] = namespace("ingress-shop", "privileged")),
      ["enforce", "audit", "warn"].map(
        (m) =>
          `Namespace ingress-shop: pod-security.kubernetes.io/${m} is privileged, but only calico-system, lvs-system, node-tuning, node-exporter may be — use baseline or restricted`,
      ),
    ],
    [
      "Calico in a namespace labelled baseline: admission would reject its pods",
      calicoNode,
      (rs) => (rs[0] = namespace("calico-system", "baseline")),
      [
        "DaemonSet calico-system/calico-node: hostNetwork, which namespace calico-system's Pod Security level baseline rejects — the pods would never be created; fix the pod or the namespace's level",
        "DaemonSet calico-system/calico-node: hostPath volume lib-modules (/lib/modules), which namespace calico-system's Pod Security level baseline rejects — the pods would never be created; fix the pod or the namespace's level",
        "DaemonSet calico-system/calico-node: privileged container calico-node, which namespace calico-system's Pod Security level baseline rejects — the pods would never be created; fix the pod or the namespace's level",
      ],
    ],
  ])("%s", async (_, make, change, want) => {
    expect(await messages(policy, mutated(make, change))).toEqual(want);
  });

  it("checks a restricted namespace's requirements", async () => {
    const rs = mutated(nginxTier, (r) => {
      r[0] = namespace("ingress-shop", "restricted");
      find(r, "shop-nginx").spec.template.spec.containers.splice(1, 1);
    });
    expect(await messages(policy, rs)).toEqual(
      [
        "container controller does not set allowPrivilegeEscalation: false",
        "container controller does not set runAsNonRoot: true",
        "container controller has no RuntimeDefault/Localhost seccomp profile",
        "container controller does not drop ALL capabilities",
      ].map(
        (what) =>
          `${NGINX}: ${what}, which namespace ingress-shop's Pod Security level restricted rejects — the pods would never be created; fix the pod or the namespace's level`,
      ),
    );
    const c = container(rs, "shop-nginx");
    c.securityContext = {
      allowPrivilegeEscalation: false,
      runAsNonRoot: true,
      seccompProfile: { type: "RuntimeDefault" },
      capabilities: { drop: ["ALL"], add: ["NET_BIND_SERVICE"] },
    };
    expect(await messages(policy, rs)).toEqual([]);
  });
});
