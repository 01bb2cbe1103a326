/**
 * calico-node and calico-kube-controllers as typed Kubernetes objects:
 * namespace, service accounts, RBAC, the CNI config, the DaemonSet and the
 * Deployment. Calico runs in Kubernetes-datastore mode (no etcd of its own),
 * BIRD as the BGP speaker, iptables data plane, no encapsulation.
 */
import type * as k8s from "@pulumi/kubernetes";
import type { DatacenterModel } from "../../stacks/model";
import { imagesFor } from "../../stacks/images";
import { labelKeys, managedBy } from "../../stacks/labels";
import { namespaceSpec } from "../common/namespace";
import { livenessTiming, readinessTiming, type ProbeTiming } from "../common/probes";
import { METRICS_PORT_NAME, scrapeAnnotations } from "../monitoring-stack/contract";
import { CALICO_GROUP } from "./crds";
import { calicoPorts } from "./dataplane";
import { BIRD_METRICS_PORT, calicoJobs } from "./monitoring";
import {
  CALICO_CNI_CONFIGMAP,
  CALICO_CNI_PLUGIN,
  CALICO_KUBE_CONTROLLERS,
  CALICO_NAMESPACE,
  CALICO_NODE,
} from "./names";

type Obj<T> = T & { metadata: { name: string } };
type PolicyRule = k8s.types.input.rbac.v1.PolicyRule;

const labels = (app: string) => ({
  ...managedBy,
  "app.kubernetes.io/name": app,
  "app.kubernetes.io/part-of": "calico",
});
const execProbe = (command: string[], t: ProbeTiming): k8s.types.input.core.v1.Probe => ({
  exec: { command },
  ...t,
});

export function calicoNamespace(): Obj<k8s.types.input.core.v1.Namespace> {
  // Privileged: calico-node programs the host's routes, iptables and
  // interfaces from the host network namespace.
  return namespaceSpec(CALICO_NAMESPACE, "privileged", "calico") as Obj<k8s.types.input.core.v1.Namespace>;
}

export function serviceAccount(name: string): Obj<k8s.types.input.core.v1.ServiceAccount> {
  return { metadata: { name, namespace: CALICO_NAMESPACE, labels: labels(name) } };
}

const calicoRead = ["get", "list", "watch"];
const crd = (resources: string[], verbs: string[]): PolicyRule => ({
  apiGroups: [CALICO_GROUP],
  resources,
  verbs,
});

/** What calico-node (Felix, BIRD via confd, the CNI token refresher) reads and writes. */
export const calicoNodeRules: PolicyRule[] = [
  {
    apiGroups: [""],
    resources: ["pods", "nodes", "namespaces", "serviceaccounts", "services", "endpoints", "configmaps"],
    verbs: calicoRead,
  },
  { apiGroups: ["discovery.k8s.io"], resources: ["endpointslices"], verbs: ["list", "watch"] },
  { apiGroups: ["networking.k8s.io"], resources: ["networkpolicies"], verbs: ["list", "watch"] },
  { apiGroups: [""], resources: ["nodes/status", "pods/status"], verbs: ["patch", "update"] },
  { apiGroups: ["apps"], resources: ["daemonsets"], verbs: ["get"] },
  // calico-node mints the CNI plugin's token (short-lived, its own identity).
  {
    apiGroups: [""],
    resources: ["serviceaccounts/token"],
    resourceNames: [CALICO_CNI_PLUGIN],
    verbs: ["create"],
  },
  crd(
    [
      "bgpconfigurations",
      "bgpfilters",
      "bgppeers",
      "blockaffinities",
      "caliconodestatuses",
      "clusterinformations",
      "felixconfigurations",
      "globalnetworkpolicies",
      "globalnetworksets",
      "hostendpoints",
      "ipamblocks",
      "ipamconfigs",
      "ipamhandles",
      "ippools",
      "ipreservations",
      "kubecontrollersconfigurations",
      "networkpolicies",
      "networksets",
      "stagedglobalnetworkpolicies",
      "stagedkubernetesnetworkpolicies",
      "stagednetworkpolicies",
      "tiers",
    ],
    calicoRead,
  ),
  crd(["ippools", "felixconfigurations", "clusterinformations"], ["create", "update"]),
  crd(["caliconodestatuses"], ["update"]),
  crd(["blockaffinities", "ipamblocks", "ipamhandles"], ["create", "update", "delete"]),
  crd(["ipamconfigs"], ["create"]),
];

/** What the CNI plugin needs to wire a pod: read the pod, allocate its address. */
export const cniPluginRules: PolicyRule[] = [
  { apiGroups: [""], resources: ["pods", "nodes", "namespaces"], verbs: ["get"] },
  { apiGroups: [""], resources: ["pods/status"], verbs: ["patch"] },
  crd(
    [
      "blockaffinities",
      "ipamblocks",
      "ipamhandles",
      "clusterinformations",
      "ippools",
      "ipreservations",
      "ipamconfigs",
    ],
    ["get", "list", "create", "update", "delete"],
  ),
];

/** kube-controllers' node controller: IPAM garbage collection and auto host endpoints. */
export const kubeControllersRules: PolicyRule[] = [
  { apiGroups: [""], resources: ["nodes", "pods"], verbs: calicoRead },
  crd(["ipreservations", "ippools"], ["list", "watch"]),
  crd(
    ["blockaffinities", "ipamblocks", "ipamhandles"],
    ["get", "list", "watch", "create", "update", "delete"],
  ),
  crd(["hostendpoints"], ["get", "list", "watch", "create", "update", "delete"]),
  crd(["clusterinformations"], ["get", "list", "create", "update"]),
  crd(["kubecontrollersconfigurations"], ["get", "list", "watch", "create", "update"]),
  crd(["tiers"], ["get", "list", "watch", "create"]),
];

export function clusterRole(name: string, rules: PolicyRule[]): Obj<k8s.types.input.rbac.v1.ClusterRole> {
  return { metadata: { name, labels: labels(name) }, rules };
}

export function clusterRoleBinding(name: string): Obj<k8s.types.input.rbac.v1.ClusterRoleBinding> {
  return {
    metadata: { name, labels: labels(name) },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name },
    subjects: [{ kind: "ServiceAccount", name, namespace: CALICO_NAMESPACE }],
  };
}

/**
 * The CNI network config install-cni writes on every node. MTU 1500: no
 * encapsulation, so pods get the fabric's full MTU (an IPIP/VXLAN overlay
 * would cost 20/50 bytes). install-cni fills the __PLACEHOLDERS__.
 */
export function cniConfigMap(): Obj<k8s.types.input.core.v1.ConfigMap> {
  const conflist = {
    name: "k8s-pod-network",
    cniVersion: "0.3.1",
    plugins: [
      {
        type: "calico",
        log_level: "info",
        log_file_path: "/var/log/calico/cni/cni.log",
        datastore_type: "kubernetes",
        nodename: "__KUBERNETES_NODE_NAME__",
        mtu: "__CNI_MTU__",
        ipam: { type: "calico-ipam" },
        policy: { type: "k8s" },
        kubernetes: { kubeconfig: "__KUBECONFIG_FILEPATH__" },
      },
      { type: "portmap", snat: true, capabilities: { portMappings: true } },
      { type: "bandwidth", capabilities: { bandwidth: true } },
    ],
  };
  return {
    metadata: { name: CALICO_CNI_CONFIGMAP, namespace: CALICO_NAMESPACE, labels: labels(CALICO_NODE) },
    // The MTU placeholder must end up a JSON number: unquote it.
    data: {
      cni_network_config: JSON.stringify(conflist, null, 2).replace('"__CNI_MTU__"', "__CNI_MTU__"),
      veth_mtu: "1500",
    },
  };
}

const hostPath = (name: string, path: string, type?: string): k8s.types.input.core.v1.Volume => ({
  name,
  hostPath: { path, ...(type ? { type } : {}) },
});

const envFrom = (name: string, fieldPath: string) => ({ name, valueFrom: { fieldRef: { fieldPath } } });

/**
 * Nodes calico-node runs on: every node but the LVS directors. A director
 * runs its own BGP speaker announcing VIPs to the same routers from the same
 * address; a second speaker (Calico's BIRD) there would fight it for the
 * session. Directors need no pod network (their agents use the host network).
 */
export const calicoNodeAffinity: k8s.types.input.core.v1.Affinity = {
  nodeAffinity: {
    requiredDuringSchedulingIgnoredDuringExecution: {
      nodeSelectorTerms: [
        { matchExpressions: [{ key: labelKeys.function, operator: "NotIn", values: ["lvs"] }] },
      ],
    },
  },
};

/** Resources of the calico-node containers. */
export const calicoNodeResources = {
  // Felix rewrites iptables for every endpoint change; on a 24-core minion
  // with a few hundred pods a full resync takes about one core for seconds.
  calicoNode: { requests: { cpu: "250m", memory: "256Mi" }, limits: { cpu: "2", memory: "1Gi" } },
  installCni: { requests: { cpu: "50m", memory: "64Mi" }, limits: { cpu: "500m", memory: "128Mi" } },
  birdExporter: { requests: { cpu: "10m", memory: "32Mi" }, limits: { cpu: "200m", memory: "64Mi" } },
} as const;

export function calicoNodeDaemonSet(model: DatacenterModel): Obj<k8s.types.input.apps.v1.DaemonSet> {
  const images = imagesFor(model);
  const match = { "app.kubernetes.io/name": CALICO_NODE };
  const cniEnv = [
    { name: "CNI_CONF_NAME", value: "10-calico.conflist" },
    {
      name: "CNI_NETWORK_CONFIG",
      valueFrom: { configMapKeyRef: { name: CALICO_CNI_CONFIGMAP, key: "cni_network_config" } },
    },
    { name: "CNI_MTU", valueFrom: { configMapKeyRef: { name: CALICO_CNI_CONFIGMAP, key: "veth_mtu" } } },
    { name: "KUBERNETES_NODE_NAME", valueFrom: { fieldRef: { fieldPath: "spec.nodeName" } } },
    { name: "CALICO_CNI_SERVICE_ACCOUNT", value: CALICO_CNI_PLUGIN },
    { name: "SLEEP", value: "false" },
  ];
  return {
    metadata: { name: CALICO_NODE, namespace: CALICO_NAMESPACE, labels: labels(CALICO_NODE) },
    spec: {
      selector: { matchLabels: match },
      // One node at a time: BIRD's graceful restart keeps the routes of the
      // restarting node in the routers meanwhile.
      updateStrategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 1 } },
      template: {
        metadata: {
          labels: { ...labels(CALICO_NODE), ...match },
          annotations: scrapeAnnotations("infra", { job: calicoJobs.felix }),
        },
        spec: {
          hostNetwork: true,
          serviceAccountName: CALICO_NODE,
          priorityClassName: "system-node-critical",
          affinity: calicoNodeAffinity,
          // Every node but directors, whatever its taints (masters included).
          tolerations: [{ operator: "Exists" }],
          // Long enough for BIRD to tell its peers it is going away.
          terminationGracePeriodSeconds: 30,
          initContainers: [
            {
              name: "install-cni",
              image: images.calicoCni,
              command: ["/opt/cni/bin/install"],
              env: cniEnv,
              resources: calicoNodeResources.installCni,
              securityContext: { privileged: true },
              volumeMounts: [
                { name: "cni-bin-dir", mountPath: "/host/opt/cni/bin" },
                { name: "cni-net-dir", mountPath: "/host/etc/cni/net.d" },
              ],
            },
          ],
          containers: [
            {
              name: CALICO_NODE,
              image: images.calicoNode,
              env: [
                { name: "DATASTORE_TYPE", value: "kubernetes" },
                { name: "WAIT_FOR_DATASTORE", value: "true" },
                envFrom("NODENAME", "spec.nodeName"),
                { name: "CALICO_NETWORKING_BACKEND", value: "bird" },
                { name: "CLUSTER_TYPE", value: "k8s,bgp" },
                // The node's InternalIP is its inventory address: the one the ToR peers with.
                { name: "IP", value: "autodetect" },
                { name: "IP_AUTODETECTION_METHOD", value: "kubernetes-internal-ip" },
                // Our IPPools are applied before calico-node starts; no default pool.
                { name: "NO_DEFAULT_POOLS", value: "true" },
                { name: "CALICO_IPV4POOL_IPIP", value: "Never" },
                { name: "CALICO_IPV4POOL_VXLAN", value: "Never" },
                { name: "FELIX_IPV6SUPPORT", value: "false" },
                { name: "CALICO_DISABLE_FILE_LOGGING", value: "true" },
                { name: "CALICO_MANAGE_CNI", value: "true" },
                { name: "CALICO_CNI_SERVICE_ACCOUNT", value: CALICO_CNI_PLUGIN },
              ],
              ports: [{ name: METRICS_PORT_NAME, containerPort: calicoPorts.felixMetrics, protocol: "TCP" }],
              // Ready only when both Felix (policy, routes) and BIRD (BGP sessions) are.
              readinessProbe: execProbe(["/bin/calico-node", "-felix-ready", "-bird-ready"], readinessTiming),
              livenessProbe: execProbe(["/bin/calico-node", "-felix-live", "-bird-live"], livenessTiming),
              resources: calicoNodeResources.calicoNode,
              securityContext: { privileged: true },
              volumeMounts: [
                { name: "lib-modules", mountPath: "/lib/modules", readOnly: true },
                { name: "xtables-lock", mountPath: "/run/xtables.lock" },
                { name: "var-run-calico", mountPath: "/var/run/calico" },
                { name: "var-lib-calico", mountPath: "/var/lib/calico" },
                { name: "policysync", mountPath: "/var/run/nodeagent" },
                { name: "cni-net-dir", mountPath: "/host/etc/cni/net.d" },
                { name: "cni-log-dir", mountPath: "/var/log/calico/cni", readOnly: true },
              ],
            },
            {
              // BGP session state for the per-node and per-peer alerts.
              name: "bird-exporter",
              image: images.birdExporter,
              args: [
                "-bird.socket=/var/run/calico/bird.ctl",
                "-bird.ipv6=false",
                "-bird.v2=false",
                "-format.new=true",
                "-proto.bgp=true",
                "-proto.ospf=false",
                "-proto.direct=false",
                "-proto.kernel=false",
                "-proto.static=false",
                `-web.listen-address=:${BIRD_METRICS_PORT.containerPort}`,
              ],
              ports: [{ ...BIRD_METRICS_PORT, protocol: "TCP" }],
              livenessProbe: {
                httpGet: { path: "/metrics", port: BIRD_METRICS_PORT.containerPort },
                ...livenessTiming,
              },
              resources: calicoNodeResources.birdExporter,
              securityContext: {
                allowPrivilegeEscalation: false,
                readOnlyRootFilesystem: true,
                capabilities: { drop: ["ALL"] },
              },
              volumeMounts: [{ name: "var-run-calico", mountPath: "/var/run/calico", readOnly: true }],
            },
          ],
          volumes: [
            hostPath("lib-modules", "/lib/modules"),
            hostPath("xtables-lock", "/run/xtables.lock", "FileOrCreate"),
            hostPath("var-run-calico", "/var/run/calico", "DirectoryOrCreate"),
            hostPath("var-lib-calico", "/var/lib/calico", "DirectoryOrCreate"),
            hostPath("policysync", "/var/run/nodeagent", "DirectoryOrCreate"),
            hostPath("cni-bin-dir", "/opt/cni/bin", "DirectoryOrCreate"),
            hostPath("cni-net-dir", "/etc/cni/net.d"),
            hostPath("cni-log-dir", "/var/log/calico/cni"),
          ],
        },
      },
    },
  };
}

export function kubeControllersDeployment(model: DatacenterModel): Obj<k8s.types.input.apps.v1.Deployment> {
  const match = { "app.kubernetes.io/name": CALICO_KUBE_CONTROLLERS };
  return {
    metadata: {
      name: CALICO_KUBE_CONTROLLERS,
      namespace: CALICO_NAMESPACE,
      labels: labels(CALICO_KUBE_CONTROLLERS),
    },
    spec: {
      // One replica, replaced not overlapped: two would race on IPAM
      // garbage collection (Calico supports a single instance).
      replicas: 1,
      strategy: { type: "Recreate" },
      selector: { matchLabels: match },
      template: {
        metadata: {
          labels: { ...labels(CALICO_KUBE_CONTROLLERS), ...match },
          annotations: scrapeAnnotations("infra", { job: calicoJobs.kubeControllers }),
        },
        spec: {
          serviceAccountName: CALICO_KUBE_CONTROLLERS,
          priorityClassName: "system-cluster-critical",
          // It needs the pod network to reach the API server; keep it off directors too.
          affinity: calicoNodeAffinity,
          tolerations: [
            { key: "node-role.kubernetes.io/control-plane", operator: "Exists", effect: "NoSchedule" },
            { key: "CriticalAddonsOnly", operator: "Exists" },
          ],
          containers: [
            {
              name: CALICO_KUBE_CONTROLLERS,
              image: imagesFor(model).calicoKubeControllers,
              env: [
                { name: "DATASTORE_TYPE", value: "kubernetes" },
                { name: "ENABLED_CONTROLLERS", value: "node" },
              ],
              ports: [
                {
                  name: METRICS_PORT_NAME,
                  containerPort: calicoPorts.kubeControllersMetrics,
                  protocol: "TCP",
                },
              ],
              readinessProbe: execProbe(["/usr/bin/check-status", "-r"], readinessTiming),
              livenessProbe: execProbe(["/usr/bin/check-status", "-l"], livenessTiming),
              resources: {
                requests: { cpu: "100m", memory: "128Mi" },
                limits: { cpu: "1", memory: "512Mi" },
              },
              securityContext: {
                runAsNonRoot: true,
                runAsUser: 999,
                allowPrivilegeEscalation: false,
                capabilities: { drop: ["ALL"] },
                seccompProfile: { type: "RuntimeDefault" },
              },
            },
          ],
        },
      },
    },
  };
}
