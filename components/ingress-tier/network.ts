/**
 * NetworkPolicies of one business's two namespaces (components/common/
 * network-policy.ts has the posture). Both deny ingress and egress by
 * default; then:
 *
 * - the tier's nginx pods admit the LVS path only: FULLNAT rewrites the
 *   client's address to a director's local address (LIP), so real clients
 *   arrive from `lvs.localAddressRanges`, and the directors' health checks
 *   from their own addresses. Without an LVS tier, from anywhere.
 * - the business's upstream pods admit their own tier's nginx pods only, on
 *   the upstream port and the business's L4 ports.
 * - Prometheus scrapes nginx's metrics; logging's json-exporter reads every
 *   filebeat sidecar's stats port (the business's own pods too).
 * - egress: DNS, Elasticsearch's client nodes (filebeat), the rack gateways
 *   (the network-health sidecar's ping: ICMP, which NetworkPolicy cannot
 *   name, so every protocol to those addresses), nginx to the API server and
 *   its upstreams; the business's own pods to anything outside the
 *   datacenter's hosts and pod network. So a business pod reaches no
 *   platform pod, no host (the LVS director agents, node-exporter, kubelets,
 *   the control plane) and no other business's pods except through their
 *   VIPs, like any client.
 */
import type { DatacenterModel } from "../../stacks/model";
import type { Business } from "../../stacks/schema";
import {
  addresses,
  allowEgress,
  allowIngress,
  clusterDnsPeer,
  CLUSTER_DNS,
  defaultDeny,
  host,
  podsIn,
  type Endpoint,
  type NetworkContribution,
  type NetworkPolicy,
  type PolicyPeer,
  type PolicyPort,
} from "../common/network-policy";
import { FILEBEAT_POD_LABEL } from "../common/filebeat";
import { containerPortFor, ingressPorts } from "../common/ingress-ports";
import { prometheusPeer } from "../monitoring-stack/contract";
import { elasticsearchClientPeer, filebeatStatsReader } from "../logging-stack/network";
import { directorHosts } from "../fullnat-lvs/directors";
import { l4Ports, tierNames, tierPodSelector, upstreamPodSelector } from "./manifests";

/** Where the LVS tier's traffic comes from: the directors' local addresses (FULLNAT) and the directors themselves (health checks). */
export function lvsPathPeers(model: DatacenterModel): PolicyPeer[] {
  const lvs = model.config.lvs;
  if (!lvs) return [addresses("0.0.0.0/0")];
  return [...lvs.localAddressRanges.map((r) => addresses(r)), ...directorHosts(model).map((h) => host(h.ip))];
}

/** Addresses a business pod may reach on its own: anything but the pod network and the datacenter's racks. */
export function outsideDatacenter(model: DatacenterModel): PolicyPeer {
  return addresses("0.0.0.0/0", [
    model.config.network.podCidr,
    ...model.config.network.racks.map((r) => r.subnet),
  ]);
}

/** The rack gateways the network-health sidecar pings (ICMP: every protocol). */
function rackGatewayPeers(model: DatacenterModel): PolicyPeer[] {
  const gateways = [...new Set(model.racks.map((r) => r.gateway))].sort();
  return gateways.map((g) => host(g));
}

/** The API server as nginx reaches it: every master's address (the `kubernetes` Service's endpoints) and the API VIP. */
function apiServerPeers(model: DatacenterModel): PolicyPeer[] {
  const ips = new Set(model.masters.map((m) => m.ip));
  if (model.api.mode === "lvs") ips.add(model.api.host);
  return [...ips].sort().map((ip) => host(ip));
}

/** The pod ports of the tier that the VIP's ports land on, and the LVS health check. */
export function vipPodPorts(biz: Business): PolicyPort[] {
  return [
    ...biz.ports.map((p) => ({ port: containerPortFor(p.port), protocol: p.protocol })),
    { port: ingressPorts.lbHealth },
  ];
}

/** The upstream pods' ports nginx proxies to: HTTP on the upstream port, then the L4 ports. */
export function upstreamPorts(biz: Business): PolicyPort[] {
  const { tcp, udp } = l4Ports(biz);
  return [
    { port: biz.upstreamPort },
    ...tcp.map((port) => ({ port, protocol: "TCP" as const })),
    ...udp.map((port) => ({ port, protocol: "UDP" as const })),
  ];
}

export function ingressNetwork(model: DatacenterModel, biz: Business): NetworkContribution {
  const n = tierNames(biz.name);
  const tier = n.namespace;
  const app = n.appNamespace;
  const nginx = tierPodSelector(biz.name);
  const es = elasticsearchClientPeer();
  const shared = (ns: string): NetworkPolicy[] => [
    defaultDeny(ns, ["Ingress", "Egress"]),
    allowIngress({
      name: "allow-filebeat-stats",
      namespace: ns,
      pods: { [FILEBEAT_POD_LABEL]: biz.name },
      peers: [filebeatStatsReader()],
      ports: [{ port: ingressPorts.filebeatStats }],
    }),
    allowEgress({ name: "allow-dns", namespace: ns, peers: [clusterDnsPeer()], ports: CLUSTER_DNS.ports }),
    allowEgress({
      name: "allow-log-shipping",
      namespace: ns,
      pods: { [FILEBEAT_POD_LABEL]: biz.name },
      peers: [es.peer],
      ports: [{ port: es.port }],
    }),
    allowEgress({ name: "allow-gateway-ping", namespace: ns, peers: rackGatewayPeers(model), ports: [] }),
  ];
  const policies: NetworkPolicy[] = [
    ...shared(tier),
    allowIngress({
      name: "allow-lvs-path",
      namespace: tier,
      pods: nginx,
      peers: lvsPathPeers(model),
      ports: vipPodPorts(biz),
    }),
    allowIngress({
      name: "allow-metrics-scrape",
      namespace: tier,
      pods: nginx,
      peers: [prometheusPeer()],
      ports: [{ port: ingressPorts.controller }],
    }),
    allowEgress({
      name: "allow-api-server",
      namespace: tier,
      pods: nginx,
      peers: apiServerPeers(model),
      ports: [{ port: model.config.apiServer.port }],
    }),
    allowEgress({
      name: "allow-upstreams",
      namespace: tier,
      pods: nginx,
      peers: [podsIn(app, upstreamPodSelector(biz.name))],
      ports: upstreamPorts(biz),
    }),
    ...shared(app),
    allowIngress({
      name: "allow-from-ingress-tier",
      namespace: app,
      pods: upstreamPodSelector(biz.name),
      peers: [podsIn(tier, nginx)],
      ports: upstreamPorts(biz),
    }),
    allowEgress({
      name: "allow-outside-datacenter",
      namespace: app,
      peers: [outsideDatacenter(model)],
      ports: [],
    }),
  ];
  const endpoints: Endpoint[] = [
    {
      name: `${tier}/nginx`,
      namespace: tier,
      labels: { ...nginx, [FILEBEAT_POD_LABEL]: biz.name },
      ports: [...vipPodPorts(biz), { port: ingressPorts.controller }, { port: ingressPorts.filebeatStats }],
    },
  ];
  return { policies, endpoints };
}
