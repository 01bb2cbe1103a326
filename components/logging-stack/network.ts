/**
 * The logging stack's NetworkPolicies (components/common/network-policy.ts
 * has the posture). Elasticsearch's HTTP port takes writes from every
 * business's filebeat sidecars, so it admits the pods carrying a business's
 * filebeat label in that business's namespaces, plus
 * the stack's own exporter and setup Job; its nodes talk among themselves on
 * both ports. The json-exporter reaches each sidecar's stats port: the
 * sidecars' namespaces admit it (ingress-tier/network.ts, business-app).
 */
import type { DatacenterModel } from "../../stacks/model";
import { FILEBEAT_POD_LABEL } from "../common/filebeat";
import {
  allowIngress,
  defaultDeny,
  podsIn,
  type Endpoint,
  type NetworkContribution,
  type PolicyPeer,
  podEndpoint,
} from "../common/network-policy";
import { prometheusPeer } from "../monitoring-stack/contract";
import {
  ES_HTTP_PORT,
  ES_ROLES,
  ES_TRANSPORT_PORT,
  LOGGING_NAMESPACE,
  esNames,
  roleSelector,
} from "./elasticsearch";
import { ES_EXPORTER_PORT, JSON_EXPORTER_PORT } from "./monitoring";

const esPods = { "app.kubernetes.io/name": "elasticsearch" } as const;
const appPods = (name: string) => ({ "app.kubernetes.io/name": name });

/**
 * Pods that write business logs: those carrying a business's filebeat
 * sidecar, in that business's two namespaces. A pod without the sidecar, or
 * in any other namespace, is refused.
 */
export function filebeatSenders(model: DatacenterModel): PolicyPeer[] {
  return model.config.businesses.flatMap((b) => {
    const n = model.namespaces.businesses[b.name];
    return [n.tier, n.app].map((ns) => podsIn(ns, { [FILEBEAT_POD_LABEL]: b.name }));
  });
}

/** Where filebeat sidecars send: the client nodes' HTTP port (their egress policies name it). */
export function elasticsearchClientPeer(): { peer: PolicyPeer; port: number } {
  return { peer: podsIn(LOGGING_NAMESPACE, roleSelector("client")), port: ES_HTTP_PORT };
}

/** The json-exporter that reads each filebeat sidecar's stats (the sidecars' namespaces admit it). */
export function filebeatStatsReader(): PolicyPeer {
  return podsIn(LOGGING_NAMESPACE, appPods(esNames.filebeatExporter));
}

export function loggingNetwork(model: DatacenterModel): NetworkContribution {
  const ns = LOGGING_NAMESPACE;
  const policies = [
    defaultDeny(ns),
    allowIngress({
      name: "allow-elasticsearch-cluster",
      namespace: ns,
      pods: esPods,
      peers: [podsIn(ns, esPods)],
      ports: [{ port: ES_HTTP_PORT }, { port: ES_TRANSPORT_PORT }],
    }),
    allowIngress({
      name: "allow-elasticsearch-clients",
      namespace: ns,
      pods: roleSelector("client"),
      peers: [
        ...filebeatSenders(model),
        podsIn(ns, appPods(esNames.exporter)),
        podsIn(ns, appPods(esNames.setupJob)),
      ],
      ports: [{ port: ES_HTTP_PORT }],
    }),
    allowIngress({
      name: "allow-exporters-scrape",
      namespace: ns,
      pods: undefined,
      peers: [prometheusPeer()],
      ports: [{ port: ES_EXPORTER_PORT }, { port: JSON_EXPORTER_PORT }],
    }),
  ];
  const pod = (name: string, labels: Record<string, string>, ports: Endpoint["ports"]): Endpoint =>
    podEndpoint(ns, name, labels, ports);
  const endpoints: Endpoint[] = [
    ...ES_ROLES.map((r) =>
      pod(`es-${r}`, roleSelector(r), [{ port: ES_HTTP_PORT }, { port: ES_TRANSPORT_PORT }]),
    ),
    pod(esNames.exporter, appPods(esNames.exporter), [{ port: ES_EXPORTER_PORT }]),
    pod(esNames.filebeatExporter, appPods(esNames.filebeatExporter), [{ port: JSON_EXPORTER_PORT }]),
    pod(esNames.setupJob, appPods(esNames.setupJob), []),
  ];
  return { policies, endpoints };
}
