/**
 * The control plane in the network matrix: static Pods on the masters' host
 * network (etcd, kube-apiserver, controller-manager, scheduler), so outside
 * NetworkPolicy. They are endpoints so the matrix shows who can reach them:
 * only pods whose egress allows it (ingress-tier/network.ts lets nginx reach
 * the API server; business pods reach no master).
 */
import type { DatacenterModel } from "../../stacks/model";
import type { Endpoint, NetworkContribution } from "../common/network-policy";
import { ports } from "./manifests";

export function controlPlaneNetwork(model: DatacenterModel): NetworkContribution {
  const m = model.masters[0];
  const endpoints: Endpoint[] = [
    { name: `master/${m.hostname}/kube-apiserver`, ip: m.ip, ports: [{ port: model.config.apiServer.port }] },
    {
      name: `master/${m.hostname}/etcd`,
      ip: m.ip,
      ports: [{ port: ports.etcdClient }, { port: ports.etcdMetrics }],
    },
  ];
  return { policies: [], endpoints };
}
