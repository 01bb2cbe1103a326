/**
 * private-cloud: one stack per datacenter (`pulumi up -s dc-a`).
 * Everything is decided by the stack's config; see README "Configuration".
 */
import * as pulumi from "@pulumi/pulumi";
import { modelFromPulumiConfig } from "./stacks/pulumi-config";
import { deployDatacenter } from "./stacks/datacenter";

const model = modelFromPulumiConfig();
const config = new pulumi.Config("private-cloud");
const dc = deployDatacenter(model, {
  sshPrivateKey: model.config.hostAccess.enabled ? config.requireSecret("sshPrivateKey") : undefined,
});

export const datacenter = model.name;
export const apiEndpoint = dc.masters.endpoint;
export const apiDnsRecords = dc.masters.dnsRecords;
export const kubeconfig = dc.masters.kubeconfig;
export const masters = model.masters.map((m) => ({ hostname: m.hostname, ip: m.ip, rack: m.rack }));
export const fleet = { minions: model.minions.length, racks: model.racks.length, rooms: model.rooms };
export const hostAccess = model.config.hostAccess.enabled
  ? "enabled"
  : `disabled: ${model.config.hostAccess.disabledReason}`;
