/**
 * The platform's NetworkPolicies and the reachability matrix computed from
 * them (components/common/network-policy.ts): who may reach what, and who
 * may not. tests/tools/cyclonus.test.ts checks the same matrix with an
 * independent analyzer.
 */
import {
  allowIngress,
  defaultDeny,
  isAllowed,
  mergeContributions,
  podsIn,
  reachability,
  type Endpoint,
  type NetworkPolicy,
} from "../../components/common/network-policy";
import { networkFixture, OUTSIDE, STRAY_POD } from "../helpers/network";

describe("builders and semantics", () => {
  const pod = (name: string, namespace: string, labels: Record<string, string>, port = 80): Endpoint => ({
    name,
    namespace,
    labels,
    ip: `10.0.0.${name.length}`,
    ports: [{ port }],
  });
  const web = pod("web", "a", { app: "web" });
  const client = pod("client", "b", { app: "client" });

  it("allows everything without policies and nothing past a default deny", () => {
    expect(isAllowed([], client, web, { port: 80 })).toBe(true);
    expect(isAllowed([defaultDeny("a")], client, web, { port: 80 })).toBe(false);
    // Ingress-only deny leaves the namespace's egress open.
    expect(isAllowed([defaultDeny("a")], web, client, { port: 80 })).toBe(true);
    expect(isAllowed([defaultDeny("a", ["Ingress", "Egress"])], web, client, { port: 80 })).toBe(false);
  });

  it("admits exactly the peer, port and protocol an allow names", () => {
    const policies: NetworkPolicy[] = [
      defaultDeny("a"),
      allowIngress({
        name: "allow",
        namespace: "a",
        pods: { app: "web" },
        peers: [podsIn("b", { app: "client" })],
        ports: [{ port: 80 }],
      }),
    ];
    expect(isAllowed(policies, client, web, { port: 80 })).toBe(true);
    expect(isAllowed(policies, client, web, { port: 81 })).toBe(false);
    expect(isAllowed(policies, client, web, { port: 80, protocol: "UDP" })).toBe(false);
    expect(isAllowed(policies, { ...client, namespace: "c" }, web, { port: 80 })).toBe(false);
    expect(isAllowed(policies, { ...client, labels: { app: "other" } }, web, { port: 80 })).toBe(false);
    // A host-network pod is the host: pod selectors never match it.
    expect(isAllowed(policies, { ...client, hostNetwork: true }, web, { port: 80 })).toBe(false);
  });

  it("refuses an allow without peers and two policies of one name in a namespace", () => {
    expect(() => allowIngress({ name: "x", namespace: "a", peers: [], ports: [] })).toThrow(
      "NetworkPolicy a/x: no peers",
    );
    expect(() =>
      mergeContributions(
        { policies: [defaultDeny("a")], endpoints: [] },
        { policies: [defaultDeny("a")], endpoints: [] },
      ),
    ).toThrow("NetworkPolicy a/default-deny-ingress is built twice");
  });
});

describe("dc-a's reachability matrix", () => {
  const { model, network } = networkFixture();
  const matrix = reachability(network.policies, network.endpoints);
  const reach = (from: string, to: string, port: number, protocol: "TCP" | "UDP" = "TCP") => {
    const row = matrix[from];
    if (!row) throw new Error(`no endpoint ${from}`);
    const v = row[`${to}:${port}/${protocol}`];
    if (v === undefined) throw new Error(`${to} serves no ${port}/${protocol}`);
    return v;
  };
  const director = `lvs-director/${model.config.lvs?.directors[0]}`;
  const master = `master/${model.masters[0].hostname}`;

  it("has a default deny in every namespace the platform owns", () => {
    const namespaces = [
      ...Object.values(model.namespaces.platform),
      ...Object.values(model.namespaces.businesses).flatMap((n) => [n.tier, n.app]),
    ];
    const denied = new Set(
      network.policies
        .filter((p) => p.metadata.name.startsWith("default-deny"))
        .map((p) => p.metadata.namespace),
    );
    expect(namespaces.filter((n) => !denied.has(n))).toEqual([]);
  });

  const businessPods = ["shop/shop", "account/account", "push/push", STRAY_POD.name];
  const forbidden: [string, number][] = [
    ["monitoring/alertmanager", 9093],
    ["monitoring/alertmanager", 9094],
    ["monitoring/prometheus-infra", 9090],
    ["monitoring/prometheus-business", 9090],
    ["monitoring/grafana", 3000],
    ["monitoring/kube-state-metrics", 8080],
    ["logging/es-data", 9200],
    ["logging/es-master", 9300],
    ["logging/es-exporter", 9114],
    ["node-exporter/node-exporter", 9100],
    ["calico-system/calico-kube-controllers", 9094],
    ["calico-system/calico-node", 9091],
    [`${master}/kube-apiserver`, model.config.apiServer.port],
    [`${master}/etcd`, 2379],
  ];
  it.each(
    businessPods.flatMap((b) =>
      [...forbidden, [director, 9910] as [string, number]].map(([t, p]) => [b, t, p]),
    ),
  )("business pod %s must not reach %s:%i", (from, to, port) => {
    expect(reach(from as string, to as string, port as number)).toBe(false);
  });

  it("keeps Elasticsearch's client nodes to the pods that carry a business's filebeat sidecar", () => {
    expect(reach("shop/shop", "logging/es-client", 9200)).toBe(true);
    expect(reach("ingress-shop/nginx", "logging/es-client", 9200)).toBe(true);
    expect(reach(STRAY_POD.name, "logging/es-client", 9200)).toBe(false);
    expect(reach("monitoring/grafana", "logging/es-client", 9200)).toBe(false);
  });

  it("lets Prometheus reach every scrape target", () => {
    const targets: [string, number][] = [
      ["monitoring/kube-state-metrics", 8080],
      ["monitoring/alertmanager", 9093],
      ["logging/es-exporter", 9114],
      ["logging/filebeat-exporter", 7979],
      ["calico-system/calico-kube-controllers", 9094],
      ["calico-system/calico-node", 9091],
      ["node-exporter/node-exporter", 9100],
      [director, 9910],
      [`${master}/kube-apiserver`, model.config.apiServer.port],
      [`${master}/etcd`, 2381],
      ...model.config.businesses.map((b) => [`ingress-${b.name}/nginx`, 10254] as [string, number]),
      ...["shop/shop", "account/account", "push/push"].map((b) => [b, 9404] as [string, number]),
    ];
    for (const prom of ["monitoring/prometheus-infra", "monitoring/prometheus-business"]) {
      const missing = targets.filter(([t, p]) => !reach(prom, t, p)).map(([t, p]) => `${t}:${p}`);
      expect({ prom, missing }).toEqual({ prom, missing: [] });
    }
    expect(reach("monitoring/prometheus-infra", "monitoring/prometheus-business", 9090)).toBe(true);
  });

  it("lets the json-exporter read every filebeat sidecar's stats, and nobody else", () => {
    for (const b of model.config.businesses) {
      expect(reach("logging/filebeat-exporter", `ingress-${b.name}/nginx`, 5066)).toBe(true);
      expect(reach("monitoring/prometheus-infra", `ingress-${b.name}/nginx`, 5066)).toBe(false);
    }
  });

  it("lets Grafana query Prometheus and Alertmanager, and only Prometheus and Grafana reach Alertmanager", () => {
    expect(reach("monitoring/grafana", "monitoring/prometheus-infra", 9090)).toBe(true);
    expect(reach("monitoring/grafana", "monitoring/alertmanager", 9093)).toBe(true);
    const pods = network.endpoints.filter((e) => e.namespace !== undefined && !e.hostNetwork);
    const reachers = pods
      .filter((e) => e.name !== "monitoring/alertmanager" && reach(e.name, "monitoring/alertmanager", 9093))
      .map((e) => e.name);
    expect(reachers.sort()).toEqual([
      "monitoring/grafana",
      "monitoring/prometheus-business",
      "monitoring/prometheus-infra",
    ]);
  });

  it("lets the LVS path, and only it, reach each tier's VIP ports; each tier reaches its own business only", () => {
    for (const p of [8080, 8443, 8081])
      expect(reach("lvs-path/local-address", "ingress-shop/nginx", p)).toBe(true);
    expect(reach(director, "ingress-shop/nginx", 8081)).toBe(true);
    expect(reach("lvs-path/local-address", "ingress-push/nginx", 5228, "UDP")).toBe(true);
    expect(reach(OUTSIDE.name, "ingress-shop/nginx", 8443)).toBe(false);
    expect(reach("shop/shop", "ingress-shop/nginx", 8443)).toBe(false);
    expect(reach("lvs-path/local-address", "ingress-shop/nginx", 10254)).toBe(false);
    expect(reach("ingress-shop/nginx", "shop/shop", 8080)).toBe(true);
    expect(reach("ingress-account/nginx", "shop/shop", 8080)).toBe(false);
    expect(reach("ingress-shop/nginx", "account/account", 8080)).toBe(false);
    expect(reach("shop/shop", "account/account", 8080)).toBe(false);
    expect(reach("lvs-path/local-address", "shop/shop", 8080)).toBe(false);
    expect(reach("ingress-shop/nginx", `${master}/kube-apiserver`, model.config.apiServer.port)).toBe(true);
  });

  it("gives business pods DNS and the world outside the datacenter", () => {
    for (const b of businessPods) {
      expect(reach(b, "kube-system/coredns", 53, "UDP")).toBe(true);
      expect(reach(b, "kube-system/coredns", 53, "TCP")).toBe(true);
    }
    expect(reach("shop/shop", OUTSIDE.name, 443)).toBe(true);
    // The tier proxies to its upstreams only.
    expect(reach("ingress-shop/nginx", OUTSIDE.name, 443)).toBe(false);
  });
});
