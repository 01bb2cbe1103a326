/**
 * What every domain check reads: the schema-valid config and inventory, the
 * path builders, and lookups derived from them once (hosts by name, racks by
 * name, parsed address ranges).
 */
import type { Host, HostFunction, Inventory, StackConfig } from "../schema";
import { joinPath } from "../validate";
import { parseCidr, type Cidr } from "../net";
import { cfgPath, IssueCollector } from "./collector";

export interface CheckContext {
  readonly cfg: StackConfig;
  readonly inv: Inventory;
  readonly inventoryPath: string;
  readonly issues: IssueCollector;
  readonly cfgPath: typeof cfgPath;
  /** `inventory/dc-a.yaml: hosts[3].ip` from ("hosts", 3, "ip"). */
  readonly invPath: (...segs: (string | number)[]) => string;
  readonly byHostname: ReadonlyMap<string, Host>;
  /** Racks that hold hosts in the inventory, with the rooms their hosts name. */
  readonly invRacks: ReadonlyMap<string, ReadonlySet<string>>;
  /** Racks declared in `network.racks`, by name, with the parsed subnet and index. */
  readonly rackByName: ReadonlyMap<
    string,
    { rack: StackConfig["network"]["racks"][number]; subnet: Cidr; index: number }
  >;
  readonly hostsOf: (fn: HostFunction) => Host[];
  readonly podCidr: Cidr;
  readonly serviceCidr: Cidr;
  readonly vipPools: readonly Cidr[];
}

export function checkContext(cfg: StackConfig, inv: Inventory, inventoryPath: string): CheckContext {
  const invRacks = new Map<string, Set<string>>();
  for (const h of inv.hosts) invRacks.set(h.rack, (invRacks.get(h.rack) ?? new Set()).add(h.room));
  return {
    cfg,
    inv,
    inventoryPath,
    issues: new IssueCollector(),
    cfgPath,
    invPath: (...segs) => joinPath(`${inventoryPath}:`, segs).replace(":", ": "),
    byHostname: new Map(inv.hosts.map((h) => [h.hostname, h])),
    invRacks,
    rackByName: new Map(
      cfg.network.racks.map((r, index) => [r.name, { rack: r, subnet: parseCidr(r.subnet), index }]),
    ),
    hostsOf: (fn) => inv.hosts.filter((h) => h.function === fn),
    podCidr: parseCidr(cfg.network.podCidr),
    serviceCidr: parseCidr(cfg.network.serviceCidr),
    vipPools: (cfg.lvs?.vipPools ?? []).map(parseCidr),
  };
}
