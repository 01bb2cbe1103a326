/**
 * Happy-path resources: each factory returns fresh objects that pass every
 * policy, so a test mutates one field and asserts the one violation it causes.
 * Numbers come from the same shared functions the components use.
 */
import { gracefulTermination, nginxWorkerProcesses } from "../../components/common/sizing";
import {
  livenessTiming,
  readinessTiming,
  startupTiming,
  warmupAnnotation,
} from "../../components/common/probes";
import { labelKeys, podSecurityLabels } from "../../stacks/labels";
import type { Res } from "./harness";

export const REGISTRY = "registry.dc-a.cloud.internal";
const term = gracefulTermination(2, 3, 30);

export const T = {
  namespace: "kubernetes:core/v1:Namespace",
  configMap: "kubernetes:core/v1:ConfigMap",
  service: "kubernetes:core/v1:Service",
  deployment: "kubernetes:apps/v1:Deployment",
  statefulSet: "kubernetes:apps/v1:StatefulSet",
  daemonSet: "kubernetes:apps/v1:DaemonSet",
  pdb: "kubernetes:policy/v1:PodDisruptionBudget",
  hpa: "kubernetes:autoscaling/v2:HorizontalPodAutoscaler",
  ingress: "kubernetes:networking.k8s.io/v1:Ingress",
  command: "command:remote:Command",
} as const;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- fixtures are mutated freely by tests
export type Any = any;

export function namespace(name: string, level: "privileged" | "baseline" | "restricted" = "baseline"): Res {
  return { type: T.namespace, name, props: { metadata: { name, labels: podSecurityLabels(level) } } };
}

const probe = (path: string, timing: object) => ({
  httpGet: { path, port: 10254, scheme: "HTTP" },
  ...timing,
});

/** The shop business's ingress tier: Namespace, ConfigMap, Deployment, PDB, HPA, Service, upstream and Ingress. */
export function nginxTier(): Res[] {
  const ns = "ingress-shop";
  const labels = { "app.kubernetes.io/name": "nginx", "app.kubernetes.io/instance": "shop" };
  const workers = nginxWorkerProcesses(6000);
  return [
    namespace(ns),
    {
      type: T.configMap,
      name: "shop-nginx-config",
      props: {
        metadata: { name: "nginx", namespace: ns },
        data: {
          "worker-processes": String(workers),
          "worker-shutdown-timeout": `${term.shutdownTimeoutSeconds}s`,
        },
      },
    },
    {
      type: T.deployment,
      name: "shop-nginx",
      props: {
        metadata: { name: "nginx", namespace: ns, labels },
        spec: {
          replicas: 6,
          selector: { matchLabels: labels },
          template: {
            metadata: { labels, annotations: { [warmupAnnotation]: "30" } },
            spec: {
              serviceAccountName: "nginx",
              terminationGracePeriodSeconds: term.terminationGracePeriodSeconds,
              affinity: {
                podAntiAffinity: {
                  preferredDuringSchedulingIgnoredDuringExecution: [
                    {
                      weight: 100,
                      podAffinityTerm: {
                        topologyKey: labelKeys.rack,
                        labelSelector: { matchLabels: labels },
                      },
                    },
                  ],
                },
              },
              containers: [
                {
                  name: "controller",
                  image: `${REGISTRY}/ingress-nginx/controller:v1.13.3`,
                  args: ["/nginx-ingress-controller", `--configmap=${ns}/nginx`, "--ingress-class=shop"],
                  resources: { requests: { cpu: "2", memory: "1Gi" }, limits: { cpu: "6", memory: "4Gi" } },
                  livenessProbe: probe("/healthz", livenessTiming),
                  readinessProbe: probe("/healthz", readinessTiming),
                  startupProbe: probe("/healthz", startupTiming(30)),
                  lifecycle: {
                    preStop: {
                      exec: {
                        command: ["/bin/sh", "-c", `sleep ${term.preStopWaitSeconds}; /wait-shutdown`],
                      },
                    },
                  },
                  volumeMounts: [{ name: "logs", mountPath: "/var/log/nginx" }],
                },
                {
                  name: "filebeat",
                  image: `${REGISTRY}/elastic/filebeat:8.19.4`,
                  resources: {
                    requests: { cpu: "50m", memory: "64Mi" },
                    limits: { cpu: "100m", memory: "100Mi" },
                  },
                  volumeMounts: [{ name: "logs", mountPath: "/var/log/nginx" }],
                },
              ],
              volumes: [{ name: "logs", emptyDir: { sizeLimit: "20Gi" } }],
            },
          },
        },
      },
    },
    {
      type: T.pdb,
      name: "shop-nginx-pdb",
      props: {
        metadata: { name: "nginx", namespace: ns },
        spec: { maxUnavailable: 1, selector: { matchLabels: labels } },
      },
    },
    {
      type: T.hpa,
      name: "shop-nginx-hpa",
      props: {
        metadata: { name: "nginx", namespace: ns },
        spec: {
          scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "nginx" },
          minReplicas: 6,
          maxReplicas: 40,
        },
      },
    },
    {
      type: T.service,
      name: "shop-jetty",
      props: {
        metadata: { name: "jetty", namespace: ns, labels: { "private-cloud.io/upstream": "true" } },
        spec: { clusterIP: "None", selector: { app: "jetty" }, ports: [{ port: 8080 }] },
      },
    },
    {
      type: T.ingress,
      name: "shop-ingress",
      props: {
        metadata: { name: "shop", namespace: ns },
        spec: {
          ingressClassName: "shop",
          rules: [
            {
              host: "shop.example.com",
              http: {
                paths: [
                  {
                    path: "/",
                    pathType: "Prefix",
                    backend: { service: { name: "jetty", port: { number: 8080 } } },
                  },
                ],
              },
            },
          ],
        },
      },
    },
  ];
}

/** An Elasticsearch data StatefulSet sized from its limits, with its elasticsearch.yml in a ConfigMap. */
export function elasticsearch(): Res[] {
  const ns = "logging";
  const labels = { "app.kubernetes.io/name": "elasticsearch", role: "data" };
  return [
    namespace(ns),
    {
      type: T.configMap,
      name: "es-config",
      props: {
        metadata: { name: "es-data", namespace: ns },
        data: {
          "elasticsearch.yml": "cluster.name: logs\nnode:\n  processors: 4\nthread_pool.write.size: 5\n",
          "heap.options": "-Xms8g\n-Xmx8g\n",
        },
      },
    },
    {
      type: T.statefulSet,
      name: "es-data",
      props: {
        metadata: { name: "es-data", namespace: ns },
        spec: {
          replicas: 1,
          selector: { matchLabels: labels },
          template: {
            metadata: { labels },
            spec: {
              automountServiceAccountToken: false,
              containers: [
                {
                  name: "elasticsearch",
                  image: `${REGISTRY}/elastic/elasticsearch:8.19.4`,
                  env: [{ name: "ES_JAVA_OPTS", value: "-XX:ActiveProcessorCount=4" }],
                  resources: {
                    requests: { cpu: "2", memory: "16Gi" },
                    limits: { cpu: "3500m", memory: "16Gi" },
                  },
                  readinessProbe: { tcpSocket: { port: 9200 }, ...readinessTiming },
                  volumeMounts: [
                    {
                      name: "config",
                      mountPath: "/usr/share/elasticsearch/config/elasticsearch.yml",
                      subPath: "elasticsearch.yml",
                    },
                  ],
                },
              ],
              volumes: [{ name: "config", configMap: { name: "es-data" } }],
            },
          },
        },
      },
    },
  ];
}

/** A privileged DaemonSet where it belongs: Calico's node agent. */
export function calicoNode(): Res[] {
  const ns = "calico-system";
  return [
    namespace(ns, "privileged"),
    {
      type: T.daemonSet,
      name: "calico-node",
      props: {
        metadata: { name: "calico-node", namespace: ns },
        spec: {
          selector: { matchLabels: { app: "calico-node" } },
          template: {
            metadata: { labels: { app: "calico-node" } },
            spec: {
              serviceAccountName: "calico-node",
              hostNetwork: true,
              containers: [
                {
                  name: "calico-node",
                  image: `${REGISTRY}/calico/node:v3.30.3`,
                  securityContext: { privileged: true },
                  resources: {
                    requests: { cpu: "250m", memory: "256Mi" },
                    limits: { cpu: "1", memory: "512Mi" },
                  },
                  livenessProbe: {
                    exec: { command: ["/bin/calico-node", "-felix-live"] },
                    ...livenessTiming,
                    initialDelaySeconds: 10,
                  },
                  readinessProbe: {
                    exec: { command: ["/bin/calico-node", "-felix-ready"] },
                    ...readinessTiming,
                  },
                },
              ],
              volumes: [{ name: "lib-modules", hostPath: { path: "/lib/modules" } }],
            },
          },
        },
      },
    },
  ];
}

/** Finds a resource by Pulumi name. */
export function find(rs: readonly Res[], name: string): Any {
  const r = rs.find((x) => x.name === name);
  if (!r) throw new Error(`no fixture resource ${name}`);
  return r.props;
}

/** The first container of a fixture workload. */
export function container(rs: readonly Res[], name: string, index = 0): Any {
  return find(rs, name).spec.template.spec.containers[index];
}
