/**
 * lvs-director-agent, the program that keeps every director's virtual
 * servers in step with the pods (seed part 4: "VirtualServer → Endpoint IP
 * mapping is automatic"). Source: controllers/lvs-director-agent (Go).
 *
 * One agent per director, in the shape of kube-proxy and MetalLB's speaker,
 * not a central controller pushing over SSH: a director that is down then
 * blocks nobody, there is no leader to elect, and an agent that starts
 * reads its own director's state and resyncs from scratch. The agent runs
 * on the director as a systemd unit (the directors run no kubelet and have
 * no pod network), installed over SSH by FullnatLVS with:
 *  - its configuration (`directorAgentConfig`, one file per director: the
 *    contract, version 2, read by controllers/lvs-director-agent/internal/model);
 *  - a kubeconfig with the token of its own ServiceAccount, which may only
 *    read Services and EndpointSlices and create Events (least privilege).
 * Its binary ships in the `lvsDirectorSync` image (stacks/images.ts, built
 * from the Go module); the unit copies it out with podman before starting.
 */
import type * as k8s from "@pulumi/kubernetes";
import { stringify } from "yaml";
import type { DatacenterModel } from "../../stacks/model";
import { imagesFor } from "../../stacks/images";
import { managedBy } from "../../stacks/labels";
import { platformNamespaces } from "../../stacks/namespaces";
import { namespaceSpec } from "../common/namespace";
import { shQuote } from "../common/shell";
import {
  DEFAULT_SCHEDULER,
  LVS_BUSINESS_ANNOTATION,
  LVS_HEALTH_PATH_ANNOTATION,
  LVS_HEALTH_PORT_ANNOTATION,
  LVS_SCHEDULER_ANNOTATION,
  LVS_SERVICE_LABEL,
  LVS_VIP_ANNOTATION,
} from "./contract";
import {
  apiVirtualServer,
  directorHosts,
  laddrGroupName,
  lipBlocksOf,
  LVS_EXPORTER_PORT,
  vipInterface,
} from "./directors";
import { vipAssignments } from "./vips";

export const LVS_NAMESPACE = platformNamespaces.lvs.name;
export const DIRECTOR_AGENT = "lvs-director-agent";
/** Secret holding the agent ServiceAccount's long-lived token (directors are not pods). */
export const DIRECTOR_AGENT_TOKEN_SECRET = `${DIRECTOR_AGENT}-token`;
/** Where the agent's files live on a director. */
export const directorAgentPaths = {
  dir: "/etc/lvs-director-agent",
  config: "/etc/lvs-director-agent/config.json",
  kubeconfig: "/etc/lvs-director-agent/kubeconfig",
  binary: "/usr/local/libexec/lvs-director-agent",
  unit: "/etc/systemd/system/lvs-director-agent.service",
  /** Inside the image. */
  imageBinary: "/usr/local/bin/lvs-director-agent",
} as const;
/** Seconds a terminating or not-ready pod keeps weight 0 before it is removed (seed part 5: graceful scale-in). */
export const DRAIN_SECONDS = 30;
/** Seconds between full re-reads of a director's state (drift repair). */
export const RESYNC_SECONDS = 30;

type Obj<T> = T & { metadata: { name: string } };
const labels = { ...managedBy, "app.kubernetes.io/name": DIRECTOR_AGENT, "app.kubernetes.io/part-of": "lvs" };

export function lvsNamespace(): Obj<k8s.types.input.core.v1.Namespace> {
  // Privileged, as the platform reserves it for LVS.
  return namespaceSpec(LVS_NAMESPACE, "privileged", "lvs") as Obj<k8s.types.input.core.v1.Namespace>;
}

/**
 * The agent's configuration for one director (contract version 2). The Go
 * side (internal/model/config.go) refuses unknown fields, so the two cannot
 * drift apart silently; tests/unit/lvs-directors.test.ts runs the real
 * parser on this output.
 */
export function directorAgentConfig(model: DatacenterModel, director: string): Record<string, unknown> {
  const lvs = model.config.lvs;
  if (!lvs) throw new Error(`datacenter ${model.name} has no LVS tier`);
  const block = lipBlocksOf(model).get(director);
  if (!block) throw new Error(`${director} is not a director of ${model.name}`);
  const api = apiVirtualServer(model);
  return {
    version: 2,
    datacenter: model.name,
    director,
    implementation: lvs.implementation,
    vipInterface: vipInterface(model),
    lipInterface: lvs.lipInterface,
    laddrGroup: laddrGroupName(director),
    lipBlock: block.block,
    lips: block.lips,
    vipPools: lvs.vipPools,
    vips: vipAssignments(model).map((a) => ({ business: a.business, vip: a.vip })),
    staticVips: api ? [api.vip] : [],
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
    drainSeconds: DRAIN_SECONDS,
    resyncSeconds: RESYNC_SECONDS,
    metrics: { port: LVS_EXPORTER_PORT },
  };
}

export function directorAgentServiceAccount(): Obj<k8s.types.input.core.v1.ServiceAccount> {
  return { metadata: { name: DIRECTOR_AGENT, namespace: LVS_NAMESPACE, labels } };
}

/** A long-lived token for the ServiceAccount: the agents run outside the cluster. */
export function directorAgentTokenSecret(): Obj<k8s.types.input.core.v1.Secret> {
  return {
    metadata: {
      name: DIRECTOR_AGENT_TOKEN_SECRET,
      namespace: LVS_NAMESPACE,
      labels,
      annotations: { "kubernetes.io/service-account.name": DIRECTOR_AGENT },
    },
    type: "kubernetes.io/service-account-token",
  };
}

/** Read Services and EndpointSlices anywhere; report refused Services as Events. Nothing else. */
export function directorAgentClusterRole(): Obj<k8s.types.input.rbac.v1.ClusterRole> {
  return {
    metadata: { name: DIRECTOR_AGENT, labels },
    rules: [
      { apiGroups: [""], resources: ["services"], verbs: ["get", "list", "watch"] },
      { apiGroups: ["discovery.k8s.io"], resources: ["endpointslices"], verbs: ["get", "list", "watch"] },
      { apiGroups: ["", "events.k8s.io"], resources: ["events"], verbs: ["create", "patch"] },
    ],
  };
}

export function directorAgentClusterRoleBinding(): Obj<k8s.types.input.rbac.v1.ClusterRoleBinding> {
  return {
    metadata: { name: DIRECTOR_AGENT, labels },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: DIRECTOR_AGENT },
    subjects: [{ kind: "ServiceAccount", name: DIRECTOR_AGENT, namespace: LVS_NAMESPACE }],
  };
}

/**
 * The agent's kubeconfig. It talks to the masters directly, not through the
 * API VIP: in `apiServer.mode: lvs` that VIP is served by the very directors
 * the agent runs on.
 */
export function directorAgentKubeconfig(model: DatacenterModel, caCertPem: string, token: string): string {
  const master = model.masters[0];
  const server = `https://${master ? master.ip : model.api.host}:${model.api.port}`;
  return stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [
      {
        name: model.name,
        cluster: { server, "certificate-authority-data": Buffer.from(caCertPem).toString("base64") },
      },
    ],
    users: [{ name: DIRECTOR_AGENT, user: { token } }],
    contexts: [{ name: DIRECTOR_AGENT, context: { cluster: model.name, user: DIRECTOR_AGENT } }],
    "current-context": DIRECTOR_AGENT,
  });
}

/** The systemd unit that runs the agent on a director. */
export function directorAgentUnit(model: DatacenterModel): string {
  const image = imagesFor(model).lvsDirectorSync;
  const p = directorAgentPaths;
  return [
    `# Generated by private-cloud FullnatLVS (${model.name}); do not edit.`,
    `[Unit]`,
    `Description=lvs-director-agent: virtual servers follow the pods, VIPs and LIPs stay on this director`,
    `After=network-online.target bird.service`,
    `Wants=network-online.target`,
    ``,
    `[Service]`,
    // The binary comes out of the image the platform builds; the agent runs
    // on the host because it drives the host's ipvsadm, dpip and ip.
    `ExecStartPre=/bin/sh -c 'c=$(podman create ${image}) && podman cp "$c":${p.imageBinary} ${p.binary}.new && podman rm "$c" >/dev/null && mv ${p.binary}.new ${p.binary}'`,
    `ExecStart=${p.binary} --config=${p.config} --kubeconfig=${p.kubeconfig}`,
    // A crash must not leave the director stale for long; the agent resyncs on start.
    `Restart=always`,
    `RestartSec=2`,
    `StateDirectory=lvs-director-agent`,
    `CapabilityBoundingSet=CAP_NET_ADMIN CAP_NET_RAW CAP_SYS_ADMIN`,
    `NoNewPrivileges=true`,
    `ProtectHome=true`,
    ``,
    `[Install]`,
    `WantedBy=multi-user.target`,
    ``,
  ].join("\n");
}

/** The SSH script that installs (or updates) the agent on a director. */
export function directorAgentInstallScript(
  model: DatacenterModel,
  director: string,
  kubeconfig: string,
): string {
  const p = directorAgentPaths;
  const b64 = (s: string) => shQuote(Buffer.from(s, "utf8").toString("base64"));
  return [
    `#!/bin/bash`,
    `# Generated by private-cloud FullnatLVS for ${director} (${model.name}); do not edit.`,
    `set -euo pipefail`,
    `command -v podman >/dev/null 2>&1 || { echo "director ${director}: podman is not installed (expected it to fetch the agent image)" >&2; exit 1; }`,
    `command -v ipvsadm >/dev/null 2>&1 || { echo "director ${director}: ipvsadm is not installed (expected the ${model.config.lvs?.implementation} ipvsadm)" >&2; exit 1; }`,
    `sudo install -d -m 0750 ${p.dir} /usr/local/libexec`,
    `printf '%s' ${b64(`${JSON.stringify(directorAgentConfig(model, director), null, 2)}\n`)} | base64 -d | sudo tee ${p.config} >/dev/null`,
    `printf '%s' ${b64(kubeconfig)} | base64 -d | sudo install -m 0600 /dev/stdin ${p.kubeconfig}`,
    `printf '%s' ${b64(directorAgentUnit(model))} | base64 -d | sudo tee ${p.unit} >/dev/null`,
    `sudo systemctl daemon-reload`,
    `sudo systemctl enable lvs-director-agent >/dev/null`,
    // Restart: the agent resyncs from the director's state on start, so a
    // restart changes nothing on the data plane unless the config did.
    `sudo systemctl restart lvs-director-agent`,
    `echo "director ${director}: lvs-director-agent installed"`,
    ``,
  ].join("\n");
}

/** Hostnames of the directors the agent runs on. */
export function agentDirectors(model: DatacenterModel): string[] {
  return directorHosts(model).map((h) => h.hostname);
}
