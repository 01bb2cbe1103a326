/**
 * The validated, typed model of one datacenter: stack config + CMDB inventory,
 * checked together, and every fact derived from them computed once (VIPs, IP
 * pool blocks, namespaces). Components receive this model and only read it.
 *
 * `buildModel` is pure: it takes the raw config object and the parsed
 * inventory, and either returns the model or throws one ConfigError listing
 * every problem by its path. The rules live in stacks/checks/, one module per
 * domain.
 */
import { InventorySchema, StackConfigSchema, type Host, type Inventory, type StackConfig } from "./schema";
import { ConfigError, schemaIssues, type ConfigIssue } from "./validate";
import { labelKeys } from "./labels";
import { CONFIG_ROOT } from "./checks/collector";
import { crossChecks, crossWarnings } from "./checks";
import { allocateVips, vipAllocationInput, type VipAssignment } from "./derive/vips";
import { carvePools, type CarvedPool } from "./derive/pools";
import { businessNamespaces, platformNamespaces, type BusinessNamespaces } from "./namespaces";
import { checkTls, type BusinessCertificate } from "./tls";

export { CONFIG_ROOT } from "./checks/collector";
export { ES_MASTER_NODES, masterCountProblem, isPrivateAsn, reservedAsnReason } from "./checks";
export { RESERVED_NAMESPACES } from "./namespaces";

export interface Rack {
  readonly name: string;
  readonly room: string;
  readonly subnet: string;
  readonly gateway: string;
  readonly hosts: readonly Host[];
}

export interface ApiEndpoint {
  readonly mode: "lvs" | "dns";
  /** What clients put in their kubeconfig: the VIP (lvs) or the DNS name (dns). */
  readonly host: string;
  readonly port: number;
  /**
   * The A records to publish: one per master (dns mode), or the name pointing
   * at the VIP (lvs mode with `apiServer.name`); none otherwise.
   */
  readonly dnsRecords: readonly { name: string; type: "A"; value: string; ttlSeconds: number }[];
}

/** Namespace names, derived once: the platform's (stacks/namespaces.ts) and each business's pair. */
export interface ModelNamespaces {
  readonly platform: { readonly [K in keyof typeof platformNamespaces]: string };
  /** Business name → its tier and app namespaces. */
  readonly businesses: Readonly<Record<string, BusinessNamespaces>>;
}

export interface DatacenterModel {
  readonly name: string;
  readonly config: Required<Pick<StackConfig, "hostAccess" | "monitoring" | "logging">> & StackConfig;
  readonly inventory: Inventory;
  readonly masters: readonly Host[];
  /** Every non-master host (they all run kubelet as minions). */
  readonly minions: readonly Host[];
  readonly racks: readonly Rack[];
  readonly rooms: readonly string[];
  readonly api: ApiEndpoint;
  /** Every business's VIP and ports on the LVS tier, in config order (empty without an LVS tier). */
  readonly vips: readonly VipAssignment[];
  /** The Calico IP pools as Calico holds them (rack-carved pools split per rack). */
  readonly ipPools: readonly CarvedPool[];
  readonly namespaces: ModelNamespaces;
  /**
   * Business name → its checked TLS certificate (from the secret
   * `private-cloud:tls`). A business serving 443 without one gets none here:
   * a preview says so, `pulumi up` refuses (index.ts).
   */
  readonly tls: Readonly<Record<string, BusinessCertificate>>;
  /** Not refused, but worth saying before anything runs (printed by validate and the program). */
  readonly warnings: readonly ConfigIssue[];
}

/** Node labels for a host: its CMDB fields under the platform domain plus the well-known zone. */
export function nodeLabels(host: Host): Record<string, string> {
  return {
    [labelKeys.function]: host.function,
    [labelKeys.room]: host.room,
    [labelKeys.rack]: host.rack,
    [labelKeys.machineType]: host.machineType,
    [labelKeys.zone]: host.room,
  };
}

/** Secret config, read apart from the rest (it never goes through the schema's error messages). */
export interface ModelSecrets {
  /** `private-cloud:tls`, as parsed from config (see stacks/tls.ts). */
  readonly tls?: unknown;
  /** False when read from a stack file, where private keys are encrypted. Default: true. */
  readonly keysReadable?: boolean;
  /** The time certificates must be valid at. Default: now. */
  readonly now?: Date;
}

/**
 * Validates config and inventory together and builds the model. Throws one
 * ConfigError with every problem; returns only a fully valid model.
 */
export function buildModel(
  rawConfig: unknown,
  rawInventory: unknown,
  inventoryPath: string,
  /** Problems found before the schema ran (config keys, the stack name), reported with the rest. */
  preIssues: readonly ConfigIssue[] = [],
  secrets: ModelSecrets = {},
): DatacenterModel {
  const { value: cfg, issues } = schemaIssues(StackConfigSchema, rawConfig, CONFIG_ROOT);
  const inv = schemaIssues(InventorySchema, rawInventory, `${inventoryPath}:`);
  const invIssues = inv.issues.map((i) => ({
    ...i,
    path: i.path.replace(`${inventoryPath}:`, `${inventoryPath}: `),
  }));
  if (issues.length > 0 || invIssues.length > 0)
    throw new ConfigError([...preIssues, ...issues, ...invIssues]);

  // ajv filled every default, including the optional sections' `{}`.
  const full = cfg as DatacenterModel["config"];
  const cross = crossChecks(full, inv.value, inventoryPath);
  const tls = checkTls(secrets.tls, full.businesses, secrets.now ?? new Date(), secrets.keysReadable ?? true);
  if (preIssues.length > 0 || cross.length > 0 || tls.issues.length > 0)
    throw new ConfigError([...preIssues, ...cross, ...tls.issues]);
  // The derivations below cannot fail: the checks above ran the same
  // functions and refused every problem they report.
  const vips = full.lvs ? allocateVips(vipAllocationInput(full)).assignments : [];
  const ipPools = carvePools(
    full.bgp.ipPools,
    full.network.racks.map((r) => r.name),
  ).pools;

  const hosts = inv.value.hosts;
  const byHostname = new Map(hosts.map((h) => [h.hostname, h]));
  const masters = full.masters.hostnames.map((m) => byHostname.get(m) as Host);
  const masterSet = new Set(full.masters.hostnames);
  const racks: Rack[] = full.network.racks.map((r) => {
    const rackHosts = hosts.filter((h) => h.rack === r.name);
    return { name: r.name, room: rackHosts[0].room, subnet: r.subnet, gateway: r.gateway, hosts: rackHosts };
  });
  const api = full.apiServer;
  const apiEndpoint: ApiEndpoint =
    api.mode === "lvs"
      ? {
          mode: "lvs",
          host: api.vip as string,
          port: api.port,
          // The name, when given, is published for the VIP (schema: apiServer.name).
          dnsRecords: api.name
            ? [{ name: api.name, type: "A", value: api.vip as string, ttlSeconds: api.ttlSeconds }]
            : [],
        }
      : {
          mode: "dns",
          host: api.name as string,
          port: api.port,
          dnsRecords: masters.map((m) => ({
            name: api.name as string,
            type: "A",
            value: m.ip,
            ttlSeconds: api.ttlSeconds,
          })),
        };
  return {
    name: full.datacenter.name,
    config: full,
    inventory: inv.value,
    masters,
    minions: hosts.filter((h) => !masterSet.has(h.hostname)),
    racks,
    rooms: [...new Set(hosts.map((h) => h.room))].sort(),
    api: apiEndpoint,
    vips,
    ipPools,
    namespaces: {
      platform: Object.fromEntries(
        Object.entries(platformNamespaces).map(([k, v]) => [k, v.name]),
      ) as ModelNamespaces["platform"],
      businesses: Object.fromEntries(full.businesses.map((b) => [b.name, businessNamespaces(b.name)])),
    },
    tls: tls.certificates,
    warnings: [...crossWarnings(full, inv.value, inventoryPath), ...tls.warnings],
  };
}
