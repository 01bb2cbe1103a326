/**
 * MasterHA: the stacked control plane on 3, 5 or 7 physical masters.
 *
 * Each master gets the unified installer image run over SSH with its rendered
 * static Pod manifests. The masters' commands form a chain (each depends on
 * the one before), so an upgrade — a new installer tag or a changed manifest —
 * rolls through the masters one at a time, and each step waits until that
 * master's API server and etcd member are healthy. A master that does not come
 * back fails its step and the rollout stops with quorum intact.
 */
import type { MonitoringContribution } from "../monitoring-stack/contribution";
import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import * as random from "@pulumi/random";
import { parse, stringify } from "yaml";
import type { DatacenterModel } from "../../stacks/model";
import type { Host } from "../../stacks/schema";
import { imagesFor } from "../../stacks/images";
import type { RuleGroup } from "../common/alerts";
import { digest } from "../common/digest";
import { masterFiles } from "./manifests";
import { adminKubeconfigScript, masterInstallScript, masterRemoveScript, pkiBundleScript } from "./scripts";
import { controlPlaneAlertRules } from "./alerts";

export interface MasterHAArgs {
  /** The validated datacenter model. */
  readonly model: DatacenterModel;
  /**
   * SSH private key for `hostAccess.sshUser` on the masters (a Pulumi secret).
   * Required when `hostAccess.enabled` (the default).
   */
  readonly sshPrivateKey?: pulumi.Input<string>;
  /**
   * A kubeconfig to hand to the other components instead of the admin
   * kubeconfig fetched from the first master: the simulated datacenter's, or
   * an existing cluster's. Default: the fetched one.
   */
  readonly kubeconfig?: pulumi.Input<string>;
}

/** Points every cluster of a kubeconfig at the HA endpoint (the installer writes the local master's address). */
export function rewriteKubeconfigServer(kubeconfig: string, server: string): string {
  const doc = parse(kubeconfig) as { clusters?: { cluster?: { server?: string } }[] };
  if (!doc || !Array.isArray(doc.clusters) || doc.clusters.length === 0) {
    throw new Error("the admin kubeconfig from the first master has no clusters");
  }
  for (const c of doc.clusters) if (c.cluster) c.cluster.server = server;
  return stringify(doc);
}

/** A short digest of a master's files, to show in outputs which version each master runs. */
export function filesDigest(files: Record<string, string>): string {
  return digest(
    ...Object.keys(files)
      .sort()
      .flatMap((k) => [k, files[k]]),
  );
}

export class MasterHA extends pulumi.ComponentResource {
  /** `https://<vip or dns name>:<port>`: what every client uses. */
  readonly endpoint: string;
  /** `dns` mode: the records to publish (one A record per master); empty in `lvs` mode. */
  readonly dnsRecords: DatacenterModel["api"]["dnsRecords"];
  /** Admin kubeconfig pointing at `endpoint` (secret); feeds the Kubernetes provider. */
  readonly kubeconfig: pulumi.Output<string> | undefined;
  /** Files installed on each master, by hostname then path. */
  readonly files: Readonly<Record<string, Record<string, string>>>;
  /** Alert rules for the control plane and Node-status drift, for the MonitoringStack. */
  readonly alertRules: RuleGroup[];
  /** The same rules as a monitoring contribution: they read apiserver_, etcd_ and kube_ series (infra instance). */
  readonly monitoring: MonitoringContribution;
  /** The per-master install commands, in rollout order (empty when host access is off). */
  readonly installs: command.remote.Command[] = [];

  constructor(name: string, args: MasterHAArgs, opts?: pulumi.ComponentResourceOptions) {
    super("private-cloud:cluster:MasterHA", name, {}, opts);
    const { model } = args;
    const access = model.config.hostAccess;
    const installer = imagesFor(model).installer;

    this.endpoint = `https://${model.api.host}:${model.api.port}`;
    this.dnsRecords = model.api.dnsRecords;
    this.alertRules = controlPlaneAlertRules(model.masters.length);
    this.monitoring = { ruleGroups: { infra: this.alertRules } };
    this.files = Object.fromEntries(
      model.masters.map((host) => [host.hostname, masterFiles({ model, host })]),
    );

    if (!access.enabled) {
      pulumi.log.info(
        `host access is off (${access.disabledReason}): control-plane manifests are rendered, nothing runs on the masters`,
        this,
      );
      this.kubeconfig = args.kubeconfig === undefined ? undefined : pulumi.secret(args.kubeconfig);
    } else {
      if (args.sshPrivateKey === undefined) {
        throw new Error(
          `${name}: hostAccess.enabled is true but no SSH private key was given (set it with \`pulumi config set --secret private-cloud:sshPrivateKey < key\`)`,
        );
      }
      const key = args.sshPrivateKey;
      const connection = (h: Host) => ({
        host: h.ip,
        port: access.sshPort,
        user: access.sshUser,
        privateKey: key,
      });
      // Losing this key makes every Secret in etcd unreadable: never replace it by accident.
      const encryptionKey = new random.RandomBytes(
        `${name}-encryption-key`,
        { length: 32 },
        { parent: this, protect: model.config.datacenter.protectData },
      );

      let previous: pulumi.Resource | undefined;
      let pkiBundle: pulumi.Output<string> | undefined;
      model.masters.forEach((host, i) => {
        const install = new command.remote.Command(
          `${name}-${host.hostname}`,
          {
            connection: connection(host),
            create: masterInstallScript({
              model,
              host,
              installerImage: installer,
              files: this.files[host.hostname],
              first: i === 0,
            }),
            delete: masterRemoveScript(model, host, installer),
            stdin: pulumi.secret(pulumi.interpolate`${encryptionKey.base64}\n${pkiBundle ?? ""}`),
          },
          { parent: this, dependsOn: previous ? [previous] : [] },
        );
        this.installs.push(install);
        previous = install;
        if (i === 0) {
          const bundle = new command.remote.Command(
            `${name}-pki-bundle`,
            { connection: connection(host), create: pkiBundleScript(installer) },
            { parent: this, dependsOn: [install], additionalSecretOutputs: ["stdout"] },
          );
          pkiBundle = bundle.stdout;
          previous = bundle;
        }
      });

      const admin = new command.remote.Command(
        `${name}-admin-kubeconfig`,
        { connection: connection(model.masters[0]), create: adminKubeconfigScript() },
        { parent: this, dependsOn: previous ? [previous] : [], additionalSecretOutputs: ["stdout"] },
      );
      const fetched = pulumi.secret(
        admin.stdout.apply((text) => rewriteKubeconfigServer(text, this.endpoint)),
      );
      this.kubeconfig = args.kubeconfig === undefined ? fetched : pulumi.secret(args.kubeconfig);
    }

    this.registerOutputs({
      endpoint: this.endpoint,
      dnsRecords: this.dnsRecords,
      kubeconfig: this.kubeconfig,
      manifestDigests: Object.fromEntries(Object.entries(this.files).map(([h, f]) => [h, filesDigest(f)])),
    });
  }
}
