/**
 * calico-system's NetworkPolicies. calico-node runs on the host network (it
 * programs the host's routes and iptables and speaks BGP from the host's
 * address), so no policy applies to it; calico-kube-controllers is an
 * ordinary pod and admits only Prometheus on its metrics port.
 */
import type { DatacenterModel } from "../../stacks/model";
import { allowIngress, defaultDeny, sampleNode, type NetworkContribution } from "../common/network-policy";
import { prometheusPeer } from "../monitoring-stack/contract";
import { calicoPorts } from "./dataplane";
import { BIRD_METRICS_PORT } from "./monitoring";
import { CALICO_KUBE_CONTROLLERS, CALICO_NAMESPACE, CALICO_NODE } from "./names";

export function calicoNetwork(model: DatacenterModel): NetworkContribution {
  const controllers = { "app.kubernetes.io/name": CALICO_KUBE_CONTROLLERS };
  return {
    policies: [
      defaultDeny(CALICO_NAMESPACE),
      allowIngress({
        name: "allow-kube-controllers-scrape",
        namespace: CALICO_NAMESPACE,
        pods: controllers,
        peers: [prometheusPeer()],
        ports: [{ port: calicoPorts.kubeControllersMetrics }],
      }),
    ],
    endpoints: [
      {
        name: `${CALICO_NAMESPACE}/${CALICO_KUBE_CONTROLLERS}`,
        namespace: CALICO_NAMESPACE,
        labels: controllers,
        ports: [{ port: calicoPorts.kubeControllersMetrics }],
      },
      {
        name: `${CALICO_NAMESPACE}/${CALICO_NODE}`,
        namespace: CALICO_NAMESPACE,
        hostNetwork: true,
        labels: { "app.kubernetes.io/name": CALICO_NODE },
        ip: sampleNode(model),
        ports: [{ port: calicoPorts.felixMetrics }, { port: BIRD_METRICS_PORT.containerPort }],
      },
    ],
  };
}
