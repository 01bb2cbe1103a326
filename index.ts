/**
 * private-cloud: one stack per datacenter (`pulumi up -s dc-a`).
 * Everything is decided by the stack's config; see README "Configuration".
 */
import * as pulumi from "@pulumi/pulumi";
import { modelFromPulumiConfig } from "./stacks/pulumi-config";
import { deployDatacenter } from "./stacks/datacenter";
import { releaseContext as releaseContextOf } from "./components/business-app/platform";
import { servesHttps } from "./stacks/tls";

const model = modelFromPulumiConfig();
requireCertificates();
const dc = deployDatacenter(model, { sshPrivateKey: sshPrivateKey() });

/**
 * Every business that serves 443 needs its certificate (checked with the
 * model: names, validity, key). A pull-request preview runs without the
 * secrets and says which are missing; `pulumi up` refuses, as serving
 * ingress-nginx's self-signed fake certificate is what this prevents.
 */
function requireCertificates(): void {
  const missing = model.config.businesses
    .filter((b) => servesHttps(b) && !model.tls[b.name])
    .map((b) => b.name);
  if (missing.length === 0) return;
  const how = missing
    .map(
      (b) =>
        `pulumi config set --path 'private-cloud:tls.${b}.certificate' < ${b}.crt && pulumi config set --secret --path 'private-cloud:tls.${b}.privateKey' < ${b}.key`,
    )
    .join("; ");
  if (!pulumi.runtime.isDryRun())
    throw new pulumi.RunError(
      `private-cloud:tls has no certificate for ${missing.join(", ")} (expected one per business serving 443, issued by the company CA: ${how})`,
    );
  pulumi.log.warn(
    `private-cloud:tls has no certificate for ${missing.join(", ")}: this preview renders placeholder TLS Secrets, \`pulumi up\` will refuse (${how})`,
  );
}

/**
 * The SSH key for host work. A pull-request preview runs nothing on hosts, so
 * it may go without the key (it says so); `pulumi up` may not.
 */
function sshPrivateKey(): pulumi.Output<string> | undefined {
  if (!model.config.hostAccess.enabled) return undefined;
  const key = new pulumi.Config("private-cloud").getSecret("sshPrivateKey");
  if (key) return key;
  if (!pulumi.runtime.isDryRun()) {
    throw new pulumi.RunError(
      "private-cloud:sshPrivateKey is not set (expected the SSH key for host work: `pulumi config set --secret private-cloud:sshPrivateKey < key`)",
    );
  }
  pulumi.log.warn(
    "private-cloud:sshPrivateKey is not set: this preview shows the host commands, `pulumi up` will refuse to run them",
  );
  return pulumi.secret("(no SSH key configured: preview only)");
}

export const datacenter = model.name;
export const datacenterDescription = model.config.datacenter.description;
export const apiEndpoint = dc.masters.endpoint;
export const apiDnsRecords = dc.masters.dnsRecords;
export const kubeconfig = dc.masters.kubeconfig;
export const masters = model.masters.map((m) => ({ hostname: m.hostname, ip: m.ip, rack: m.rack }));
export const fleet = { minions: model.minions.length, racks: model.racks.length, rooms: model.rooms };
export const hostAccess = model.config.hostAccess.enabled
  ? "enabled"
  : `disabled: ${model.config.hostAccess.disabledReason}`;
/** Each business's VIP on the LVS tier and the ports served on it. */
export const businessVips = (dc.lvs?.vips ?? []).map((v) => ({
  business: v.business,
  vip: v.vip,
  ports: v.ports.map((p) => `${p.port}/${p.protocol}`),
}));
export const monitoring = {
  grafana: dc.monitoring.grafanaUrl,
  grafanaAdminUser: dc.monitoring.grafanaAdminUser,
  prometheus: dc.monitoring.prometheusUrls,
  alertmanager: dc.monitoring.alertmanagerUrl,
};
export const grafanaAdminPassword = dc.monitoring.grafanaAdminPassword;
export const elasticsearch = dc.logging.clientUrls;
/** What business releases read through a StackReference (release/program.ts): namespaces, VIPs, registry, sidecars, logging. */
export const releaseContext = releaseContextOf(model, {
  hosts: dc.logging.clientUrls,
  username: dc.logging.logWriterUsername,
});
/** The log writer's password, for the business pods' filebeat sidecars (secret). */
export const logWriterPassword = dc.logging.logWriterPassword;
