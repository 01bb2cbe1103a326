/**
 * The validated, typed model of one datacenter: stack config + CMDB inventory,
 * checked together. Components receive this model and nothing else.
 *
 * `buildModel` is pure: it takes the raw config object and the parsed
 * inventory, and either returns the model or throws one ConfigError listing
 * every problem by its path.
 */
import {
  CONFIG_NAMESPACE,
  InventorySchema,
  StackConfigSchema,
  type Host,
  type HostFunction,
  type Inventory,
  type StackConfig,
} from "./schema";
import { ConfigError, joinPath, schemaIssues, show, type ConfigIssue } from "./validate";
import { cidrContainsCidr, cidrContainsIp, cidrsOverlap, hasHostBits, parseCidr, type Cidr } from "./net";
import { labelKeys } from "./labels";
import { nginxWorkerProcesses } from "../components/common/sizing";
import { HTTP_VIP_PORT, HTTPS_VIP_PORT, reservedIngressPorts } from "../components/ingress-tier/ports";
import { allocateVips } from "../components/fullnat-lvs/vips";
import { carvePools } from "../components/calico-bgp/topology";
import { lipBlocks } from "./lip-blocks";

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
  /** `dns` mode: the A records to publish (one per master). */
  readonly dnsRecords: readonly { name: string; type: "A"; value: string; ttlSeconds: number }[];
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
}

export const CONFIG_ROOT = `${CONFIG_NAMESPACE}:`;
const cfgPath = (...segs: (string | number)[]) => joinPath(CONFIG_ROOT, segs);

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

/** Every value that appears more than once, with the indexes where it appears. */
function duplicates<T>(items: readonly T[], key: (t: T) => string): Map<string, number[]> {
  const seen = new Map<string, number[]>();
  items.forEach((item, i) => seen.set(key(item), [...(seen.get(key(item)) ?? []), i]));
  return new Map([...seen].filter(([, idx]) => idx.length > 1));
}

function checkCidr(issues: ConfigIssue[], path: string, text: string): Cidr | undefined {
  const c = parseCidr(text);
  if (hasHostBits(text)) {
    issues.push({
      path,
      message: `${show(text)} has host bits set (expected the network address ${show(`${intToIpFirst(c)}/${c.prefix}`)})`,
    });
  }
  return c;
}

function intToIpFirst(c: Cidr): string {
  return [c.first >>> 24, (c.first >>> 16) & 255, (c.first >>> 8) & 255, c.first & 255].join(".");
}

/** Odd and within 3..7: etcd keeps quorum through (n-1)/2 failures; even counts add risk, not tolerance. */
export function masterCountProblem(count: number): string | undefined {
  if (count < 3) return `${count} master(s) cannot keep etcd quorum through a failure (expected 3, 5 or 7)`;
  if (count % 2 === 0)
    return `${count} masters: an even count tolerates no more failures than ${count - 1} (expected 3, 5 or 7)`;
  if (count > 7) return `${count} masters slow every etcd write (expected 3, 5 or 7)`;
  return undefined;
}

function crossChecks(cfg: StackConfig, inv: Inventory, inventoryPath: string): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const add = (path: string, message: string) => issues.push({ path, message });
  const invPath = (...segs: (string | number)[]) => joinPath(`${inventoryPath}:`, segs).replace(":", ": ");

  if (inv.datacenter !== cfg.datacenter.name) {
    add(
      invPath("datacenter"),
      `${show(inv.datacenter)} does not match stack datacenter (expected ${show(cfg.datacenter.name)})`,
    );
  }

  // --- Inventory: identity -------------------------------------------------
  for (const [name, idx] of duplicates(inv.hosts, (h) => h.hostname)) {
    for (const i of idx.slice(1))
      add(
        invPath("hosts", i, "hostname"),
        `${show(name)} is already used by hosts[${idx[0]}] (expected unique hostnames)`,
      );
  }
  for (const [ip, idx] of duplicates(inv.hosts, (h) => h.ip)) {
    for (const i of idx.slice(1))
      add(invPath("hosts", i, "ip"), `${show(ip)} is already used by hosts[${idx[0]}] (expected unique IPs)`);
  }

  // --- Racks and subnets ---------------------------------------------------
  const racksCfg = cfg.network.racks;
  for (const [name, idx] of duplicates(racksCfg, (r) => r.name)) {
    for (const i of idx.slice(1))
      add(
        cfgPath("network", "racks", i, "name"),
        `${show(name)} is declared twice (expected one entry per rack)`,
      );
  }
  const rackSubnets = racksCfg.map((r, i) =>
    checkCidr(issues, cfgPath("network", "racks", i, "subnet"), r.subnet),
  );
  const rackByName = new Map(racksCfg.map((r, i) => [r.name, { rack: r, subnet: rackSubnets[i], index: i }]));
  const invRacks = new Map<string, Set<string>>();
  for (const h of inv.hosts) invRacks.set(h.rack, (invRacks.get(h.rack) ?? new Set()).add(h.room));

  racksCfg.forEach((r, i) => {
    if (!invRacks.has(r.name))
      add(
        cfgPath("network", "racks", i, "name"),
        `rack ${show(r.name)} is not in the inventory ${inventoryPath} (expected a rack that holds hosts)`,
      );
    const sub = rackSubnets[i];
    if (sub && !cidrContainsIp(sub, r.gateway))
      add(
        cfgPath("network", "racks", i, "gateway"),
        `${show(r.gateway)} is outside the rack subnet ${r.subnet} (expected an address inside it)`,
      );
  });
  for (const [rack, rooms] of invRacks) {
    if (rooms.size > 1)
      add(
        invPath("hosts"),
        `rack ${show(rack)} appears in several rooms ${show([...rooms].sort())} (expected one room per rack)`,
      );
  }
  const hostIps = new Set(inv.hosts.map((h) => h.ip));
  // One message per undeclared rack, naming its first host: a missing rack
  // entry is one mistake, however many hosts the rack holds.
  const undeclared = new Map<string, number[]>();
  inv.hosts.forEach(
    (h, i) => !rackByName.has(h.rack) && undeclared.set(h.rack, [...(undeclared.get(h.rack) ?? []), i]),
  );
  for (const [rack, idx] of undeclared) {
    const more = idx.length > 1 ? ` and ${idx.length - 1} more host(s) of that rack` : "";
    add(
      invPath("hosts", idx[0], "rack"),
      `${show(rack)}${more} is not declared in ${cfgPath("network", "racks")} (expected one of ${show(racksCfg.map((x) => x.name))})`,
    );
  }
  inv.hosts.forEach((h, i) => {
    const r = rackByName.get(h.rack);
    if (r?.subnet && !cidrContainsIp(r.subnet, h.ip)) {
      add(
        invPath("hosts", i, "ip"),
        `${show(h.ip)} of ${h.hostname} is outside rack ${h.rack}'s subnet ${r.rack.subnet} (expected an address inside it)`,
      );
    }
    if (r && h.ip === r.rack.gateway)
      add(invPath("hosts", i, "ip"), `${show(h.ip)} is rack ${h.rack}'s gateway (expected a host address)`);
    // The seed's LVM metadata incident: log volumes (EmptyDir, under the
    // kubelet root) must sit on their own plain partition.
    const kubeletDisk = h.disks.find((d) => d.mount === cfg.minions.kubeletRoot);
    if (!kubeletDisk) {
      add(
        invPath("hosts", i, "disks"),
        `${h.hostname} has no partition mounted at ${cfg.minions.kubeletRoot} (expected a dedicated plain partition for EmptyDir log volumes)`,
      );
    } else if (kubeletDisk.lvm) {
      add(
        invPath("hosts", i, "disks"),
        `${h.hostname}'s ${cfg.minions.kubeletRoot} (${kubeletDisk.device}) is on LVM (expected a plain partition: LVM metadata exhaustion took logging down in production)`,
      );
    }
  });

  // --- Address spaces do not overlap --------------------------------------
  const spaces: { path: string; cidr: Cidr }[] = [];
  const space = (path: string, text: string) => {
    const c = checkCidr(issues, path, text);
    if (c) spaces.push({ path, cidr: c });
    return c;
  };
  const podCidr = space(cfgPath("network", "podCidr"), cfg.network.podCidr);
  const serviceCidr = space(cfgPath("network", "serviceCidr"), cfg.network.serviceCidr);
  rackSubnets.forEach(
    (c, i) => c && spaces.push({ path: cfgPath("network", "racks", i, "subnet"), cidr: c }),
  );
  const vipPools = (cfg.lvs?.vipPools ?? []).map((t, i) => space(cfgPath("lvs", "vipPools", i), t));
  (cfg.lvs?.localAddressRanges ?? []).forEach((t, i) => space(cfgPath("lvs", "localAddressRanges", i), t));
  for (let a = 0; a < spaces.length; a++) {
    for (let b = a + 1; b < spaces.length; b++) {
      if (cidrsOverlap(spaces[a].cidr, spaces[b].cidr)) {
        add(
          spaces[b].path,
          `${spaces[b].cidr.text} overlaps ${spaces[a].path} ${spaces[a].cidr.text} (expected disjoint address ranges)`,
        );
      }
    }
  }

  // --- Calico IP pools: inside the pod CIDR, disjoint ---------------------
  const pools = cfg.bgp.ipPools.map((p, i) => ({
    p,
    i,
    c: checkCidr(issues, cfgPath("bgp", "ipPools", i, "cidr"), p.cidr),
  }));
  for (const { p, i, c } of pools) {
    if (c && podCidr && !cidrContainsCidr(podCidr, c))
      add(
        cfgPath("bgp", "ipPools", i, "cidr"),
        `${p.cidr} is outside network.podCidr ${cfg.network.podCidr} (expected a block inside it)`,
      );
    if (c && p.blockSize < c.prefix)
      add(
        cfgPath("bgp", "ipPools", i, "blockSize"),
        `${p.blockSize} is larger than the pool ${p.cidr} (expected a prefix length >= ${c.prefix})`,
      );
    (p.racks ?? []).forEach((r, j) => {
      if (!invRacks.has(r))
        add(
          cfgPath("bgp", "ipPools", i, "racks", j),
          `rack ${show(r)} is not in the inventory (expected one of ${show([...invRacks.keys()].sort())})`,
        );
    });
  }
  for (let a = 0; a < pools.length; a++) {
    for (let b = a + 1; b < pools.length; b++) {
      const A = pools[a].c;
      const B = pools[b].c;
      if (A && B && cidrsOverlap(A, B))
        add(
          cfgPath("bgp", "ipPools", b, "cidr"),
          `${B.text} overlaps bgp.ipPools[${a}] ${A.text} (expected disjoint pools)`,
        );
    }
  }
  for (const [name, idx] of duplicates(cfg.bgp.ipPools, (p) => p.name)) {
    for (const i of idx.slice(1))
      add(
        cfgPath("bgp", "ipPools", i, "name"),
        `${show(name)} is already used by bgp.ipPools[${idx[0]}] (expected unique pool names)`,
      );
  }

  // --- Hosts referenced by role -------------------------------------------
  const byHostname = new Map(inv.hosts.map((h) => [h.hostname, h]));
  const needHost = (path: string, hostname: string, fn: HostFunction) => {
    const h = byHostname.get(hostname);
    if (!h)
      add(
        path,
        `${show(hostname)} is not in the inventory ${inventoryPath} (expected a hostname of a ${fn} host)`,
      );
    else if (h.function !== fn)
      add(
        path,
        `${show(hostname)} has function ${show(h.function)} in the inventory (expected function ${show(fn)})`,
      );
  };

  const mastersProblem = masterCountProblem(cfg.masters.hostnames.length);
  if (mastersProblem) add(cfgPath("masters", "hostnames"), mastersProblem);
  cfg.masters.hostnames.forEach((m, i) => needHost(cfgPath("masters", "hostnames", i), m, "master"));
  for (const [name, idx] of duplicates(cfg.masters.hostnames, (x) => x)) {
    for (const i of idx.slice(1))
      add(cfgPath("masters", "hostnames", i), `${show(name)} is listed twice (expected distinct masters)`);
  }
  // Spread is judged only on a list that is otherwise right (known, distinct masters).
  const knownMasters = new Set(cfg.masters.hostnames.filter((m) => byHostname.has(m)));
  const masterRacks = new Set([...knownMasters].map((m) => byHostname.get(m)?.rack));
  if (
    knownMasters.size === cfg.masters.hostnames.length &&
    knownMasters.size >= 3 &&
    masterRacks.size === 1
  ) {
    add(
      cfgPath("masters", "hostnames"),
      `every master is in rack ${[...masterRacks][0]} (expected masters spread over at least 2 racks, so one rack failure keeps quorum)`,
    );
  }

  // --- API server HA ---------------------------------------------------------
  const api = cfg.apiServer;
  if (api.mode === "lvs") {
    if (!api.vip)
      add(
        cfgPath("apiServer", "vip"),
        `is required in lvs mode (expected the VIP the LVS directors announce)`,
      );
    if (!cfg.lvs)
      add(
        cfgPath("lvs"),
        `is required when apiServer.mode is "lvs" (expected the LVS directors and VIP pools)`,
      );
  } else if (!api.name) {
    add(
      cfgPath("apiServer", "name"),
      `is required in dns mode (expected the DNS name clients resolve to the masters)`,
    );
  }
  if (api.vip) {
    for (const [label, c] of [
      ["network.podCidr", podCidr],
      ["network.serviceCidr", serviceCidr],
    ] as const) {
      if (c && cidrContainsIp(c, api.vip))
        add(
          cfgPath("apiServer", "vip"),
          `${show(api.vip)} is inside ${label} ${c.text} (expected an address outside pod and service ranges)`,
        );
    }
    if (hostIps.has(api.vip))
      add(cfgPath("apiServer", "vip"), `${show(api.vip)} is a host's address (expected a dedicated VIP)`);
    const inPool = vipPools.some((p) => p && cidrContainsIp(p, api.vip as string));
    if (cfg.lvs && !inPool)
      add(
        cfgPath("apiServer", "vip"),
        `${show(api.vip)} is not in any lvs.vipPools ${show(cfg.lvs.vipPools)} (expected an address the LVS tier can announce)`,
      );
  }

  // --- Host access -----------------------------------------------------------
  if (cfg.hostAccess && !cfg.hostAccess.enabled && !cfg.hostAccess.disabledReason) {
    add(
      cfgPath("hostAccess", "disabledReason"),
      `is required when hostAccess.enabled is false (expected a sentence saying why no host work is done)`,
    );
  }
  if (cfg.hostAccess && !cfg.hostAccess.enabled && !cfg.hostAccess.kubeconfigPath) {
    add(
      cfgPath("hostAccess", "kubeconfigPath"),
      `is required when hostAccess.enabled is false (expected the kubeconfig file of the running cluster, e.g. .sim/kubeconfig)`,
    );
  }

  // --- BGP ---------------------------------------------------------------------
  cfg.bgp.peers.forEach((p, i) => {
    if (!invRacks.has(p.rack))
      add(
        cfgPath("bgp", "peers", i, "rack"),
        `rack ${show(p.rack)} is not in the inventory (expected one of ${show([...invRacks.keys()].sort())})`,
      );
    const r = rackByName.get(p.rack);
    if (cfg.bgp.mode === "tor" && r?.subnet && !cidrContainsIp(r.subnet, p.peerIp)) {
      add(
        cfgPath("bgp", "peers", i, "peerIp"),
        `${show(p.peerIp)} is outside rack ${p.rack}'s subnet ${r.rack.subnet} (expected the ToR router's address in that subnet)`,
      );
    }
  });
  if (cfg.bgp.mode === "tor") {
    const peered = new Set(cfg.bgp.peers.map((p) => p.rack));
    for (const rack of [...invRacks.keys()].sort()) {
      if (!peered.has(rack))
        add(
          cfgPath("bgp", "peers"),
          `rack ${show(rack)} has no router peer (expected at least one peer per rack in tor mode; there is no node-to-node mesh)`,
        );
    }
  } else {
    if (cfg.bgp.routeReflectors.length < 2)
      add(
        cfgPath("bgp", "routeReflectors"),
        `${cfg.bgp.routeReflectors.length} route reflector(s) (expected at least 2, so one failure keeps every session up)`,
      );
    cfg.bgp.routeReflectors.forEach((rr, i) => {
      if (!byHostname.has(rr.hostname))
        add(
          cfgPath("bgp", "routeReflectors", i, "hostname"),
          `${show(rr.hostname)} is not in the inventory (expected a hostname from ${inventoryPath})`,
        );
    });
  }

  // --- LVS -------------------------------------------------------------------
  cfg.lvs?.directors.forEach((d, i) => needHost(cfgPath("lvs", "directors", i), d, "lvs"));

  // --- Businesses --------------------------------------------------------------
  for (const [name, idx] of duplicates(cfg.businesses, (b) => b.name)) {
    for (const i of idx.slice(1))
      add(
        cfgPath("businesses", i, "name"),
        `${show(name)} is already used by businesses[${idx[0]}] (expected unique business names)`,
      );
  }
  cfg.businesses.forEach((b, i) => {
    if (b.minReplicas > b.maxReplicas)
      add(
        cfgPath("businesses", i, "minReplicas"),
        `${b.minReplicas} is above maxReplicas ${b.maxReplicas} (expected minReplicas <= maxReplicas)`,
      );
  });

  // --- Machine functions the platform schedules onto -------------------------
  const functions = new Set(inv.hosts.map((h) => h.function));
  const needFunction = (fn: HostFunction, why: string) => {
    if (!functions.has(fn))
      add(invPath("hosts"), `no host has function ${show(fn)} (expected at least one: ${why})`);
  };
  if (cfg.businesses.length > 0)
    needFunction("ingress", "business ingress tiers are pinned to ingress machines");
  needFunction("monitoring", "Prometheus runs on dedicated monitoring machines");
  needFunction("logging", "Elasticsearch runs on dedicated logging machines");
  issues.push(...monitoringChecks(cfg, inv, invPath));
  issues.push(...trafficChecks(cfg, inv), ...loggingChecks(cfg, inv));
  issues.push(...networkChecks(cfg, inv));
  for (const m of Object.keys(cfg.minions.tuning)) {
    if (!inv.hosts.some((h) => h.machineType === m))
      add(
        cfgPath("minions", "tuning", m),
        `machine type ${show(m)} is not in the inventory (expected one of ${show([...new Set(inv.hosts.map((h) => h.machineType))].sort())})`,
      );
  }
  return issues;
}

// --- Network (CalicoBGP, FullnatLVS) -----------------------------------------
/**
 * AS numbers that must never appear in a BGP session (RFC 7607: 0; RFC 6793:
 * 23456 is AS_TRANS, the placeholder 2-byte speakers see; RFC 7300: 65535 and
 * 4294967295 are reserved; RFC 5398: 64496-64511 and 65536-65551 are for
 * documentation). The schema's 1..4294967294 bound already refuses 0 and
 * 4294967295.
 */
export function reservedAsnReason(asn: number): string | undefined {
  if (asn === 0 || asn === 4294967295) return "reserved (RFC 7607 / RFC 7300)";
  if (asn === 23456) return "AS_TRANS, the placeholder for 4-byte ASNs (RFC 6793)";
  if (asn === 65535) return "reserved (RFC 7300)";
  if ((asn >= 64496 && asn <= 64511) || (asn >= 65536 && asn <= 65551))
    return "reserved for documentation (RFC 5398)";
  return undefined;
}

/** RFC 6996 private-use ranges: the fabric's own AS numbers must come from them. */
export function isPrivateAsn(asn: number): boolean {
  return (asn >= 64512 && asn <= 65534) || (asn >= 4200000000 && asn <= 4294967294);
}

/**
 * BGP and LVS checks beyond the address-space ones above: AS numbers, route
 * reflector placement, pool coverage per rack, LIPs per director, and the
 * VIP allocation (collisions and pins, components/fullnat-lvs/vips.ts).
 */
function networkChecks(cfg: StackConfig, inv: Inventory): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const add = (path: string, message: string) => issues.push({ path, message });
  const bgp = cfg.bgp;
  const hostByName = new Map(inv.hosts.map((h) => [h.hostname, h]));

  // AS numbers. Ours (nodes, directors) must be private: the fabric is
  // internal, and a public ASN we do not own would be hijacked the day a
  // route leaks. Routers' ASNs may be public (a core router may speak the
  // company's registered AS), but never reserved.
  const asn = (path: string, n: number, ours: boolean) => {
    const reason = reservedAsnReason(n);
    if (reason) add(path, `${n} is ${reason} (expected a private AS 64512-65534 or 4200000000-4294967294)`);
    else if (ours && !isPrivateAsn(n))
      add(
        path,
        `${n} is a public AS number (expected a private AS 64512-65534 or 4200000000-4294967294 for the datacenter's own speakers)`,
      );
  };
  asn(cfgPath("bgp", "asNumber"), bgp.asNumber, true);
  bgp.peers.forEach((p, i) => asn(cfgPath("bgp", "peers", i, "asNumber"), p.asNumber, false));
  if (cfg.lvs?.asNumber !== undefined) asn(cfgPath("lvs", "asNumber"), cfg.lvs.asNumber, true);

  for (const [key, idx] of duplicates(bgp.peers, (p) => `${p.rack}/${p.peerIp}`)) {
    for (const i of idx.slice(1))
      add(
        cfgPath("bgp", "peers", i),
        `${show(key)} is already bgp.peers[${idx[0]}] (expected one entry per rack and router)`,
      );
  }

  // Route reflectors.
  const rrs = bgp.routeReflectors;
  if (bgp.mode === "tor" && rrs.length > 0)
    add(
      cfgPath("bgp", "routeReflectors"),
      `${rrs.length} route reflector(s) in tor mode (expected none: set bgp.mode to "routeReflector" to use them)`,
    );
  if (bgp.mode === "routeReflector") {
    if (bgp.peers.length === 0)
      add(
        cfgPath("bgp", "peers"),
        `is empty in routeReflector mode (expected the core routers the reflectors peer with, or pod routes never leave the cluster)`,
      );
    for (const [name, idx] of duplicates(rrs, (r) => r.hostname)) {
      for (const i of idx.slice(1))
        add(
          cfgPath("bgp", "routeReflectors", i, "hostname"),
          `${show(name)} is already bgp.routeReflectors[${idx[0]}] (expected distinct reflector nodes)`,
        );
    }
    const rrRacks = new Set(rrs.map((r) => hostByName.get(r.hostname)?.rack).filter((r) => r !== undefined));
    if (rrs.length >= 2 && rrRacks.size === 1)
      add(
        cfgPath("bgp", "routeReflectors"),
        `every route reflector is in rack ${[...rrRacks][0]} (expected reflectors in at least 2 racks, so one rack failure keeps the sessions)`,
      );
    rrs.forEach((rr, i) => {
      // 0.0.0.0 is what a router shows for "no cluster ID" and
      // 255.255.255.255 is not a usable identifier (RFC 4456 section 7).
      if (rr.clusterId === "0.0.0.0" || rr.clusterId === "255.255.255.255")
        add(
          cfgPath("bgp", "routeReflectors", i, "clusterId"),
          `${show(rr.clusterId)} is not a usable cluster ID (expected a 32-bit ID in dotted quad other than 0.0.0.0 and 255.255.255.255, e.g. 244.0.0.1)`,
        );
      const h = hostByName.get(rr.hostname);
      if (h && (h.function === "lvs" || h.function === "master"))
        add(
          cfgPath("bgp", "routeReflectors", i, "hostname"),
          `${show(rr.hostname)} has function ${show(h.function)} (expected a minion: directors run their own BGP speaker and masters stay out of the data path)`,
        );
    });
  }

  // Pools: every rack that holds nodes must get pod addresses from some pool,
  // and a rack restricted to two pools defeats the per-rack aggregation.
  const invRacks = [...new Set(inv.hosts.map((h) => h.rack))].sort();
  const unrestricted = bgp.ipPools.some((p) => !p.racks);
  const poolsOfRack = new Map<string, number[]>();
  bgp.ipPools.forEach((p, i) =>
    (p.racks ?? []).forEach((r) => poolsOfRack.set(r, [...(poolsOfRack.get(r) ?? []), i])),
  );
  if (!unrestricted) {
    for (const rack of invRacks) {
      if (!poolsOfRack.has(rack))
        add(
          cfgPath("bgp", "ipPools"),
          `rack ${show(rack)} is in no IP pool (expected every rack in some pool's racks, or a pool without racks; its pods would get no address)`,
        );
    }
  }
  for (const [rack, idx] of poolsOfRack) {
    if (idx.length > 1)
      add(
        cfgPath("bgp", "ipPools", idx[1], "racks"),
        `rack ${show(rack)} is already in bgp.ipPools[${idx[0]}] (expected each rack in one rack-restricted pool, so its routes aggregate)`,
      );
  }

  const carve = carvePools(
    bgp.ipPools,
    cfg.network.racks.map((r) => r.name),
  );
  for (const c of carve.issues) add(cfgPath(...c.path), c.message);

  // LVS.
  const lvs = cfg.lvs;
  if (lvs) {
    for (const [name, idx] of duplicates(lvs.directors, (d) => d)) {
      for (const i of idx.slice(1))
        add(cfgPath("lvs", "directors", i), `${show(name)} is listed twice (expected distinct directors)`);
    }
    // Every director needs its own CIDR-aligned LIP block (stacks/lip-blocks.ts).
    for (const i of lipBlocks(lvs.localAddressRanges, lvs.directors).issues)
      add(cfgPath(...i.path), i.message);
    const { issues: vipIssues } = allocateVips({
      pools: lvs.vipPools,
      pins: lvs.vipPins,
      businesses: cfg.businesses.map((b) => ({ name: b.name, ports: b.ports })),
      reserved:
        cfg.apiServer.mode === "lvs" && cfg.apiServer.vip
          ? [{ ip: cfg.apiServer.vip, holder: "the API server (apiServer.vip)" }]
          : [],
    });
    for (const v of vipIssues) add(cfgPath(...v.path), v.message);
  }
  return issues;
}

// --- Monitoring (MonitoringStack) -------------------------------------------
/**
 * Alert routing must reach someone, and the Prometheus/Alertmanager replicas
 * must fit the monitoring machines: replicas of one instance never share a
 * host (required anti-affinity), so each host may hold one replica of every
 * instance, and with local volumes all of them live on its data disk.
 */
function monitoringChecks(
  cfg: StackConfig,
  inv: Inventory,
  invPath: (...segs: (string | number)[]) => string,
): ConfigIssue[] {
  const mon = cfg.monitoring;
  if (!mon) return [];
  const issues: ConfigIssue[] = [];
  const add = (path: string, message: string) => issues.push({ path, message });
  const am = mon.alertmanager;
  const amPath = (...segs: (string | number)[]) => cfgPath("monitoring", "alertmanager", ...segs);

  const receiverNames = [...new Set(am.receivers.map((r) => r.name))];
  for (const [name, idx] of duplicates(am.receivers, (r) => r.name)) {
    for (const i of idx.slice(1))
      add(
        amPath("receivers", i, "name"),
        `${show(name)} is already used by receivers[${idx[0]}] (expected unique receiver names)`,
      );
  }
  const needReceiver = (path: string, name: string) => {
    if (!receiverNames.includes(name))
      add(path, `receiver ${show(name)} is not declared (expected one of ${show(receiverNames)})`);
  };
  needReceiver(amPath("defaultReceiver"), am.defaultReceiver);
  am.routes.forEach((r, i) => {
    needReceiver(amPath("routes", i, "receiver"), r.receiver);
    r.matchers.forEach((m, j) => {
      const re = /^[a-zA-Z_][a-zA-Z0-9_]*(?:=~|!~)"([^"]*)"$/.exec(m);
      if (!re) return;
      try {
        new RegExp(`^(?:${re[1]})$`);
      } catch {
        add(
          amPath("routes", i, "matchers", j),
          `${show(m)} has an invalid regular expression (expected an RE2 regex)`,
        );
      }
    });
  });
  am.receivers.forEach((r, i) => {
    if (r.webhookUrls.length === 0 && r.emailTo.length === 0)
      add(
        amPath("receivers", i),
        `receiver ${show(r.name)} has no webhookUrls and no emailTo (expected at least one target: alerts routed here would be dropped)`,
      );
    if (r.emailTo.length > 0 && !am.smtp)
      add(
        amPath("receivers", i, "emailTo"),
        `receiver ${show(r.name)} sends e-mail but monitoring.alertmanager.smtp is not set (expected an smtp smarthost and from address)`,
      );
  });

  const monitoringHosts = inv.hosts.filter((h) => h.function === "monitoring");
  if (monitoringHosts.length === 0) return issues; // reported with the machine functions
  const fits = (path: string, replicas: number, what: string) => {
    if (replicas > monitoringHosts.length)
      add(
        path,
        `${replicas} ${what} replicas but only ${monitoringHosts.length} monitoring host(s) (expected at most ${monitoringHosts.length}: replicas never share a host)`,
      );
  };
  const instances = Object.entries(mon.prometheus) as [string, { replicas: number; storageGiB?: number }][];
  for (const [name, inst] of instances)
    fits(cfgPath("monitoring", "prometheus", name, "replicas"), inst.replicas, `Prometheus ${name}`);
  fits(amPath("replicas"), am.replicas, "Alertmanager");

  if (mon.storageClass.startsWith("local")) {
    const perHostGiB =
      instances.reduce((sum, [, inst]) => sum + (inst.storageGiB ?? mon.storageGiB), 0) + am.storageGiB;
    const withDisk = monitoringHosts.filter((h) => h.disks.some((d) => d.mount === mon.dataMount));
    if (withDisk.length === 0) {
      // No monitoring host has it: the mount point in config is what is wrong.
      const mounts = [...new Set(monitoringHosts.flatMap((h) => h.disks.map((d) => d.mount)))].sort();
      add(
        cfgPath("monitoring", "dataMount"),
        `no monitoring host has a disk mounted at ${show(mon.dataMount)} (expected one of their mounts ${show(mounts)} for monitoring.storageClass ${show(mon.storageClass)} volumes)`,
      );
    } else {
      inv.hosts.forEach((h, i) => {
        if (h.function === "monitoring" && !withDisk.includes(h))
          add(
            invPath("hosts", i, "disks"),
            `${h.hostname} has no disk mounted at ${mon.dataMount} (expected the data disk the other monitoring hosts have)`,
          );
      });
    }
    const short = withDisk.filter(
      (h) => (h.disks.find((d) => d.mount === mon.dataMount)?.sizeGiB ?? 0) < perHostGiB,
    );
    if (short.length > 0) {
      const smallest = Math.min(
        ...short.map((h) => h.disks.find((d) => d.mount === mon.dataMount)?.sizeGiB ?? 0),
      );
      add(
        cfgPath("monitoring", "storageGiB"),
        `one replica of every Prometheus instance plus Alertmanager needs ${perHostGiB} GiB per host but ${mon.dataMount} holds ${smallest} GiB on ${short.map((h) => h.hostname).join(", ")} (expected volumes that fit the smallest monitoring data disk)`,
      );
    }
  }
  return issues;
}

// --- Traffic (IngressTier) ----------------------------------------------------
/** Namespaces the platform owns: a business named like one would share it (its app namespace is `<name>`). */
export const RESERVED_NAMESPACES = [
  "default",
  "kube-system",
  "kube-public",
  "kube-node-lease",
  "calico-system",
  "calico-apiserver",
  "lvs-system",
  "monitoring",
  "logging",
  "private-cloud",
] as const;

/**
 * What the ingress tiers need from config and inventory together: names that
 * make valid, unshared namespaces; nginx workers that the ingress machines'
 * cores can hold (the affinity masks address real cores); replicas whose CPU
 * requests fit the ingress fleet; VIP ports that do not collide inside the pod.
 */
function trafficChecks(cfg: StackConfig, inv: Inventory): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const add = (path: string, message: string) => issues.push({ path, message });
  const ingressHosts = inv.hosts.filter((h) => h.function === "ingress");
  const minCores = Math.min(...ingressHosts.map((h) => h.cores));
  const fleetMillis = ingressHosts.reduce((sum, h) => sum + h.cores * 1000, 0);
  const reserved = reservedIngressPorts();
  cfg.businesses.forEach((b, i) => {
    const at = (...segs: (string | number)[]) => cfgPath("businesses", i, ...segs);
    if ((RESERVED_NAMESPACES as readonly string[]).includes(b.name) || /^(ingress|kube)-/.test(b.name))
      add(
        at("name"),
        `${show(b.name)} is a platform namespace or prefix (expected a business name that is none of ${RESERVED_NAMESPACES.join(", ")} and does not start with ingress- or kube-)`,
      );
    if (b.name.length > 55)
      add(
        at("name"),
        `${show(b.name)} is ${b.name.length} characters (expected at most 55: the tier's namespace is ingress-<name>)`,
      );
    const request = b.cpuRequestMillis ?? b.cpuLimitMillis;
    if (request > b.cpuLimitMillis)
      add(
        at("cpuRequestMillis"),
        `${request} is above cpuLimitMillis ${b.cpuLimitMillis} (expected a request <= the limit)`,
      );
    if (ingressHosts.length > 0) {
      const workers = nginxWorkerProcesses(b.cpuLimitMillis);
      if (workers > minCores)
        add(
          at("cpuLimitMillis"),
          `${b.cpuLimitMillis} gives ${workers} nginx workers but the smallest ingress machine has ${minCores} cores (expected at most ${minCores * 1000 + 999}: each worker is pinned to its own core)`,
        );
      if (b.maxReplicas * request > fleetMillis)
        add(
          at("maxReplicas"),
          `${b.maxReplicas} replicas × ${request}m CPU request = ${b.maxReplicas * request}m exceeds the ${ingressHosts.length} ingress machines' ${fleetMillis}m (expected maxReplicas <= ${Math.floor(fleetMillis / request)}, or more ingress machines)`,
        );
    }
    for (const [key, idx] of duplicates(b.ports, (p) => `${p.port}/${p.protocol}`)) {
      for (const j of idx.slice(1))
        add(at("ports", j), `${key} is listed twice (expected each port/protocol once)`);
    }
    b.ports.forEach((p, j) => {
      if (p.port === HTTP_VIP_PORT || p.port === HTTPS_VIP_PORT) {
        if (p.protocol !== "TCP")
          add(
            at("ports", j, "protocol"),
            `${p.port}/${p.protocol}: ports 80 and 443 are nginx's HTTP(S) listeners (expected TCP)`,
          );
        return;
      }
      if (p.port < 1024)
        add(
          at("ports", j, "port"),
          `${p.port} is a privileged port (expected 80, 443 or a port >= 1024: L4 ports are proxied on the same number by a non-root nginx)`,
        );
      else if (reserved.includes(p.port))
        add(
          at("ports", j, "port"),
          `${p.port} is used inside the ingress pod (expected a port other than ${reserved.join(", ")})`,
        );
    });
  });
  return issues;
}

// --- Logging (LoggingStack) ----------------------------------------------------
/** Master-eligible Elasticsearch nodes: three, so one loss keeps a quorum of two. */
export const ES_MASTER_NODES = 3;

/**
 * Elasticsearch must fit the logging machines: master and data pods never
 * share a host with a pod of their own role (required anti-affinity: two data
 * nodes on one host would let one machine take both copies of a shard), and
 * every role's limits must fit the smallest logging machine.
 */
function loggingChecks(cfg: StackConfig, inv: Inventory): ConfigIssue[] {
  const log = cfg.logging;
  const hosts = inv.hosts.filter((h) => h.function === "logging");
  if (!log || hosts.length === 0) return []; // a missing logging function is reported with the machine functions
  const issues: ConfigIssue[] = [];
  const add = (path: string, message: string) => issues.push({ path, message });
  if (hosts.length < ES_MASTER_NODES)
    add(
      cfgPath("logging"),
      `only ${hosts.length} logging host(s) (expected at least ${ES_MASTER_NODES}: the ${ES_MASTER_NODES} Elasticsearch masters each need their own host)`,
    );
  if (log.dataNodes > hosts.length)
    add(
      cfgPath("logging", "dataNodes"),
      `${log.dataNodes} data nodes but only ${hosts.length} logging host(s) (expected at most ${hosts.length}: data nodes never share a host)`,
    );
  const minCores = Math.min(...hosts.map((h) => h.cores));
  const minMemMiB = Math.min(...hosts.map((h) => h.memoryGiB * 1024));
  for (const role of ["master", "data", "client"] as const) {
    const r = log[role];
    if (r.cpuLimitMillis > minCores * 1000)
      add(
        cfgPath("logging", role, "cpuLimitMillis"),
        `${r.cpuLimitMillis} exceeds the smallest logging machine's ${minCores} cores (expected at most ${minCores * 1000})`,
      );
    if (r.memoryLimitMiB > minMemMiB)
      add(
        cfgPath("logging", role, "memoryLimitMiB"),
        `${r.memoryLimitMiB} exceeds the smallest logging machine's ${minMemMiB} MiB (expected at most ${minMemMiB})`,
      );
  }
  return issues;
}

/**
 * Validates config and inventory together and builds the model. Throws one
 * ConfigError with every problem; returns only a fully valid model.
 */
export function buildModel(
  rawConfig: unknown,
  rawInventory: unknown,
  inventoryPath: string,
): DatacenterModel {
  const { value: cfg, issues } = schemaIssues(StackConfigSchema, rawConfig, CONFIG_ROOT);
  const inv = schemaIssues(InventorySchema, rawInventory, `${inventoryPath}:`);
  const invIssues = inv.issues.map((i) => ({
    ...i,
    path: i.path.replace(`${inventoryPath}:`, `${inventoryPath}: `),
  }));
  if (issues.length > 0 || invIssues.length > 0) throw new ConfigError([...issues, ...invIssues]);

  // ajv filled every default, including the optional sections' `{}`.
  const full = cfg as DatacenterModel["config"];
  const cross = crossChecks(full, inv.value, inventoryPath);
  if (cross.length > 0) throw new ConfigError(cross);

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
      ? { mode: "lvs", host: api.vip as string, port: api.port, dnsRecords: [] }
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
  };
}
