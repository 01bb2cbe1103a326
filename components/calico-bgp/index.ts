/**
 * CalicoBGP: the pod network of one datacenter (seed part 3). Calico in its
 * own privileged namespace, BIRD peering over BGP with the routers — each
 * node with its rack's ToR (`tor`) or through route reflectors
 * (`routeReflector`) — with no node-to-node mesh, pure L3 (no IPIP, no
 * VXLAN), the LVS → pod traffic exempted from conntrack, and Felix/BGP
 * health exported as alert data.
 *
 * Ordering: CRDs → Calico configuration CRs → calico-node/kube-controllers.
 * calico-node and kube-controllers create `default` FelixConfiguration,
 * KubeControllersConfiguration and pools of their own when none exist, so
 * ours must be in place before they start (else our create would conflict).
 */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { POD_REPLACE_SECONDS, withRolloutAwait } from "../common/rollout";
import type { DatacenterModel } from "../../stacks/model";
import { calicoCrd, CALICO_KINDS } from "./crds";
import {
  bgpConfiguration,
  bgpPeers,
  ipPools,
  routeReflectorNodePatches,
  type CalicoObject,
} from "./topology";
import { felixConfiguration, kubeControllersConfiguration, lvsUntrackedPolicy } from "./dataplane";
import {
  calicoNamespace,
  calicoNodeDaemonSet,
  calicoNodeRules,
  clusterRole,
  clusterRoleBinding,
  cniConfigMap,
  cniPluginRules,
  kubeControllersDeployment,
  kubeControllersRules,
  serviceAccount,
} from "./workloads";
import { CALICO_CNI_PLUGIN, CALICO_KUBE_CONTROLLERS, CALICO_NAMESPACE, CALICO_NODE } from "./names";
import { calicoNetwork } from "./network";
import { networkPolicyResources } from "../common/network-policy-resources";

export { calicoMonitoring, calicoRuleGroups, calicoScrapeConfigs, calicoJobs } from "./monitoring";
export { CALICO_NAMESPACE } from "./names";

export interface CalicoBGPArgs {
  /** The validated datacenter model (bgp, network, lvs sections and racks). */
  readonly model: DatacenterModel;
  /**
   * Resources the route-reflector NodePatches wait for: the Node objects must
   * exist (pass the MinionPool that joins the nodes). Default: none.
   */
  readonly nodesReady?: pulumi.Input<pulumi.Resource>[];
}

export class CalicoBGP extends pulumi.ComponentResource {
  /** "calico-system". */
  readonly namespace: pulumi.Output<string>;
  /** "tor" or "routeReflector". */
  readonly bgpMode: string;
  /** Names of the BGPPeer resources (one per ToR router, or the RR set). */
  readonly peerNames: string[];
  /** CIDRs of the Calico IPPools, after per-rack carving. */
  readonly ipPoolCidrs: string[];
  /** Whether the LVS → pod conntrack bypass policy was created. */
  readonly conntrackBypass: boolean;
  readonly calicoNode: k8s.apps.v1.DaemonSet;

  constructor(name: string, args: CalicoBGPArgs, opts?: pulumi.ComponentResourceOptions) {
    super("private-cloud:network:CalicoBGP", name, {}, opts);
    const { model } = args;
    const child = { parent: this };

    const ns = new k8s.core.v1.Namespace(`${name}-ns`, calicoNamespace(), child);
    this.namespace = ns.metadata.name;

    const crds = new Map<string, k8s.apiextensions.v1.CustomResourceDefinition>();
    // By kind, not by position in a second list: the resource name follows the kind.
    for (const kind of CALICO_KINDS)
      crds.set(
        kind.kind,
        new k8s.apiextensions.v1.CustomResourceDefinition(
          `${name}-crd-${kind.plural}`,
          calicoCrd(kind),
          child,
        ),
      );
    const cr = <S>(suffix: string, obj: CalicoObject<S>) => {
      const def = crds.get(obj.kind);
      if (!def) throw new Error(`no CRD for ${obj.kind}`);
      return new k8s.apiextensions.CustomResource(
        `${name}-${suffix}`,
        { ...obj },
        { parent: this, dependsOn: [def] },
      );
    };

    const config: pulumi.Resource[] = [];
    config.push(cr("bgp-default", bgpConfiguration(model)));
    const peers = bgpPeers(model);
    peers.forEach((p) => config.push(cr(`peer-${p.metadata.name}`, p)));
    const pools = ipPools(model);
    pools.forEach((p) => config.push(cr(`pool-${p.metadata.name}`, p)));
    config.push(cr("felix-default", felixConfiguration(model)));
    const untracked = lvsUntrackedPolicy(model);
    if (untracked) config.push(cr(`policy-${untracked.metadata.name}`, untracked));
    const kcc = cr("kube-controllers-default", kubeControllersConfiguration());

    // Route reflectors: label + cluster ID on the existing Node objects.
    routeReflectorNodePatches(model).forEach((p) =>
      config.push(
        new k8s.core.v1.NodePatch(
          `${name}-rr-${p.node}`,
          { metadata: { name: p.node, labels: p.labels, annotations: p.annotations } },
          { parent: this, dependsOn: args.nodesReady ?? [] },
        ),
      ),
    );

    const inNs = { parent: this, dependsOn: [ns] };
    networkPolicyResources(name, calicoNetwork(model).policies, inNs);
    const rbac: pulumi.Resource[] = [];
    for (const [id, rules] of [
      [CALICO_NODE, calicoNodeRules],
      [CALICO_CNI_PLUGIN, cniPluginRules],
      [CALICO_KUBE_CONTROLLERS, kubeControllersRules],
    ] as const) {
      rbac.push(
        new k8s.core.v1.ServiceAccount(`${name}-${id}-sa`, serviceAccount(id), inNs),
        new k8s.rbac.v1.ClusterRole(`${name}-${id}-role`, clusterRole(id, [...rules]), child),
        new k8s.rbac.v1.ClusterRoleBinding(`${name}-${id}-binding`, clusterRoleBinding(id), child),
      );
    }
    const cni = new k8s.core.v1.ConfigMap(`${name}-cni-config`, cniConfigMap(), inNs);

    this.calicoNode = new k8s.apps.v1.DaemonSet(
      `${name}-${CALICO_NODE}`,
      withRolloutAwait(calicoNodeDaemonSet(model), model.inventory.hosts, POD_REPLACE_SECONDS.calicoNode),
      { parent: this, dependsOn: [ns, cni, ...rbac, ...config] },
    );
    new k8s.apps.v1.Deployment(`${name}-${CALICO_KUBE_CONTROLLERS}`, kubeControllersDeployment(model), {
      parent: this,
      dependsOn: [ns, ...rbac, kcc, ...config],
    });

    this.bgpMode = model.config.bgp.mode;
    this.peerNames = peers.map((p) => p.metadata.name);
    this.ipPoolCidrs = pools.map((p) => p.spec.cidr);
    this.conntrackBypass = untracked !== undefined;
    this.registerOutputs({
      namespace: this.namespace,
      bgpMode: this.bgpMode,
      peerNames: this.peerNames,
      ipPoolCidrs: this.ipPoolCidrs,
      conntrackBypass: this.conntrackBypass,
      calicoNamespace: CALICO_NAMESPACE,
    });
  }
}
