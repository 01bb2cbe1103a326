/**
 * Every image reference the platform deploys, in one place. The registry is the
 * datacenter's mirror (`private-cloud:images.registry`); tags are pinned here and
 * never `latest`, so an upgrade is a reviewed change to this file or to
 * `images.installerTag` / `kubernetes.version`.
 */
import type { DatacenterModel } from "./model";
import lock from "../images/images.lock.json";

/** Upstream versions this release of the platform is tested with. */
export const versions = {
  etcd: "3.6.5-0",
  pause: "3.10.1",
  calico: "v3.30.3",
  ingressNginx: "v1.13.3",
  prometheus: "v3.6.0",
  alertmanager: "v0.28.1",
  nodeExporter: "v1.9.1",
  kubeStateMetrics: "v2.17.0",
  grafana: "12.2.0",
  elasticsearch: "8.19.4",
  filebeat: "8.19.4",
  /** Elasticsearch metrics for Prometheus (cluster health, indices) — the ES alerts read it. */
  elasticsearchExporter: "v1.9.0",
  /** Turns filebeat's JSON /stats into Prometheus metrics (multi-target) — the filebeat lag alert reads it. */
  jsonExporter: "v0.7.0",
  /** BGP session state from BIRD's control socket (Calico's BIRD has no metrics of its own) — the BGP alerts read it. */
  birdExporter: "v1.4.3",
  /** Tag of the platform's own images built in this repository (images/, pinned by digest below). */
  platformTools: "v1.4.2",
} as const;

export type ImageName =
  | "installer"
  | "kubeApiserver"
  | "kubeControllerManager"
  | "kubeScheduler"
  | "etcd"
  | "pause"
  | "calicoNode"
  | "calicoCni"
  | "calicoKubeControllers"
  | "ingressNginx"
  | "prometheus"
  | "alertmanager"
  | "nodeExporter"
  | "kubeStateMetrics"
  | "grafana"
  | "elasticsearch"
  | "filebeat"
  | "nodeTuning"
  | "lvsDirectorSync"
  | "networkCheck"
  | "elasticsearchExporter"
  | "jsonExporter"
  | "birdExporter"
  | "jetty"
  | "baseS6"
  | "sampleApp";

export type ImageSet = Record<ImageName, string>;

/** Images built in this repository (images/<name>/image.yaml), by the name of their definition. */
export type PrivateImage =
  "installer" | "node-tuning" | "lvs-director-sync" | "network-check" | "jetty" | "base-s6" | "sample-app";
export const privateImages: Record<PrivateImage, ImageName> = {
  installer: "installer",
  "node-tuning": "nodeTuning",
  "lvs-director-sync": "lvsDirectorSync",
  "network-check": "networkCheck",
  jetty: "jetty",
  "base-s6": "baseS6",
  "sample-app": "sampleApp",
};

/**
 * `<registry>/<repository>:<tag>@<digest>` for an image of ours: the digest
 * from images/images.lock.json (written by `npm run images`), so what runs is
 * exactly what was built and tested. Without a lock entry the reference stays
 * tag-only, and tests/images/lock.test.ts fails until the image is built.
 */
export function privateImageRef(registry: string, name: PrivateImage, tag: string): string {
  const entry = (lock as Record<string, { digest: string; repository: string } | undefined>)[name];
  return entry
    ? `${registry}/${entry.repository}:${tag}@${entry.digest}`
    : `${registry}/private-cloud/${name}:${tag}`;
}

/** Full references for one datacenter: `<registry>/<path>:<tag>` (ours also `@<digest>`). */
export function imageSet(registry: string, kubernetesVersion: string, installerTag: string): ImageSet {
  const r = (p: string, tag: string) => `${registry}/${p}:${tag}`;
  const own = (name: PrivateImage, tag: string = versions.platformTools) =>
    privateImageRef(registry, name, tag);
  return {
    installer: own("installer", installerTag),
    kubeApiserver: r("k8s/kube-apiserver", kubernetesVersion),
    kubeControllerManager: r("k8s/kube-controller-manager", kubernetesVersion),
    kubeScheduler: r("k8s/kube-scheduler", kubernetesVersion),
    etcd: r("k8s/etcd", versions.etcd),
    pause: r("k8s/pause", versions.pause),
    calicoNode: r("calico/node", versions.calico),
    calicoCni: r("calico/cni", versions.calico),
    calicoKubeControllers: r("calico/kube-controllers", versions.calico),
    ingressNginx: r("ingress-nginx/controller", versions.ingressNginx),
    prometheus: r("prometheus/prometheus", versions.prometheus),
    alertmanager: r("prometheus/alertmanager", versions.alertmanager),
    nodeExporter: r("prometheus/node-exporter", versions.nodeExporter),
    kubeStateMetrics: r("kube-state-metrics/kube-state-metrics", versions.kubeStateMetrics),
    grafana: r("grafana/grafana", versions.grafana),
    elasticsearch: r("elastic/elasticsearch", versions.elasticsearch),
    filebeat: r("elastic/filebeat", versions.filebeat),
    nodeTuning: own("node-tuning"),
    lvsDirectorSync: own("lvs-director-sync"),
    // The pod network-health sidecar: POSIX sh + iputils ping (it opens ICMP
    // datagram sockets, so it needs no NET_RAW; see components/common/network-health.ts).
    networkCheck: own("network-check"),
    elasticsearchExporter: r("prometheus-community/elasticsearch-exporter", versions.elasticsearchExporter),
    jsonExporter: r("prometheus-community/json-exporter", versions.jsonExporter),
    birdExporter: r("czerwonk/bird-exporter", versions.birdExporter),
    // Bases of the businesses' images, and the sample business the release tests release.
    jetty: own("jetty"),
    baseS6: own("base-s6"),
    sampleApp: own("sample-app"),
  };
}

export function imagesFor(model: DatacenterModel): ImageSet {
  const c = model.config;
  return imageSet(c.images.registry, c.kubernetes.version, c.images.installerTag);
}
