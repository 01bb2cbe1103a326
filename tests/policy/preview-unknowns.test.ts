/**
 * A datacenter's first preview: the Kubernetes provider's kubeconfig is still
 * an unknown output of MasterHA, so the engine hands stack policies resources
 * with empty state. Nothing is known about them, so nothing is reported.
 */
import { allPolicies } from "../../policy/policies";
import { evaluate } from "./harness";

describe("stack policies in a preview against a cluster that does not exist yet", () => {
  it("judge nothing about resources whose state is not known", async () => {
    const unknown = [
      { type: "kubernetes:core/v1:Namespace", name: "dc-a-calico-ns", props: {} },
      { type: "kubernetes:apps/v1:Deployment", name: "dc-a-ingress-shop-nginx", props: {} },
    ];
    expect(await evaluate(allPolicies(), unknown)).toEqual([]);
  });

  it("still judge the same namespace once its state is known", async () => {
    const known = [
      {
        type: "kubernetes:core/v1:Namespace",
        name: "dc-a-calico-ns",
        props: { metadata: { name: "calico-system" } },
      },
    ];
    const messages = (await evaluate(allPolicies(), known)).map((v) => v.message);
    expect(messages).toContain(
      "Namespace calico-system: has no pod-security.kubernetes.io/enforce label — label it with a Pod Security level (privileged, baseline, restricted)",
    );
  });
});
