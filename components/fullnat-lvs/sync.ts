/**
 * The in-cluster side of "VirtualServer → Endpoint IP mapping is automatic"
 * (seed part 4): the lvs-system namespace, the director-sync controller's
 * identity and RBAC, its configuration (the data contract below) and its
 * Deployment.
 *
 * NOT delivered here: the controller program itself (image
 * `lvsDirectorSync`, built in the platform-tools release train). This module
 * deploys it and fixes what it reads and writes; see `directorSyncContract`.
 */
import type * as k8s from "@pulumi/kubernetes";
import type { DatacenterModel } from "../../stacks/model";
import { imagesFor } from "../../stacks/images";
import { labelKeys, managedBy } from "../../stacks/labels";
import { platformNamespaces } from "../../stacks/namespaces";
import { namespaceSpec } from "../common/namespace";
import { httpGetProbe, livenessTiming, readinessTiming } from "../common/probes";
import { METRICS_PORT_NAME, scrapeAnnotations } from "../monitoring-stack/contract";
import {
  DEFAULT_SCHEDULER,
  LVS_BUSINESS_ANNOTATION,
  LVS_HEALTH_PATH_ANNOTATION,
  LVS_HEALTH_PORT_ANNOTATION,
  LVS_SCHEDULER_ANNOTATION,
  LVS_SERVICE_LABEL,
  LVS_VIP_ANNOTATION,
} from "./contract";
import { directorHosts, directorPaths, laddrGroupName, LVS_EXPORTER_PORT } from "./directors";
import { vipAssignments } from "./vips";

export const LVS_NAMESPACE = platformNamespaces.lvs.name;
export const DIRECTOR_SYNC = "lvs-director-sync";
export const DIRECTOR_SYNC_SSH_SECRET = "lvs-director-sync-ssh";
const CONFIG_FILE = "config.json";

type Obj<T> = T & { metadata: { name: string } };
const labels = { ...managedBy, "app.kubernetes.io/name": DIRECTOR_SYNC, "app.kubernetes.io/part-of": "lvs" };

export function lvsNamespace(): Obj<k8s.types.input.core.v1.Namespace> {
  // Privileged, as the platform reserves it for LVS: director-side agents
  // (host network, raw sockets for the checks) run in this namespace too.
  return namespaceSpec(LVS_NAMESPACE, "privileged", "lvs") as Obj<k8s.types.input.core.v1.Namespace>;
}

/**
 * The data contract, version 1, as the controller reads it from
 * /etc/director-sync/config.json:
 *  - `directors`: where to push (SSH user/port from hostAccess, key from the
 *    Secret mounted at `ssh.keyFile`) and each director's LIP group name;
 *  - `vips`: the VIP of every business; a Service may only claim a VIP listed
 *    here, for its own business (else it is skipped and an Event is raised);
 *  - `service`: the label selecting Services and the annotation keys;
 *  - `render`: the virtual_server block format is `virtualServerBlock`
 *    (components/fullnat-lvs/directors.ts), with `healthCheck` timing; one
 *    file per Service at `<servicesDir>/<namespace>_<name>.conf`, then
 *    `reload` — only when the file's content changed;
 *  - `metrics`: the director agent's metrics port (monitoring.ts lists the series).
 * Real servers: the Service's EndpointSlices' endpoints with
 * `conditions.ready == true`, at the target port of each Service port.
 */
export function directorSyncContract(model: DatacenterModel): Record<string, unknown> {
  const lvs = model.config.lvs;
  if (!lvs) throw new Error(`datacenter ${model.name} has no LVS tier`);
  const access = model.config.hostAccess;
  return {
    version: 1,
    datacenter: model.name,
    implementation: lvs.implementation,
    directors: directorHosts(model).map((h) => ({
      hostname: h.hostname,
      ip: h.ip,
      laddrGroup: laddrGroupName(h.hostname),
    })),
    vips: vipAssignments(model).map((a) => ({ business: a.business, vip: a.vip, ports: a.ports })),
    service: {
      selector: `${LVS_SERVICE_LABEL}=true`,
      annotations: {
        vip: LVS_VIP_ANNOTATION,
        business: LVS_BUSINESS_ANNOTATION,
        scheduler: LVS_SCHEDULER_ANNOTATION,
        healthCheckPort: LVS_HEALTH_PORT_ANNOTATION,
        healthCheckPath: LVS_HEALTH_PATH_ANNOTATION,
      },
      defaultScheduler: DEFAULT_SCHEDULER,
    },
    healthCheck: { intervalSeconds: lvs.healthCheckIntervalSeconds, failures: lvs.healthCheckFailures },
    render: {
      servicesDir: directorPaths.servicesDir,
      fileName: "<namespace>_<service>.conf",
      reload: "systemctl reload keepalived",
    },
    ssh: {
      enabled: access.enabled,
      user: access.sshUser,
      port: access.sshPort,
      keyFile: "/etc/director-sync-ssh/id",
    },
    metrics: { directorExporterPort: LVS_EXPORTER_PORT },
  };
}

export function directorSyncConfigMap(model: DatacenterModel): Obj<k8s.types.input.core.v1.ConfigMap> {
  return {
    metadata: { name: DIRECTOR_SYNC, namespace: LVS_NAMESPACE, labels },
    data: { [CONFIG_FILE]: `${JSON.stringify(directorSyncContract(model), null, 2)}\n` },
  };
}

export function directorSyncServiceAccount(): Obj<k8s.types.input.core.v1.ServiceAccount> {
  return { metadata: { name: DIRECTOR_SYNC, namespace: LVS_NAMESPACE, labels } };
}

/** Read Services and EndpointSlices anywhere; report what it did as Events. Nothing else. */
export function directorSyncClusterRole(): Obj<k8s.types.input.rbac.v1.ClusterRole> {
  return {
    metadata: { name: DIRECTOR_SYNC, labels },
    rules: [
      { apiGroups: [""], resources: ["services"], verbs: ["get", "list", "watch"] },
      { apiGroups: ["discovery.k8s.io"], resources: ["endpointslices"], verbs: ["get", "list", "watch"] },
      { apiGroups: ["", "events.k8s.io"], resources: ["events"], verbs: ["create", "patch"] },
    ],
  };
}

export function directorSyncClusterRoleBinding(): Obj<k8s.types.input.rbac.v1.ClusterRoleBinding> {
  return {
    metadata: { name: DIRECTOR_SYNC, labels },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: DIRECTOR_SYNC },
    subjects: [{ kind: "ServiceAccount", name: DIRECTOR_SYNC, namespace: LVS_NAMESPACE }],
  };
}

/** Leader election: one replica pushes at a time, in its own namespace only. */
export function directorSyncLeaseRole(): Obj<k8s.types.input.rbac.v1.Role> {
  return {
    metadata: { name: `${DIRECTOR_SYNC}-leader`, namespace: LVS_NAMESPACE, labels },
    rules: [
      { apiGroups: ["coordination.k8s.io"], resources: ["leases"], verbs: ["get", "create", "update"] },
    ],
  };
}

export function directorSyncLeaseRoleBinding(): Obj<k8s.types.input.rbac.v1.RoleBinding> {
  return {
    metadata: { name: `${DIRECTOR_SYNC}-leader`, namespace: LVS_NAMESPACE, labels },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: `${DIRECTOR_SYNC}-leader` },
    subjects: [{ kind: "ServiceAccount", name: DIRECTOR_SYNC, namespace: LVS_NAMESPACE }],
  };
}

const HEALTH_PORT = 8080;
const METRICS_PORT = 9090;

const syncSelector = { "app.kubernetes.io/name": DIRECTOR_SYNC };

/** One of the two replicas may go at a time: a node drain never stops endpoint updates. */
export function directorSyncDisruptionBudget(): Obj<k8s.types.input.policy.v1.PodDisruptionBudget> {
  return {
    metadata: { name: DIRECTOR_SYNC, namespace: LVS_NAMESPACE, labels },
    spec: { maxUnavailable: 1, selector: { matchLabels: syncSelector } },
  };
}

export function directorSyncDeployment(model: DatacenterModel): Obj<k8s.types.input.apps.v1.Deployment> {
  const match = syncSelector;
  return {
    metadata: { name: DIRECTOR_SYNC, namespace: LVS_NAMESPACE, labels },
    spec: {
      // Two replicas, one leader: a lost node does not stop endpoint updates.
      replicas: 2,
      selector: { matchLabels: match },
      template: {
        metadata: {
          labels: { ...labels, ...match },
          annotations: scrapeAnnotations("infra", { job: DIRECTOR_SYNC }),
        },
        spec: {
          serviceAccountName: DIRECTOR_SYNC,
          priorityClassName: "system-cluster-critical",
          securityContext: {
            runAsNonRoot: true,
            runAsUser: 65532,
            fsGroup: 65532,
            seccompProfile: { type: "RuntimeDefault" },
          },
          affinity: {
            // Directors run no calico-node, so no pod network: keep off them.
            nodeAffinity: {
              requiredDuringSchedulingIgnoredDuringExecution: {
                nodeSelectorTerms: [
                  { matchExpressions: [{ key: labelKeys.function, operator: "NotIn", values: ["lvs"] }] },
                ],
              },
            },
            podAntiAffinity: {
              requiredDuringSchedulingIgnoredDuringExecution: [
                { labelSelector: { matchLabels: match }, topologyKey: labelKeys.rack },
              ],
            },
          },
          containers: [
            {
              name: "director-sync",
              image: imagesFor(model).lvsDirectorSync,
              args: [
                `--config=/etc/director-sync/${CONFIG_FILE}`,
                "--leader-elect=true",
                `--leader-elect-namespace=${LVS_NAMESPACE}`,
              ],
              env: [{ name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } }],
              ports: [
                { name: "health", containerPort: HEALTH_PORT, protocol: "TCP" },
                { name: METRICS_PORT_NAME, containerPort: METRICS_PORT, protocol: "TCP" },
              ],
              readinessProbe: httpGetProbe("/readyz", "health", readinessTiming),
              livenessProbe: httpGetProbe("/healthz", "health", livenessTiming),
              resources: {
                requests: { cpu: "50m", memory: "64Mi" },
                limits: { cpu: "500m", memory: "256Mi" },
              },
              securityContext: {
                allowPrivilegeEscalation: false,
                readOnlyRootFilesystem: true,
                capabilities: { drop: ["ALL"] },
              },
              volumeMounts: [
                { name: "config", mountPath: "/etc/director-sync", readOnly: true },
                { name: "ssh", mountPath: "/etc/director-sync-ssh", readOnly: true },
              ],
            },
          ],
          volumes: [
            { name: "config", configMap: { name: DIRECTOR_SYNC } },
            // Optional: without a key (hostAccess off) the controller renders and reports, pushes nothing.
            {
              name: "ssh",
              secret: { secretName: DIRECTOR_SYNC_SSH_SECRET, defaultMode: 0o400, optional: true },
            },
          ],
        },
      },
    },
  };
}
