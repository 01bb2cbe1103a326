/**
 * FullnatLVS: the L4 tier of one datacenter (seed part 4). FULLNAT directors
 * (DPVS or Alibaba's LVS, `lvs.implementation`) announce every VIP as a /32
 * over BGP from every director, so the routers spread traffic over them with
 * ECMP and drop a director whose sessions die. Director configuration is
 * rendered by pure builders and pushed over SSH; the VIP → pod mapping is
 * kept current by lvs-director-agent, one per director (installed over SSH
 * as a systemd unit), from the Services that carry a VIP (the ingress tier
 * creates them with `lvsServiceMetadata`).
 *
 * With `hostAccess.enabled: false` (the simulated datacenter) the director
 * configs are rendered as outputs and nothing is pushed.
 */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import * as command from "@pulumi/command";
import type { DatacenterModel } from "../../stacks/model";
import { directorApplyScript, directorFiles } from "./apply";
import { announcedVips, directorHosts } from "./directors";
import {
  DIRECTOR_AGENT_TOKEN_SECRET,
  LVS_NAMESPACE,
  directorAgentClusterRole,
  directorAgentClusterRoleBinding,
  directorAgentInstallScript,
  directorAgentKubeconfig,
  directorAgentServiceAccount,
  directorAgentTokenSecret,
  directorAgentUnit,
  lvsNamespace,
} from "./sync";
import { vipAssignments, type VipAssignment } from "./vips";
import { lvsNetwork } from "./network";
import { networkPolicyResources } from "../common/network-policy-resources";

export { vipAssignments } from "./vips";
export { lvsServiceMetadata, LVS_VIP_ANNOTATION, LVS_SERVICE_LABEL } from "./contract";
export { lvsRuleGroups, lvsScrapeConfigs, lvsDashboard } from "./monitoring";

export interface FullnatLVSArgs {
  /** The validated datacenter model; must have an `lvs` section. */
  readonly model: DatacenterModel;
  /**
   * SSH private key (a Pulumi secret) the directors are configured with,
   * as user `hostAccess.sshUser` on port `hostAccess.sshPort`. Required when
   * `hostAccess.enabled`; ignored otherwise. Default: none.
   */
  readonly sshPrivateKey?: pulumi.Input<string>;
}

export class FullnatLVS extends pulumi.ComponentResource {
  /** "lvs-system". */
  readonly namespace: pulumi.Output<string>;
  /** Business VIPs (per business, with their ports). */
  readonly vips: VipAssignment[];
  /** Every /32 the directors announce (API VIP included), sorted. */
  readonly announcedVips: string[];
  /** Rendered keepalived.conf and bird.conf per director hostname. */
  readonly directorConfigs: Record<string, { keepalived: string; bird: string }>;
  /** One SSH push per director (empty when host access is off). */
  readonly pushes: command.remote.Command[] = [];
  /** One lvs-director-agent install per director (empty when host access is off). */
  readonly agentInstalls: command.remote.Command[] = [];
  /** The agent's systemd unit (rendered even when nothing is pushed). */
  readonly agentUnit: string;

  constructor(name: string, args: FullnatLVSArgs, opts?: pulumi.ComponentResourceOptions) {
    super("private-cloud:network:FullnatLVS", name, {}, opts);
    const { model } = args;
    const lvs = model.config.lvs;
    if (!lvs) throw new Error(`${name}: datacenter ${model.name} has no private-cloud:lvs section`);
    const access = model.config.hostAccess;

    this.vips = vipAssignments(model);
    this.announcedVips = announcedVips(model);
    this.directorConfigs = Object.fromEntries(
      directorHosts(model).map((h) => [h.hostname, directorFiles(model, h.hostname)]),
    );

    // --- Directors (hosts) -------------------------------------------------
    if (!access.enabled) {
      pulumi.log.info(
        `host access is off (${access.disabledReason}): director configs for ${lvs.directors.join(", ")} are rendered as outputs, nothing is pushed`,
        this,
      );
    } else {
      if (args.sshPrivateKey === undefined)
        throw new Error(
          `${name}: hostAccess.enabled is true but no SSH private key was given (set it with \`pulumi config set --secret private-cloud:sshPrivateKey < key\`)`,
        );
      for (const h of directorHosts(model)) {
        const files = this.directorConfigs[h.hostname];
        this.pushes.push(
          new command.remote.Command(
            `${name}-${h.hostname}`,
            {
              connection: {
                host: h.ip,
                port: access.sshPort,
                user: access.sshUser,
                privateKey: args.sshPrivateKey,
              },
              create: directorApplyScript(model, h.hostname, files),
              // Re-run whenever the rendered files change.
              triggers: [files.keepalived, files.bird],
            },
            { parent: this },
          ),
        );
      }
    }

    // --- lvs-director-agent: identity in the cluster, one agent per director ---
    const ns = new k8s.core.v1.Namespace(`${name}-ns`, lvsNamespace(), { parent: this });
    this.namespace = ns.metadata.name;
    const inNs = { parent: this, dependsOn: [ns] };
    networkPolicyResources(name, lvsNetwork(model).policies, inNs);
    const sa = new k8s.core.v1.ServiceAccount(`${name}-agent-sa`, directorAgentServiceAccount(), inNs);
    new k8s.rbac.v1.ClusterRole(`${name}-agent-role`, directorAgentClusterRole(), { parent: this });
    new k8s.rbac.v1.ClusterRoleBinding(`${name}-agent-binding`, directorAgentClusterRoleBinding(), {
      parent: this,
    });
    const tokenSecret = new k8s.core.v1.Secret(`${name}-agent-token`, directorAgentTokenSecret(), {
      parent: this,
      dependsOn: [ns, sa],
    });
    this.agentUnit = directorAgentUnit(model);
    if (access.enabled && args.sshPrivateKey !== undefined) {
      // The token controller fills the Secret after it is created: read it back.
      const token = k8s.core.v1.Secret.get(
        `${name}-agent-token-read`,
        pulumi.interpolate`${LVS_NAMESPACE}/${DIRECTOR_AGENT_TOKEN_SECRET}`,
        { parent: this, dependsOn: [tokenSecret] },
      );
      const kubeconfig = pulumi.secret(
        pulumi
          .all([token.data])
          .apply(([d]) =>
            directorAgentKubeconfig(
              model,
              Buffer.from(d?.["ca.crt"] ?? "", "base64").toString("utf8"),
              Buffer.from(d?.token ?? "", "base64").toString("utf8"),
            ),
          ),
      );
      for (const h of directorHosts(model)) {
        this.agentInstalls.push(
          new command.remote.Command(
            `${name}-${h.hostname}-agent`,
            {
              connection: {
                host: h.ip,
                port: access.sshPort,
                user: access.sshUser,
                privateKey: args.sshPrivateKey,
              },
              create: kubeconfig.apply((kc) => directorAgentInstallScript(model, h.hostname, kc)),
              triggers: [kubeconfig, this.agentUnit],
            },
            // After the director's own config: the agent's VIP interface and BIRD exist then.
            { parent: this, dependsOn: [...this.pushes] },
          ),
        );
      }
    }

    this.registerOutputs({
      namespace: this.namespace,
      vips: this.vips,
      announcedVips: this.announcedVips,
      directorConfigs: this.directorConfigs,
      agentUnit: this.agentUnit,
    });
  }
}
