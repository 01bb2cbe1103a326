import { leastPrivilege } from "../../policy/least-privilege";
import { messages, type Res } from "./harness";
import { elasticsearch, find, nginxTier } from "./fixtures";

const policy = leastPrivilege();

function mutated(make: () => Res[], name: string, change: (spec: Record<string, unknown>) => void): Res[] {
  const rs = make();
  change(find(rs, name).spec.template.spec);
  return rs;
}

describe("least-privilege", () => {
  it("is a mandatory resource policy", () => expect(policy.enforcementLevel).toBe("mandatory"));

  it("passes the happy fixtures (own service account; token off; bounded emptyDir)", async () => {
    expect(await messages(policy, nginxTier())).toEqual([]);
    expect(await messages(policy, elasticsearch())).toEqual([]);
  });

  it("refuses a pod on the default service account that mounts its token", async () => {
    const rs = mutated(elasticsearch, "es-data", (s) => delete s.automountServiceAccountToken);
    expect(await messages(policy, rs)).toEqual([
      "StatefulSet logging/es-data: runs as the default service account with its token mounted — set automountServiceAccountToken: false (the pod has no RBAC, so the token is only a credential to steal), or give it a service account of its own with the RBAC it needs",
    ]);
    const named = mutated(elasticsearch, "es-data", (s) => {
      delete s.automountServiceAccountToken;
      s.serviceAccountName = "default";
    });
    expect(await messages(policy, named)).toHaveLength(1);
  });

  it("refuses an emptyDir without a sizeLimit, and can be told not to", async () => {
    const rs = mutated(
      nginxTier,
      "shop-nginx",
      (s) => ((s.volumes as { emptyDir: object }[])[0].emptyDir = {}),
    );
    expect(await messages(policy, rs)).toEqual([
      "Deployment ingress-shop/nginx: emptyDir volume logs has no sizeLimit — set one (an unbounded emptyDir can fill the kubelet's partition and get every pod on the node evicted)",
    ]);
    expect(await messages(policy, rs, { requireEmptyDirSizeLimit: false })).toEqual([]);
  });
});
