/**
 * FullnatLVS: the L4 tier of one datacenter (seed part 4). FULLNAT directors
 * (DPVS or Alibaba's LVS, `lvs.implementation`) announce every VIP as a /32
 * over BGP from every director, so the routers spread traffic over them with
 * ECMP and drop a director whose sessions die. Director configuration is
 * rendered by pure builders and pushed over SSH; the VIP → pod mapping is
 * kept current in-cluster by lvs-director-sync from the Services that carry
 * a VIP (the ingress tier creates them with `lvsServiceMetadata`).
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
  DIRECTOR_SYNC,
  DIRECTOR_SYNC_SSH_SECRET,
  LVS_NAMESPACE,
  directorSyncClusterRole,
  directorSyncClusterRoleBinding,
  directorSyncConfigMap,
  directorSyncDeployment,
  directorSyncDisruptionBudget,
  directorSyncLeaseRole,
  directorSyncLeaseRoleBinding,
  directorSyncServiceAccount,
  lvsNamespace,
} from "./sync";
import { vipAssignments, type VipAssignment } from "./vips";

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
  /**
   * SSH private key the in-cluster lvs-director-sync pushes virtual servers
   * with (stored in Secret lvs-director-sync-ssh). Give it a key of its own,
   * allowed only on the directors: whoever reads that Secret can log in
   * where the key is accepted. Default: none — the controller then renders
   * and reports but pushes nothing.
   */
  readonly directorSyncSshPrivateKey?: pulumi.Input<string>;
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

    // --- In-cluster: director-sync -----------------------------------------
    const ns = new k8s.core.v1.Namespace(`${name}-ns`, lvsNamespace(), { parent: this });
    this.namespace = ns.metadata.name;
    const inNs = { parent: this, dependsOn: [ns] };
    const deps: pulumi.Resource[] = [
      new k8s.core.v1.ServiceAccount(`${name}-sync-sa`, directorSyncServiceAccount(), inNs),
      new k8s.rbac.v1.ClusterRole(`${name}-sync-role`, directorSyncClusterRole(), { parent: this }),
      new k8s.rbac.v1.ClusterRoleBinding(`${name}-sync-binding`, directorSyncClusterRoleBinding(), {
        parent: this,
      }),
      new k8s.rbac.v1.Role(`${name}-sync-leader-role`, directorSyncLeaseRole(), inNs),
      new k8s.rbac.v1.RoleBinding(`${name}-sync-leader-binding`, directorSyncLeaseRoleBinding(), inNs),
      new k8s.core.v1.ConfigMap(`${name}-sync-config`, directorSyncConfigMap(model), inNs),
    ];
    if (access.enabled && args.directorSyncSshPrivateKey !== undefined) {
      deps.push(
        new k8s.core.v1.Secret(
          `${name}-sync-ssh`,
          {
            metadata: { name: DIRECTOR_SYNC_SSH_SECRET, namespace: LVS_NAMESPACE },
            type: "Opaque",
            stringData: { id: pulumi.secret(args.directorSyncSshPrivateKey) },
          },
          inNs,
        ),
      );
    }
    new k8s.apps.v1.Deployment(`${name}-${DIRECTOR_SYNC}`, directorSyncDeployment(model), {
      parent: this,
      dependsOn: [ns, ...deps],
    });
    new k8s.policy.v1.PodDisruptionBudget(
      `${name}-${DIRECTOR_SYNC}-pdb`,
      directorSyncDisruptionBudget(),
      inNs,
    );

    this.registerOutputs({
      namespace: this.namespace,
      vips: this.vips,
      announcedVips: this.announcedVips,
      directorConfigs: this.directorConfigs,
    });
  }
}
