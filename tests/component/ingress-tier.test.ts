/**
 * IngressTier under Pulumi mocks: one tier per business of dc-a, what it
 * registers, under which parent, and where its pods may run.
 */
import { byType, runMocked, type Recorded } from "../helpers/pulumi";
import { IngressTier } from "../../components/ingress-tier";
import { FILEBEAT_CONTAINER } from "../../components/common/filebeat";
import { labelKeys } from "../../stacks/labels";
import { fixture, modelOf } from "../helpers/config";

const model = modelOf(fixture("dc-a"));
const shipping = {
  hosts: ["https://es-client.logging.svc:9200"],
  username: "log-writer",
  password: "s3cret",
  caCert: "-----BEGIN CERTIFICATE-----\nES CA\n-----END CERTIFICATE-----\n",
};

let records: Recorded[] = [];
const tiers: IngressTier[] = [];

beforeAll(async () => {
  records = await runMocked(() => {
    for (const b of model.config.businesses)
      tiers.push(
        new IngressTier(`dc-a-ingress-${b.name}`, { model, business: b.name, logShipping: shipping }),
      );
  });
});

const ofTier = (business: string) => records.filter((r) => r.parent === `dc-a-ingress-${business}`);

describe("IngressTier", () => {
  it("registers one component per business, with the traffic token", () => {
    expect(byType(records, "private-cloud:traffic:IngressTier").map((r) => r.name)).toEqual([
      "dc-a-ingress-shop",
      "dc-a-ingress-account",
      "dc-a-ingress-push",
    ]);
  });

  it.each(["shop", "account", "push"])("%s: every object is a child of its tier, named from it", (b) => {
    const kids = ofTier(b);
    expect(kids.length).toBeGreaterThan(15);
    for (const r of kids) expect(r.name.startsWith(`dc-a-ingress-${b}-`)).toBe(true);
    expect(kids.map((r) => r.type).sort()).toEqual(
      [
        "kubernetes:core/v1:Namespace",
        "kubernetes:core/v1:Namespace",
        "kubernetes:networking.k8s.io/v1:IngressClass",
        "kubernetes:core/v1:ServiceAccount",
        "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole",
        "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding",
        "kubernetes:rbac.authorization.k8s.io/v1:Role",
        "kubernetes:rbac.authorization.k8s.io/v1:Role",
        "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding",
        "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding",
        "kubernetes:core/v1:ConfigMap",
        "kubernetes:core/v1:ConfigMap",
        "kubernetes:core/v1:ConfigMap",
        "kubernetes:core/v1:ConfigMap",
        "kubernetes:core/v1:ConfigMap",
        // Elasticsearch's HTTP CA, in the tier's and the business's namespaces.
        "kubernetes:core/v1:ConfigMap",
        "kubernetes:core/v1:ConfigMap",
        "kubernetes:core/v1:Secret",
        // The business's certificate (every dc-a business serves 443).
        "kubernetes:core/v1:Secret",
        "kubernetes:apps/v1:Deployment",
        "kubernetes:autoscaling/v2:HorizontalPodAutoscaler",
        "kubernetes:policy/v1:PodDisruptionBudget",
        "kubernetes:core/v1:Service",
        "kubernetes:core/v1:Service",
        "kubernetes:networking.k8s.io/v1:Ingress",
        // Both namespaces' NetworkPolicies (components/ingress-tier/network.ts): 9 in the tier, 7 in the app's.
        ...Array(16).fill("kubernetes:networking.k8s.io/v1:NetworkPolicy"),
      ].sort(),
    );
  });

  it("cluster-scoped names do not collide between businesses", () => {
    const names = (type: string) => byType(records, type).map((r) => r.inputs.metadata.name);
    for (const t of [
      "kubernetes:networking.k8s.io/v1:IngressClass",
      "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole",
      "kubernetes:core/v1:Namespace",
    ])
      expect(new Set(names(t)).size).toBe(names(t).length);
  });

  it("every business Deployment gets the filebeat sidecar and lands on ingress machines", () => {
    const deployments = byType(records, "kubernetes:apps/v1:Deployment");
    expect(deployments).toHaveLength(3);
    for (const d of deployments) {
      const spec = d.inputs.spec.template.spec;
      expect(spec.containers.map((c: { name: string }) => c.name)).toContain(FILEBEAT_CONTAINER);
      const expr =
        spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0]
          .matchExpressions[0];
      expect(expr).toEqual({ key: labelKeys.function, operator: "In", values: ["ingress"] });
    }
  });

  it("the Deployment waits for its namespace, RBAC and configuration", () => {
    const d = records.find((r) => r.name === "dc-a-ingress-shop-nginx") as Recorded;
    const urnOf = (name: string) => (records.find((r) => r.name === name) as Recorded).urn;
    for (const dep of [
      "dc-a-ingress-shop-ns-tier",
      "dc-a-ingress-shop-controller-config",
      "dc-a-ingress-shop-filebeat-config",
      "dc-a-ingress-shop-log-writer",
      "dc-a-ingress-shop-rolebinding-app",
    ])
      expect(d.dependsOn).toContain(urnOf(dep));
  });

  it("keeps the log writer's password secret", () => {
    const s = records.find((r) => r.name === "dc-a-ingress-shop-log-writer") as Recorded;
    expect(s.inputs.metadata.namespace).toBe("ingress-shop");
    // Pulumi's wire form of a secret: the signature key, then the value.
    expect(s.inputs.stringData).toEqual({
      "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",
      value: { username: "log-writer", password: "s3cret" },
    });
  });

  it("exposes the derived numbers and the VIP", () => {
    const shop = tiers[0];
    expect(shop.namespace).toBe("ingress-shop");
    expect(shop.appNamespace).toBe("shop");
    expect(shop.ingressClassName).toBe("nginx-shop");
    expect(shop.tuning.workerProcesses).toBe(6);
    expect(shop.vip).toMatch(/^10\.250\.16\.\d+$/);
  });

  it("refuses a business that is not configured, naming the config key", () => {
    expect(() => new IngressTier("x", { model, business: "nope", logShipping: shipping })).toThrow(
      /business "nope" is not in private-cloud:businesses \(expected one of \["shop","account","push"\]\)/,
    );
  });
});
