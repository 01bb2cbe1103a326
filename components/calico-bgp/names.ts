import { platformNamespaces } from "../../stacks/namespaces";

/** Names inside the cluster that other modules (and the policy pack) refer to. */
export const CALICO_NAMESPACE = platformNamespaces.calico.name;
export const CALICO_NODE = "calico-node";
export const CALICO_CNI_PLUGIN = "calico-cni-plugin";
export const CALICO_KUBE_CONTROLLERS = "calico-kube-controllers";
export const CALICO_CNI_CONFIGMAP = "calico-cni-config";
