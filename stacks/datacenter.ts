/**
 * One datacenter: the validated model in, the whole platform out. Data flows
 * one way: config → model → components → Kubernetes / command resources.
 */
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import type { DatacenterModel } from "./model";
import { platformOwnership } from "./ownership";
import { requireReachableCluster, type ClaimSize } from "./cluster";
import { MasterHA } from "../components/master-ha";
import { MinionPool } from "../components/minion-pool";
import { CalicoBGP, calicoMonitoring } from "../components/calico-bgp";
import { FullnatLVS } from "../components/fullnat-lvs";
import { lvsMonitoring } from "../components/fullnat-lvs/monitoring";
import { IngressTier, ingressMonitoring } from "../components/ingress-tier";
import { LoggingStack } from "../components/logging-stack";
import {
  esNames,
  LOGGING_NAMESPACE,
  MASTER_STORAGE_GIB,
  replicasOf,
} from "../components/logging-stack/elasticsearch";
import { MonitoringStack, type MonitoringContributions } from "../components/monitoring-stack";
import {
  CLUSTER_DNS,
  mergeContributions,
  withPodAddresses,
  type NetworkContribution,
} from "../components/common/network-policy";
import { monitoringNetwork } from "../components/monitoring-stack/network";
import { loggingNetwork } from "../components/logging-stack/network";
import { ingressNetwork } from "../components/ingress-tier/network";
import { calicoNetwork } from "../components/calico-bgp/network";
import { lvsNetwork } from "../components/fullnat-lvs/network";
import { minionNetwork } from "../components/minion-pool/network";
import { controlPlaneNetwork } from "../components/master-ha/network";

export interface DatacenterOptions {
  /** SSH private key for host work (secret). Required when hostAccess is enabled. */
  readonly sshPrivateKey?: pulumi.Input<string>;
  /**
   * Kubeconfig contents to use instead of the one MasterHA fetches. Default:
   * the file at `hostAccess.kubeconfigPath` when host access is off.
   */
  readonly kubeconfig?: pulumi.Input<string>;
  /** Directory relative paths in config are resolved against. Default: the working directory. */
  readonly projectDir?: string;
  /**
   * Ask the API server's `/readyz` before planning anything when the
   * kubeconfig is a file (host access off), and fail clearly when it does
   * not answer (stacks/cluster.ts). Default: true.
   */
  readonly checkCluster?: boolean;
}

export interface Datacenter {
  readonly model: DatacenterModel;
  readonly masters: MasterHA;
  readonly minions: MinionPool;
  readonly provider: k8s.Provider;
  readonly calico: CalicoBGP;
  /** The FULLNAT LVS tier (absent when the datacenter has no `lvs` section). */
  readonly lvs: FullnatLVS | undefined;
  readonly logging: LoggingStack;
  readonly monitoring: MonitoringStack;
  /** One ingress tier per configured business, in config order. */
  readonly ingress: IngressTier[];
  /** What every component contributes to monitoring, keyed by contributor. */
  readonly contributions: MonitoringContributions;
}

function kubeconfigFor(model: DatacenterModel, options: DatacenterOptions): pulumi.Input<string> | undefined {
  if (options.kubeconfig !== undefined) return options.kubeconfig;
  // PRIVATE_CLOUD_KUBECONFIG points a host-less stack at another running
  // cluster (the end-to-end tests' own simulated datacenter) without editing
  // the stack file.
  const file = process.env.PRIVATE_CLOUD_KUBECONFIG || model.config.hostAccess.kubeconfigPath;
  if (model.config.hostAccess.enabled || !file) return undefined;
  const full = path.resolve(options.projectDir ?? process.cwd(), file);
  if (!fs.existsSync(full)) {
    throw new pulumi.RunError(
      `private-cloud:hostAccess.kubeconfigPath: ${JSON.stringify(file)} does not exist (expected the kubeconfig of the running cluster; for the simulated datacenter run \`npm run sim:up\` first)`,
    );
  }
  const text = fs.readFileSync(full, "utf8");
  if (options.checkCluster === false) return pulumi.secret(text);
  // The provider waits for this: nothing is planned against a cluster that is not there.
  return pulumi.secret(
    pulumi.output(
      requireReachableCluster(text, file, claimSizes(model)).then(
        () => text,
        (e: Error) => {
          throw new pulumi.RunError(e.message);
        },
      ),
    ),
  );
}

/**
 * The Elasticsearch claims, checked against the running cluster before
 * anything is planned (stacks/cluster.ts): a resize of
 * `logging.dataStorageGiB` (it replaced the fixed-name es-data StatefulSet),
 * and claims that cannot bind (a Released volume of a deleted claim, too
 * few Available volumes of the class).
 */
export function claimSizes(model: DatacenterModel): ClaimSize[] {
  const log = model.config.logging;
  return (["master", "data"] as const).map((r) => ({
    namespace: LOGGING_NAMESPACE,
    statefulSet: esNames.role(r),
    claim: "data",
    storageGiB: r === "data" ? log.dataStorageGiB : MASTER_STORAGE_GIB,
    configPath: r === "data" ? "private-cloud:logging.dataStorageGiB" : "the Elasticsearch master size",
    replicas: replicasOf(model, r),
    storageClass: log.storageClass,
  }));
}

export function deployDatacenter(model: DatacenterModel, options: DatacenterOptions = {}): Datacenter {
  const dc = model.name;
  const masters = new MasterHA(`${dc}-masters`, {
    model,
    sshPrivateKey: options.sshPrivateKey,
    kubeconfig: kubeconfigFor(model, options),
  });
  if (!masters.kubeconfig) {
    throw new pulumi.RunError(
      `${dc}: no kubeconfig: host access is off and private-cloud:hostAccess.kubeconfigPath is not set`,
    );
  }
  // Server-side apply: field ownership is explicit, and objects other
  // controllers also write (node labels, HPA-managed replicas) do not flap.
  // ConfigMaps and Secrets with a fixed name are updated in place (one
  // PATCH) instead of replaced delete-first: an interrupted update can no
  // longer leave a workload's config deleted (issue 14). Those whose change
  // must roll their workload are named by their content instead
  // (components/common/digest.ts contentName), so they are still replaced,
  // create-before-delete.
  const provider = new k8s.Provider(`${dc}-k8s`, {
    kubeconfig: masters.kubeconfig,
    enableServerSideApply: true,
    enableConfigMapMutable: true,
    enableSecretMutable: true,
  });
  // The platform owns the fields it sets: a kubectl edit is drift that
  // `pulumi up --refresh` takes back (stacks/ownership.ts).
  const opts = { providers: { kubernetes: provider }, transformations: [platformOwnership] };

  const minions = new MinionPool(
    `${dc}-minions`,
    {
      model,
      apiEndpoint: masters.endpoint,
      kubeconfig: masters.kubeconfig,
      sshPrivateKey: options.sshPrivateKey,
      dependsOn: masters.installs,
    },
    opts,
  );

  // Pod networking first: nothing else gets an address without it.
  const calico = new CalicoBGP(`${dc}-calico`, { model, nodesReady: [minions] }, opts);
  const lvs = model.config.lvs
    ? new FullnatLVS(
        `${dc}-lvs`,
        { model, sshPrivateKey: options.sshPrivateKey },
        { ...opts, dependsOn: [calico] },
      )
    : undefined;

  const protectData = model.config.datacenter.protectData;
  const logging = new LoggingStack(`${dc}-logging`, { model, protectData }, opts);
  const ingress = model.config.businesses.map(
    (b) =>
      new IngressTier(
        `${dc}-ingress-${b.name}`,
        {
          model,
          business: b.name,
          logShipping: {
            hosts: logging.clientUrls,
            username: logging.logWriterUsername,
            password: logging.logWriterPassword,
            caCert: logging.httpCaCert,
          },
        },
        opts,
      ),
  );

  // Every component's alert rules, scrape jobs and dashboards meet here,
  // each in one shape and keyed by its contributor.
  const contributions: MonitoringContributions = {
    masters: masters.monitoring,
    calico: calicoMonitoring(),
    ...(lvs ? { lvs: lvsMonitoring(model) } : {}),
    ingress: ingressMonitoring(),
    logging: logging.monitoring,
  };
  const monitoring = new MonitoringStack(`${dc}-monitoring`, { model, protectData, contributions }, opts);

  return { model, masters, minions, provider, calico, lvs, logging, ingress, monitoring, contributions };
}

/**
 * Every NetworkPolicy the platform stack creates, with the endpoints they
 * concern (the pods each component runs, the hosts, the cluster DNS), pods
 * addressed from the pod CIDR: the input of the reachability matrix
 * (`reachability` in components/common/network-policy.ts). Each component
 * builds its own part; the components create the same policies as resources.
 * `extra` adds what the platform stack does not hold (a release's BusinessApp).
 */
export function datacenterNetwork(
  model: DatacenterModel,
  ...extra: NetworkContribution[]
): NetworkContribution {
  const dns: NetworkContribution = {
    policies: [],
    endpoints: [
      {
        name: `${CLUSTER_DNS.namespace}/coredns`,
        namespace: CLUSTER_DNS.namespace,
        labels: CLUSTER_DNS.labels,
        ports: CLUSTER_DNS.ports,
      },
    ],
  };
  const merged = mergeContributions(
    controlPlaneNetwork(model),
    minionNetwork(),
    calicoNetwork(model),
    lvsNetwork(model),
    loggingNetwork(model),
    ...model.config.businesses.map((b) => ingressNetwork(model, b)),
    monitoringNetwork(model),
    dns,
    ...extra,
  );
  return {
    policies: merged.policies,
    endpoints: withPodAddresses(model.config.network.podCidr, merged.endpoints),
  };
}
