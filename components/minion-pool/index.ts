/**
 * MinionPool: every non-master host of the datacenter.
 *
 * Host work (checks + join with CMDB labels) is one command per rack; runtime
 * tuning is one DaemonSet per machine class. So the resource count grows with
 * racks and machine types, not with hosts: 1,000 minions in 40 racks of 6
 * types is ~40 + 2×6 resources, not thousands.
 */
import * as crypto from "crypto";
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { POD_REPLACE_SECONDS, withRolloutAwait } from "../common/rollout";
import * as command from "@pulumi/command";
import * as random from "@pulumi/random";
import { parse } from "yaml";
import type { DatacenterModel } from "../../stacks/model";
import { imagesFor } from "../../stacks/images";
import { managedBy } from "../../stacks/labels";
import { namespaceSpec } from "../common/namespace";
import { minionNetwork } from "./network";
import { networkPolicyResources } from "../common/network-policy-resources";
import { hostBootstrapScript, rackBootstrapScript } from "./bootstrap";
import { machineClasses, tuningProfile, type TuningProfile } from "./tuning";
import { TUNING_NAMESPACE, tuningObjects } from "./daemonset";

export interface MinionPoolArgs {
  /** The validated datacenter model. */
  readonly model: DatacenterModel;
  /** The API endpoint minions join (`https://host:port`), from MasterHA. */
  readonly apiEndpoint: string;
  /** Admin kubeconfig (secret), from MasterHA: used to keep node labels in sync with the CMDB. */
  readonly kubeconfig?: pulumi.Input<string>;
  /** SSH private key (secret). Required when `hostAccess.enabled` (the default). */
  readonly sshPrivateKey?: pulumi.Input<string>;
  /** Resources the host work must wait for (the masters' rollout). Default: none. */
  readonly dependsOn?: pulumi.Input<pulumi.Resource>[];
}

/**
 * `sha256:<hex>` of the cluster CA's public key (SubjectPublicKeyInfo), the
 * discovery pin a joining node checks the API server's CA against.
 */
export function caCertHash(kubeconfig: string): string {
  const doc = parse(kubeconfig) as { clusters?: { cluster?: { "certificate-authority-data"?: string } }[] };
  const data = doc?.clusters?.[0]?.cluster?.["certificate-authority-data"];
  if (!data) throw new Error("kubeconfig has no certificate-authority-data to pin the join against");
  const cert = new crypto.X509Certificate(Buffer.from(data, "base64"));
  const spki = cert.publicKey.export({ type: "spki", format: "der" });
  return `sha256:${crypto.createHash("sha256").update(spki).digest("hex")}`;
}

export class MinionPool extends pulumi.ComponentResource {
  /** The tuning profile applied to each machine type. */
  readonly profiles: readonly TuningProfile[];
  /** One bootstrap command per rack that holds minions (empty when host access is off). */
  readonly rackCommands: command.local.Command[] = [];
  readonly tuningDaemonSets: k8s.apps.v1.DaemonSet[] = [];

  constructor(name: string, args: MinionPoolArgs, opts?: pulumi.ComponentResourceOptions) {
    super("private-cloud:cluster:MinionPool", name, {}, opts);
    const { model } = args;
    const images = imagesFor(model);

    // --- Runtime tuning: one DaemonSet per machine class -----------------------
    const classes = machineClasses(model.minions);
    this.profiles = classes.map((c) => tuningProfile(c, model.config.minions.tuning[c.machineType]));
    const ns = new k8s.core.v1.Namespace(
      `${name}-node-tuning`,
      namespaceSpec(TUNING_NAMESPACE, "privileged", "node-tuning"),
      { parent: this },
    );
    networkPolicyResources(name, minionNetwork().policies, { parent: this, dependsOn: [ns] });
    const sa = new k8s.core.v1.ServiceAccount(
      `${name}-node-tuning`,
      {
        metadata: { name: "node-tuning", namespace: TUNING_NAMESPACE, labels: { ...managedBy } },
        automountServiceAccountToken: false,
      },
      { parent: this, dependsOn: [ns] },
    );
    for (const profile of this.profiles) {
      const objs = tuningObjects(profile, images.nodeTuning, "node-tuning");
      const cm = new k8s.core.v1.ConfigMap(`${name}-tune-${profile.machineType}`, objs.configMap, {
        parent: this,
        dependsOn: [ns],
      });
      this.tuningDaemonSets.push(
        new k8s.apps.v1.DaemonSet(
          `${name}-tune-${profile.machineType}`,
          withRolloutAwait(objs.daemonSet, model.inventory.hosts, POD_REPLACE_SECONDS.tuning),
          { parent: this, dependsOn: [cm, sa] },
        ),
      );
    }

    // --- Host bootstrap: one command per rack ----------------------------------
    const access = model.config.hostAccess;
    if (!access.enabled) {
      pulumi.log.info(
        `host access is off (${access.disabledReason}): minion checks and joins are not run; nodes are expected to be registered already`,
        this,
      );
    } else {
      if (args.sshPrivateKey === undefined || args.kubeconfig === undefined) {
        throw new Error(
          `${name}: hostAccess.enabled is true but the SSH private key or the admin kubeconfig is missing`,
        );
      }
      // A long-lived bootstrap token (the installer's join credential). It is
      // random once and then stable, so re-runs do not touch every rack.
      const tokenId = new random.RandomString(
        `${name}-join-token-id`,
        { length: 6, special: false, upper: false },
        { parent: this },
      );
      const tokenSecret = new random.RandomString(
        `${name}-join-token-secret`,
        { length: 16, special: false, upper: false },
        { parent: this },
      );
      const tokenObject = new k8s.core.v1.Secret(
        `${name}-join-token`,
        {
          metadata: {
            name: pulumi.interpolate`bootstrap-token-${tokenId.result}`,
            namespace: "kube-system",
            labels: { ...managedBy },
          },
          type: "bootstrap.kubernetes.io/token",
          stringData: {
            "token-id": tokenId.result,
            "token-secret": tokenSecret.result,
            "usage-bootstrap-authentication": "true",
            "usage-bootstrap-signing": "true",
            "auth-extra-groups": "system:bootstrappers:private-cloud:minions",
            description: `minion join token of ${model.name}, managed by private-cloud`,
          },
        },
        { parent: this },
      );
      const hostScript = hostBootstrapScript(model, images.installer, args.apiEndpoint);
      const environment = {
        SSH_PRIVATE_KEY: pulumi.secret(args.sshPrivateKey),
        JOIN_TOKEN: pulumi.secret(pulumi.interpolate`${tokenId.result}.${tokenSecret.result}`),
        CA_CERT_HASH: pulumi.output(args.kubeconfig).apply(caCertHash),
        KUBECONFIG_CONTENT: pulumi.secret(args.kubeconfig),
      };
      for (const rack of model.racks) {
        if (!rack.hosts.some((h) => !model.config.masters.hostnames.includes(h.hostname))) continue;
        this.rackCommands.push(
          new command.local.Command(
            `${name}-rack-${rack.name}`,
            {
              create: rackBootstrapScript(model, rack, hostScript),
              environment,
              interpreter: ["/bin/bash", "-c"],
            },
            { parent: this, dependsOn: [tokenObject, ...(args.dependsOn ?? [])] },
          ),
        );
      }
    }

    this.registerOutputs({
      machineTypes: this.profiles.map((p) => p.machineType),
      rackCommands: this.rackCommands.length,
    });
  }
}
