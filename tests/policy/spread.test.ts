import { allowedDisruptions, spread } from "../../policy/spread";
import { messages, run, type Res } from "./harness";
import { find, nginxTier } from "./fixtures";

const policy = spread();
const W = "Deployment ingress-shop/nginx";

function mutated(change: (rs: Res[]) => void): Res[] {
  const rs = nginxTier();
  change(rs);
  return rs;
}

describe("allowedDisruptions", () => {
  it.each([
    [{ maxUnavailable: 1 }, 3, 1],
    [{ maxUnavailable: 0 }, 3, 0],
    [{ maxUnavailable: "10%" }, 3, 1],
    [{ maxUnavailable: "0%" }, 3, 0],
    [{ minAvailable: 3 }, 3, 0],
    [{ minAvailable: 2 }, 3, 1],
    [{ minAvailable: "100%" }, 6, 0],
    [{ minAvailable: "50%" }, 6, 3],
    [{}, 3, 2],
  ])("%j of %d replicas → %d", (pdb, replicas, want) =>
    expect(allowedDisruptions({ namespace: "n", name: "p", ...pdb }, replicas)).toBe(want),
  );
});

describe("spread", () => {
  it("is advisory", async () => {
    const v = await run(
      policy,
      mutated((rs) => delete find(rs, "shop-nginx").spec.template.spec.affinity),
    );
    expect(v.map((x) => x.level)).toEqual(["advisory"]);
  });

  it.each<[string, (rs: Res[]) => void, string[]]>([
    [
      "no rack anti-affinity",
      (rs) => delete find(rs, "shop-nginx").spec.template.spec.affinity,
      [
        `${W}: 6 replicas with no pod anti-affinity or topology spread on cmdb.private-cloud.io/rack — one rack failure can take every replica; spread them over racks`,
      ],
    ],
    [
      "anti-affinity on hostname only is not rack spread",
      (rs) =>
        (find(
          rs,
          "shop-nginx",
        ).spec.template.spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].podAffinityTerm.topologyKey =
          "kubernetes.io/hostname"),
      [
        `${W}: 6 replicas with no pod anti-affinity or topology spread on cmdb.private-cloud.io/rack — one rack failure can take every replica; spread them over racks`,
      ],
    ],
    [
      "topology spread on the rack counts",
      (rs) => {
        const spec = find(rs, "shop-nginx").spec.template.spec;
        delete spec.affinity;
        spec.topologySpreadConstraints = [
          {
            topologyKey: "cmdb.private-cloud.io/rack",
            maxSkew: 1,
            whenUnsatisfiable: "ScheduleAnyway",
            labelSelector: { matchLabels: { "app.kubernetes.io/name": "nginx" } },
          },
        ];
      },
      [],
    ],
    [
      "no PodDisruptionBudget",
      (rs) =>
        rs.splice(
          rs.findIndex((r) => r.name === "shop-nginx-pdb"),
          1,
        ),
      [
        `${W}: 6 replicas and no PodDisruptionBudget — a drain may evict them all at once; add one with maxUnavailable: 1`,
      ],
    ],
    [
      "a PDB that blocks every drain",
      (rs) =>
        (find(rs, "shop-nginx-pdb").spec = {
          minAvailable: "100%",
          selector: find(rs, "shop-nginx-pdb").spec.selector,
        }),
      [
        `${W}: PodDisruptionBudget ingress-shop/nginx allows 0 of 6 pods to be evicted, so every node drain blocks — set maxUnavailable >= 1 or minAvailable <= 5`,
      ],
    ],
    [
      "replicas from the HPA when the Deployment leaves them to it",
      (rs) => {
        delete find(rs, "shop-nginx").spec.replicas;
        find(rs, "shop-nginx-pdb").spec = {
          minAvailable: 6,
          selector: find(rs, "shop-nginx-pdb").spec.selector,
        };
      },
      [
        `${W}: PodDisruptionBudget ingress-shop/nginx allows 0 of 6 pods to be evicted, so every node drain blocks — set maxUnavailable >= 1 or minAvailable <= 5`,
      ],
    ],
    [
      "a single replica needs neither",
      (rs) => {
        const d = find(rs, "shop-nginx");
        d.spec.replicas = 1;
        delete d.spec.template.spec.affinity;
        rs.splice(
          rs.findIndex((r) => r.name === "shop-nginx-hpa"),
          1,
        );
      },
      [],
    ],
  ])("%s", async (_, change, want) => {
    expect(await messages(policy, mutated(change))).toEqual(want);
  });
});
