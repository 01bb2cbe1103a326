/**
 * Static Pod manifests of the stacked control plane (etcd, kube-apiserver,
 * kube-controller-manager, kube-scheduler) for one master, plus the host files
 * they reference. Pure: same model in, same objects out.
 *
 * Static Pods (seed part 1): kubelet loads them from /etc/kubernetes/manifests
 * and restarts them on liveness failure, so the control plane heals itself and
 * upgrades by replacing files. Security flags follow the CIS Kubernetes
 * Benchmark control-plane sections (1.1-1.4) where they apply to this layout.
 */
import type * as k8s from "@pulumi/kubernetes";
import { stringify } from "yaml";
import type { Host } from "../../stacks/schema";
import type { DatacenterModel } from "../../stacks/model";
import { imagesFor } from "../../stacks/images";
import { probeFloors, type ProbeTiming } from "../common/probes";
import { intToIp, parseCidr } from "../../stacks/net";

type Pod = k8s.types.input.core.v1.Pod;
type Container = k8s.types.input.core.v1.Container;
type Volume = k8s.types.input.core.v1.Volume;
type Probe = k8s.types.input.core.v1.Probe;

export const paths = {
  manifests: "/etc/kubernetes/manifests",
  pki: "/etc/kubernetes/pki",
  etcdPki: "/etc/kubernetes/pki/etcd",
  auditLog: "/var/log/kubernetes/audit/audit.log",
  auditPolicy: "/etc/kubernetes/audit-policy.yaml",
  encryptionConfig: "/etc/kubernetes/encryption-config.yaml",
  authenticationConfig: "/etc/kubernetes/authentication-config.yaml",
  controllerManagerKubeconfig: "/etc/kubernetes/controller-manager.conf",
  schedulerKubeconfig: "/etc/kubernetes/scheduler.conf",
  kubeletConfig: "/var/lib/kubelet/config.yaml",
  kubeletKubeconfig: "/etc/kubernetes/kubelet.conf",
} as const;

export const ports = {
  etcdClient: 2379,
  etcdPeer: 2380,
  etcdMetrics: 2381,
  controllerManager: 10257,
  scheduler: 10259,
} as const;

/** Audit log rotation (CIS 1.2.17-1.2.19): keep 30 days, 10 files of 100 MB. */
export const auditRotation = { maxAgeDays: 30, maxBackup: 10, maxSizeMB: 100 } as const;

/**
 * Liveness of control-plane components. A busy apiserver (a large LIST, etcd
 * compaction) can answer /livez slowly; restarting it then moves its load to
 * the other masters and can cascade (the seed's probe-timeout avalanche). So:
 * 15 s timeout and 8 × 10 s before a restart, the same margins kubeadm uses.
 */
export const controlPlaneLiveness: ProbeTiming = {
  periodSeconds: 10,
  timeoutSeconds: 15,
  failureThreshold: 8,
  initialDelaySeconds: 10,
};
/** Startup: a cold etcd or apiserver may need minutes to replay; liveness waits for this first. */
export const controlPlaneStartup: ProbeTiming = {
  periodSeconds: 10,
  timeoutSeconds: 15,
  failureThreshold: 24,
  initialDelaySeconds: 10,
};
/** Readiness of the apiserver gates the LVS real server / DNS health: quick to notice, not on one slow answer. */
export const controlPlaneReadiness: ProbeTiming = {
  periodSeconds: 5,
  timeoutSeconds: 15,
  failureThreshold: 3,
};

// Compile-time-ish guard: these timings must stay above the platform floors the policy pack enforces.
for (const t of [controlPlaneLiveness, controlPlaneStartup, controlPlaneReadiness]) {
  if (t.timeoutSeconds < probeFloors.minTimeoutSeconds)
    throw new Error("control-plane probe timeout below the platform floor");
}

/** TLS settings shared by every serving component (CIS 1.2.29 / 1.3.x / 1.4.x). */
export const tlsMinVersion = "VersionTLS12";
export const tlsCipherSuites = [
  "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
  "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
  "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
  "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
  "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
  "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
].join(",");

/** Turns `{ flag: value }` into sorted `--flag=value` args (sorted: a stable diff when flags change). */
export function flags(values: Record<string, string | number | boolean>): string[] {
  return Object.keys(values)
    .sort()
    .map((k) => `--${k}=${values[k]}`);
}

function hostPath(
  name: string,
  path: string,
  type: "Directory" | "DirectoryOrCreate" | "File" | "FileOrCreate",
): Volume {
  return { name, hostPath: { path, type } };
}

function probe(
  path: string,
  port: number,
  scheme: "HTTP" | "HTTPS",
  timing: ProbeTiming,
  host = "127.0.0.1",
): Probe {
  return { httpGet: { host, path, port, scheme }, ...timing };
}

function staticPod(component: string, containers: Container[], volumes: Volume[]): Pod {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name: component,
      namespace: "kube-system",
      labels: { component, tier: "control-plane", "app.kubernetes.io/managed-by": "private-cloud" },
    },
    spec: {
      hostNetwork: true,
      // Evicted last and scheduled first: the node is useless without these.
      priorityClassName: "system-node-critical",
      priority: 2000001000,
      securityContext: { seccompProfile: { type: "RuntimeDefault" } },
      containers,
      volumes,
    },
  };
}

/** Everything a master's manifests depend on. */
export interface MasterContext {
  readonly model: DatacenterModel;
  readonly host: Host;
}

const etcdName = (h: Host) => h.hostname;
const etcdPeerUrl = (h: Host) => `https://${h.ip}:${ports.etcdPeer}`;

/** `--initial-cluster` of the stacked etcd: every master, in config order. */
export function etcdInitialCluster(masters: readonly Host[]): string {
  return masters.map((m) => `${etcdName(m)}=${etcdPeerUrl(m)}`).join(",");
}

export function etcdServers(masters: readonly Host[]): string {
  return masters.map((m) => `https://${m.ip}:${ports.etcdClient}`).join(",");
}

export function etcdManifest({ model, host }: MasterContext): Pod {
  const pki = paths.etcdPki;
  const args = flags({
    name: etcdName(host),
    "data-dir": model.config.masters.etcdDataDir,
    "listen-client-urls": `https://127.0.0.1:${ports.etcdClient},https://${host.ip}:${ports.etcdClient}`,
    "advertise-client-urls": `https://${host.ip}:${ports.etcdClient}`,
    "listen-peer-urls": etcdPeerUrl(host),
    "initial-advertise-peer-urls": etcdPeerUrl(host),
    "initial-cluster": etcdInitialCluster(model.masters),
    // "new" only matters on first start; an existing data dir ignores it.
    "initial-cluster-state": "new",
    "initial-cluster-token": `etcd-${model.name}`,
    // Metrics (no keys, no data) on the master's address too, for Prometheus;
    // the client and peer ports stay TLS with certificate auth.
    "listen-metrics-urls": `http://127.0.0.1:${ports.etcdMetrics},http://${host.ip}:${ports.etcdMetrics}`,
    // CIS 2.1-2.6: client and peer TLS with certificate auth, no self-signed auto TLS.
    "client-cert-auth": true,
    "trusted-ca-file": `${pki}/ca.crt`,
    "cert-file": `${pki}/server.crt`,
    "key-file": `${pki}/server.key`,
    "peer-client-cert-auth": true,
    "peer-trusted-ca-file": `${pki}/ca.crt`,
    "peer-cert-file": `${pki}/peer.crt`,
    "peer-key-file": `${pki}/peer.key`,
    "auto-tls": false,
    "peer-auto-tls": false,
    "cipher-suites": tlsCipherSuites,
    "snapshot-count": 10000,
    // 8 GiB backend quota: the default 2 GiB fills on a busy 100+ node cluster.
    "quota-backend-bytes": 8 * 1024 ** 3,
    "auto-compaction-mode": "periodic",
    "auto-compaction-retention": "1h",
  });
  return staticPod(
    "etcd",
    [
      {
        name: "etcd",
        image: imagesFor(model).etcd,
        command: ["etcd", ...args],
        resources: { requests: { cpu: "500m", memory: "1Gi" } },
        livenessProbe: probe("/livez", ports.etcdMetrics, "HTTP", controlPlaneLiveness),
        startupProbe: probe("/livez", ports.etcdMetrics, "HTTP", controlPlaneStartup),
        readinessProbe: probe("/readyz", ports.etcdMetrics, "HTTP", controlPlaneReadiness),
        volumeMounts: [
          { name: "etcd-data", mountPath: model.config.masters.etcdDataDir },
          { name: "etcd-certs", mountPath: pki, readOnly: true },
        ],
      },
    ],
    [
      hostPath("etcd-data", model.config.masters.etcdDataDir, "DirectoryOrCreate"),
      hostPath("etcd-certs", pki, "Directory"),
    ],
  );
}

export function apiServerManifest({ model, host }: MasterContext): Pod {
  const pki = paths.pki;
  const c = model.config;
  const args = flags({
    "advertise-address": host.ip,
    "secure-port": c.apiServer.port,
    "allow-privileged": true, // Calico, LVS and node tuning run privileged DaemonSets.
    // CIS 1.2.1: no anonymous requests, except kubelet's health probes. The
    // structured authentication config (KEP-4633) allows anonymous only on
    // /livez, /readyz and /healthz; it replaces --anonymous-auth=false, which
    // would make the liveness probe below fail with 401.
    "authentication-config": paths.authenticationConfig,
    "authorization-mode": "Node,RBAC", // CIS 1.2.6-1.2.8
    "enable-admission-plugins": "NodeRestriction", // CIS 1.2.15; PodSecurity is on by default
    profiling: false, // CIS 1.2.16
    "audit-log-path": paths.auditLog, // CIS 1.2.16-1.2.19
    "audit-log-maxage": auditRotation.maxAgeDays,
    "audit-log-maxbackup": auditRotation.maxBackup,
    "audit-log-maxsize": auditRotation.maxSizeMB,
    "audit-policy-file": paths.auditPolicy,
    "encryption-provider-config": paths.encryptionConfig, // CIS 1.2.27-1.2.28
    "encryption-provider-config-automatic-reload": true,
    "service-cluster-ip-range": c.network.serviceCidr,
    "service-account-issuer": `https://${model.api.host}:${model.api.port}`,
    "service-account-key-file": `${pki}/sa.pub`,
    "service-account-signing-key-file": `${pki}/sa.key`,
    "service-account-lookup": true, // CIS 1.2.22
    "client-ca-file": `${pki}/ca.crt`,
    "tls-cert-file": `${pki}/apiserver.crt`,
    "tls-private-key-file": `${pki}/apiserver.key`,
    "tls-min-version": tlsMinVersion,
    "tls-cipher-suites": tlsCipherSuites,
    "kubelet-client-certificate": `${pki}/apiserver-kubelet-client.crt`,
    "kubelet-client-key": `${pki}/apiserver-kubelet-client.key`,
    "kubelet-certificate-authority": `${pki}/ca.crt`, // CIS 1.2.5
    "kubelet-preferred-address-types": "InternalIP,Hostname",
    "etcd-servers": etcdServers(model.masters),
    "etcd-cafile": `${pki}/etcd/ca.crt`,
    "etcd-certfile": `${pki}/apiserver-etcd-client.crt`,
    "etcd-keyfile": `${pki}/apiserver-etcd-client.key`,
    "requestheader-client-ca-file": `${pki}/front-proxy-ca.crt`,
    "requestheader-allowed-names": "front-proxy-client",
    "requestheader-extra-headers-prefix": "X-Remote-Extra-",
    "requestheader-group-headers": "X-Remote-Group",
    "requestheader-username-headers": "X-Remote-User",
    "proxy-client-cert-file": `${pki}/front-proxy-client.crt`,
    "proxy-client-key-file": `${pki}/front-proxy-client.key`,
    // Spread long-lived watches over the masters again after one restarts.
    "goaway-chance": 0.001,
  });
  return staticPod(
    "kube-apiserver",
    [
      {
        name: "kube-apiserver",
        image: imagesFor(model).kubeApiserver,
        command: ["kube-apiserver", ...args],
        resources: { requests: { cpu: "1", memory: "2Gi" } },
        livenessProbe: probe("/livez", c.apiServer.port, "HTTPS", controlPlaneLiveness, host.ip),
        startupProbe: probe("/livez", c.apiServer.port, "HTTPS", controlPlaneStartup, host.ip),
        readinessProbe: probe("/readyz", c.apiServer.port, "HTTPS", controlPlaneReadiness, host.ip),
        volumeMounts: [
          { name: "k8s-certs", mountPath: pki, readOnly: true },
          { name: "k8s-config", mountPath: "/etc/kubernetes", readOnly: true },
          { name: "audit-log", mountPath: "/var/log/kubernetes/audit" },
        ],
      },
    ],
    [
      hostPath("k8s-certs", pki, "Directory"),
      hostPath("k8s-config", "/etc/kubernetes", "Directory"),
      hostPath("audit-log", "/var/log/kubernetes/audit", "DirectoryOrCreate"),
    ],
  );
}

export function controllerManagerManifest({ model, host }: MasterContext): Pod {
  const pki = paths.pki;
  const kubeconfig = paths.controllerManagerKubeconfig;
  const args = flags({
    kubeconfig,
    "authentication-kubeconfig": kubeconfig,
    "authorization-kubeconfig": kubeconfig,
    // CIS 1.3.7 asks for 127.0.0.1; the master's own address keeps the secure
    // port off every other interface while Prometheus can still scrape it
    // (authenticated and authorized), and the down/flapping alerts can work.
    "bind-address": host.ip,
    "leader-elect": true, // three or five masters, one active (seed part 1)
    profiling: false, // CIS 1.3.2
    "use-service-account-credentials": true, // CIS 1.3.3
    "service-account-private-key-file": `${pki}/sa.key`, // CIS 1.3.4
    "root-ca-file": `${pki}/ca.crt`, // CIS 1.3.5
    "terminated-pod-gc-threshold": 12500, // CIS 1.3.1
    "cluster-signing-cert-file": `${pki}/ca.crt`,
    "cluster-signing-key-file": `${pki}/ca.key`,
    "requestheader-client-ca-file": `${pki}/front-proxy-ca.crt`,
    "client-ca-file": `${pki}/ca.crt`,
    "service-cluster-ip-range": model.config.network.serviceCidr,
    // Calico owns pod IPAM; the controller-manager must not hand out node CIDRs.
    "allocate-node-cidrs": false,
    controllers: "*,bootstrapsigner,tokencleaner",
    "tls-min-version": tlsMinVersion,
    "tls-cipher-suites": tlsCipherSuites,
  });
  return staticPod(
    "kube-controller-manager",
    [
      {
        name: "kube-controller-manager",
        image: imagesFor(model).kubeControllerManager,
        command: ["kube-controller-manager", ...args],
        resources: { requests: { cpu: "200m", memory: "512Mi" } },
        livenessProbe: probe("/healthz", ports.controllerManager, "HTTPS", controlPlaneLiveness, host.ip),
        startupProbe: probe("/healthz", ports.controllerManager, "HTTPS", controlPlaneStartup, host.ip),
        volumeMounts: [
          { name: "k8s-certs", mountPath: pki, readOnly: true },
          { name: "kubeconfig", mountPath: kubeconfig, readOnly: true },
        ],
      },
    ],
    [hostPath("k8s-certs", pki, "Directory"), hostPath("kubeconfig", kubeconfig, "File")],
  );
}

export function schedulerManifest({ model, host }: MasterContext): Pod {
  const kubeconfig = paths.schedulerKubeconfig;
  const args = flags({
    kubeconfig,
    "authentication-kubeconfig": kubeconfig,
    "authorization-kubeconfig": kubeconfig,
    "bind-address": host.ip, // CIS 1.4.2 asks for 127.0.0.1: see the controller-manager
    "leader-elect": true,
    profiling: false, // CIS 1.4.1
    "tls-min-version": tlsMinVersion,
    "tls-cipher-suites": tlsCipherSuites,
  });
  return staticPod(
    "kube-scheduler",
    [
      {
        name: "kube-scheduler",
        image: imagesFor(model).kubeScheduler,
        command: ["kube-scheduler", ...args],
        resources: { requests: { cpu: "100m", memory: "256Mi" } },
        livenessProbe: probe("/livez", ports.scheduler, "HTTPS", controlPlaneLiveness, host.ip),
        startupProbe: probe("/livez", ports.scheduler, "HTTPS", controlPlaneStartup, host.ip),
        readinessProbe: probe("/readyz", ports.scheduler, "HTTPS", controlPlaneReadiness, host.ip),
        volumeMounts: [{ name: "kubeconfig", mountPath: kubeconfig, readOnly: true }],
      },
    ],
    [hostPath("kubeconfig", kubeconfig, "File")],
  );
}

/**
 * Secrets at rest (CIS 1.2.27-1.2.28) with the `secretbox` provider
 * (XSalsa20-Poly1305): of the local providers it is the one Kubernetes
 * recommends, as aesgcm needs a key rotation every 200k writes. The key never
 * enters a manifest or the command text: it reaches the host on standard
 * input and the install script substitutes it for the placeholder.
 */
export const ENCRYPTION_KEY_PLACEHOLDER = "${ENCRYPTION_KEY}";

export function encryptionConfig(): string {
  return stringify({
    apiVersion: "apiserver.config.k8s.io/v1",
    kind: "EncryptionConfiguration",
    resources: [
      {
        resources: ["secrets"],
        providers: [
          { secretbox: { keys: [{ name: "key1", secret: ENCRYPTION_KEY_PLACEHOLDER }] } },
          { identity: {} },
        ],
      },
    ],
  });
}

/** Anonymous access only to the health endpoints (KEP-4633), everything else authenticated by certificates and tokens. */
export function authenticationConfig(): string {
  return stringify({
    apiVersion: "apiserver.config.k8s.io/v1beta1",
    kind: "AuthenticationConfiguration",
    anonymous: { enabled: true, conditions: [{ path: "/livez" }, { path: "/readyz" }, { path: "/healthz" }] },
  });
}

/**
 * Audit policy (CIS 3.2.1-3.2.2): metadata for everything, request bodies for
 * changes to RBAC and workloads, nothing for the noisy read-only health and
 * event traffic; Secret and ConfigMap contents are never logged.
 */
export function auditPolicy(): string {
  return stringify({
    apiVersion: "audit.k8s.io/v1",
    kind: "Policy",
    omitStages: ["RequestReceived"],
    rules: [
      { level: "None", nonResourceURLs: ["/livez*", "/readyz*", "/healthz*", "/metrics", "/version"] },
      { level: "None", resources: [{ group: "", resources: ["events"] }] },
      { level: "None", users: ["system:kube-proxy"], verbs: ["watch"] },
      {
        level: "Metadata",
        resources: [
          { group: "", resources: ["secrets", "configmaps"] },
          { group: "authentication.k8s.io", resources: ["tokenreviews"] },
        ],
      },
      {
        level: "RequestResponse",
        verbs: ["create", "update", "patch", "delete", "deletecollection"],
        resources: [
          { group: "rbac.authorization.k8s.io" },
          { group: "apps" },
          { group: "", resources: ["pods", "services", "nodes", "namespaces", "serviceaccounts"] },
        ],
      },
      { level: "Metadata" },
    ],
  });
}

/** The cluster DNS domain of every kubelet and of CoreDNS: fixed, not a setting (see stacks/schema.ts, KubernetesSection). */
export const CLUSTER_DOMAIN = "cluster.local";

/** The cluster DNS Service address: the tenth address of the Service range (kubeadm's convention, so CoreDNS manifests need no change). */
export function clusterDnsIp(model: DatacenterModel): string {
  const cidr = parseCidr(model.config.network.serviceCidr);
  return intToIp(cidr.first + 10);
}

/**
 * The master's kubelet configuration (the installer writes it; kubelet reads
 * it at start). Static Pods from paths.manifests are the control plane; the
 * settings follow CIS 4.2: no anonymous access, webhook authorization, no
 * read-only port, rotated client and serving certificates, strong ciphers.
 */
export function kubeletConfig(model: DatacenterModel): string {
  return stringify(
    {
      apiVersion: "kubelet.config.k8s.io/v1beta1",
      kind: "KubeletConfiguration",
      staticPodPath: paths.manifests,
      cgroupDriver: "systemd",
      clusterDomain: CLUSTER_DOMAIN,
      clusterDNS: [clusterDnsIp(model)],
      authentication: {
        anonymous: { enabled: false },
        webhook: { enabled: true },
        x509: { clientCAFile: `${paths.pki}/ca.crt` },
      },
      authorization: { mode: "Webhook" },
      readOnlyPort: 0,
      protectKernelDefaults: true,
      rotateCertificates: true,
      serverTLSBootstrap: true,
      tlsMinVersion,
      tlsCipherSuites: tlsCipherSuites.split(","),
      failSwapOn: true,
    },
    { lineWidth: 0 },
  );
}

/** Every file one master needs, by path on the host: static Pods plus the configs they reference. */
export function masterFiles(ctx: MasterContext): Record<string, string> {
  const yaml = (o: unknown) => stringify(o, { lineWidth: 0 });
  return {
    [`${paths.manifests}/etcd.yaml`]: yaml(etcdManifest(ctx)),
    [`${paths.manifests}/kube-apiserver.yaml`]: yaml(apiServerManifest(ctx)),
    [`${paths.manifests}/kube-controller-manager.yaml`]: yaml(controllerManagerManifest(ctx)),
    [`${paths.manifests}/kube-scheduler.yaml`]: yaml(schedulerManifest(ctx)),
    [paths.encryptionConfig]: encryptionConfig(),
    [paths.authenticationConfig]: authenticationConfig(),
    [paths.auditPolicy]: auditPolicy(),
    [paths.kubeletConfig]: kubeletConfig(ctx.model),
  };
}
