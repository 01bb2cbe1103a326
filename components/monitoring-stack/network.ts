/**
 * The monitoring stack's NetworkPolicies (components/common/network-policy.ts
 * has the posture). Alertmanager has no authentication: a pod that reaches it
 * can silence every alert, so only Prometheus (which sends alerts) and Grafana
 * (its Alertmanager datasource) are let in. Grafana itself admits nobody
 * in-cluster: people reach it through `kubectl port-forward` (the kubelet's
 * path, which NetworkPolicy does not filter).
 *
 * node-exporter runs on the host network (it reads the host's /proc and
 * /sys and serves the host's address): no policy applies to it; its
 * namespace still gets the default deny, so a pod added there later starts
 * closed.
 */
import type { DatacenterModel } from "../../stacks/model";
import {
  allowIngress,
  defaultDeny,
  podsIn,
  sampleNode,
  type Endpoint,
  type NetworkContribution,
  podEndpoint,
} from "../common/network-policy";
import { PROMETHEUS_INSTANCES, PROMETHEUS_POD_LABELS, prometheusPeer } from "./contract";
import { selectorLabels, webPorts } from "./workloads";
import { objectNames } from "./names";

export function monitoringNetwork(
  model: DatacenterModel,
  namespaces: { monitoring: string; nodeExporter: string } = {
    monitoring: model.namespaces.platform.monitoring,
    nodeExporter: model.namespaces.platform.nodeExporter,
  },
): NetworkContribution {
  const ns = namespaces.monitoring;
  const on = objectNames;
  const grafana = podsIn(ns, selectorLabels(on.grafana));
  const alertmanager = selectorLabels(on.alertmanager);
  const policies = [
    defaultDeny(ns),
    defaultDeny(namespaces.nodeExporter),
    allowIngress({
      name: "allow-prometheus-queries",
      namespace: ns,
      pods: PROMETHEUS_POD_LABELS,
      // Grafana's datasources; each instance scrapes the other (they watch each other).
      peers: [grafana, prometheusPeer()],
      ports: [{ port: webPorts.prometheus }],
    }),
    allowIngress({
      name: "allow-alertmanager-api",
      namespace: ns,
      pods: alertmanager,
      peers: [prometheusPeer(), grafana],
      ports: [{ port: webPorts.alertmanager }],
    }),
    allowIngress({
      name: "allow-alertmanager-mesh",
      namespace: ns,
      pods: alertmanager,
      peers: [podsIn(ns, alertmanager)],
      ports: [
        { port: webPorts.alertmanagerMesh, protocol: "TCP" },
        { port: webPorts.alertmanagerMesh, protocol: "UDP" },
      ],
    }),
    allowIngress({
      name: "allow-kube-state-metrics-scrape",
      namespace: ns,
      pods: selectorLabels(on.kubeStateMetrics),
      peers: [prometheusPeer()],
      ports: [{ port: webPorts.kubeStateMetrics }, { port: webPorts.kubeStateMetricsTelemetry }],
    }),
  ];
  const pod = (name: string, labels: Record<string, string>, ports: Endpoint["ports"]): Endpoint =>
    podEndpoint(ns, name, labels, ports);
  const endpoints: Endpoint[] = [
    ...PROMETHEUS_INSTANCES.map((i) =>
      pod(on.prometheus(i), selectorLabels("prometheus", i), [{ port: webPorts.prometheus }]),
    ),
    pod(on.alertmanager, alertmanager, [
      { port: webPorts.alertmanager },
      { port: webPorts.alertmanagerMesh, protocol: "TCP" },
      { port: webPorts.alertmanagerMesh, protocol: "UDP" },
    ]),
    pod(on.grafana, selectorLabels(on.grafana), [{ port: webPorts.grafana }]),
    pod(on.kubeStateMetrics, selectorLabels(on.kubeStateMetrics), [
      { port: webPorts.kubeStateMetrics },
      { port: webPorts.kubeStateMetricsTelemetry },
    ]),
    // On the host network: reached at the host's address, whatever the policies say.
    {
      name: `${namespaces.nodeExporter}/${on.nodeExporter}`,
      namespace: namespaces.nodeExporter,
      hostNetwork: true,
      labels: selectorLabels(on.nodeExporter),
      ip: sampleNode(model),
      ports: [{ port: webPorts.nodeExporter }],
    },
  ];
  return { policies, endpoints };
}
