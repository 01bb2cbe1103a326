/** BGP: AS numbers, router peers per rack, route reflectors, IP pool coverage and carving. */
import { show } from "../validate";
import { cidrContainsIp } from "../net";
import { carvePools } from "../derive/pools";
import { usableAddress } from "./addresses";
import type { CheckContext } from "./context";

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

export function bgpChecks(ctx: CheckContext): void {
  const { cfg, inv, issues, cfgPath, invRacks, rackByName, byHostname, inventoryPath } = ctx;
  const bgp = cfg.bgp;
  const knownRacks = () => show([...invRacks.keys()].sort());

  // Peers: in the inventory's racks, inside the rack subnet in tor mode, and
  // never one of our own speakers (a node or director peering with itself).
  const hostByIp = new Map(inv.hosts.map((h) => [h.ip, h]));
  bgp.peers.forEach((p, i) => {
    if (!invRacks.has(p.rack))
      issues.add(
        cfgPath("bgp", "peers", i, "rack"),
        `rack ${show(p.rack)} is not in the inventory (expected one of ${knownRacks()})`,
      );
    const at = cfgPath("bgp", "peers", i, "peerIp");
    const speaker = hostByIp.get(p.peerIp);
    if (speaker) {
      issues.add(
        at,
        `${show(p.peerIp)} is the address of ${speaker.hostname} (function ${speaker.function}), one of the datacenter's own BGP speakers (expected the router's address: a speaker cannot peer with itself)`,
      );
      return;
    }
    const r = rackByName.get(p.rack);
    if (bgp.mode === "tor" && r) {
      if (!cidrContainsIp(r.subnet, p.peerIp))
        issues.add(
          at,
          `${show(p.peerIp)} is outside rack ${p.rack}'s subnet ${r.rack.subnet} (expected the ToR router's address in that subnet)`,
        );
      else usableAddress(issues, at, p.peerIp, r.subnet, `rack ${p.rack}'s subnet`);
    } else {
      // A core router may sit in any rack's subnet; wherever it does, it
      // cannot be that subnet's network or broadcast address.
      const home = [...rackByName.values()].find((x) => cidrContainsIp(x.subnet, p.peerIp));
      if (home) usableAddress(issues, at, p.peerIp, home.subnet, `rack ${home.rack.name}'s subnet`);
    }
  });
  issues.unique(
    bgp.peers,
    (p) => `${p.rack}/${p.peerIp}`,
    (i) => cfgPath("bgp", "peers", i),
    (i) => `bgp.peers[${i}]`,
    "one entry per rack and router",
  );

  // AS numbers. Ours (nodes, directors) must be private: the fabric is
  // internal, and a public ASN we do not own would be hijacked the day a
  // route leaks. Routers' ASNs may be public (a core router may speak the
  // company's registered AS), but never reserved.
  const asn = (path: string, n: number, ours: boolean) => {
    const reason = reservedAsnReason(n);
    if (reason)
      issues.add(path, `${n} is ${reason} (expected a private AS 64512-65534 or 4200000000-4294967294)`);
    else if (ours && !isPrivateAsn(n))
      issues.add(
        path,
        `${n} is a public AS number (expected a private AS 64512-65534 or 4200000000-4294967294 for the datacenter's own speakers)`,
      );
  };
  asn(cfgPath("bgp", "asNumber"), bgp.asNumber, true);
  bgp.peers.forEach((p, i) => asn(cfgPath("bgp", "peers", i, "asNumber"), p.asNumber, false));
  if (cfg.lvs?.asNumber !== undefined) asn(cfgPath("lvs", "asNumber"), cfg.lvs.asNumber, true);

  const rrs = bgp.routeReflectors;
  if (bgp.mode === "tor") {
    const peered = new Set(bgp.peers.map((p) => p.rack));
    for (const rack of [...invRacks.keys()].sort()) {
      if (!peered.has(rack))
        issues.add(
          cfgPath("bgp", "peers"),
          `rack ${show(rack)} has no router peer (expected at least one peer per rack in tor mode; there is no node-to-node mesh)`,
        );
    }
    if (rrs.length > 0)
      issues.add(
        cfgPath("bgp", "routeReflectors"),
        `${rrs.length} route reflector(s) in tor mode (expected none: set bgp.mode to "routeReflector" to use them)`,
      );
  } else {
    if (rrs.length < 2)
      issues.add(
        cfgPath("bgp", "routeReflectors"),
        `${rrs.length} route reflector(s) (expected at least 2, so one failure keeps every session up)`,
      );
    rrs.forEach((rr, i) => {
      if (!byHostname.has(rr.hostname))
        issues.add(
          cfgPath("bgp", "routeReflectors", i, "hostname"),
          `${show(rr.hostname)} is not in the inventory (expected a hostname from ${inventoryPath})`,
        );
    });
    if (bgp.peers.length === 0)
      issues.add(
        cfgPath("bgp", "peers"),
        `is empty in routeReflector mode (expected the core routers the reflectors peer with, or pod routes never leave the cluster)`,
      );
    issues.unique(
      rrs,
      (r) => r.hostname,
      (i) => cfgPath("bgp", "routeReflectors", i, "hostname"),
      (i) => `bgp.routeReflectors[${i}]`,
      "distinct reflector nodes",
    );
    const rrRacks = new Set(rrs.map((r) => byHostname.get(r.hostname)?.rack).filter((r) => r !== undefined));
    if (rrs.length >= 2 && rrRacks.size === 1)
      issues.add(
        cfgPath("bgp", "routeReflectors"),
        `every route reflector is in rack ${[...rrRacks][0]} (expected reflectors in at least 2 racks, so one rack failure keeps the sessions)`,
      );
    rrs.forEach((rr, i) => {
      // 0.0.0.0 is what a router shows for "no cluster ID" and
      // 255.255.255.255 is not a usable identifier (RFC 4456 section 7).
      if (rr.clusterId === "0.0.0.0" || rr.clusterId === "255.255.255.255")
        issues.add(
          cfgPath("bgp", "routeReflectors", i, "clusterId"),
          `${show(rr.clusterId)} is not a usable cluster ID (expected a 32-bit ID in dotted quad other than 0.0.0.0 and 255.255.255.255, e.g. 244.0.0.1)`,
        );
      const h = byHostname.get(rr.hostname);
      if (h && (h.function === "lvs" || h.function === "master"))
        issues.add(
          cfgPath("bgp", "routeReflectors", i, "hostname"),
          `${show(rr.hostname)} has function ${show(h.function)} (expected a minion: directors run their own BGP speaker and masters stay out of the data path)`,
        );
    });
  }

  // Pools: every rack that holds nodes must get pod addresses from some pool,
  // and a rack restricted to two pools defeats the per-rack aggregation.
  bgp.ipPools.forEach((p, i) =>
    (p.racks ?? []).forEach((r, j) => {
      if (!invRacks.has(r))
        issues.add(
          cfgPath("bgp", "ipPools", i, "racks", j),
          `rack ${show(r)} is not in the inventory (expected one of ${knownRacks()})`,
        );
    }),
  );
  issues.unique(
    bgp.ipPools,
    (p) => p.name,
    (i) => cfgPath("bgp", "ipPools", i, "name"),
    (i) => `bgp.ipPools[${i}]`,
    "unique pool names",
  );
  const unrestricted = bgp.ipPools.some((p) => !p.racks);
  const poolsOfRack = new Map<string, number[]>();
  bgp.ipPools.forEach((p, i) =>
    (p.racks ?? []).forEach((r) => poolsOfRack.set(r, [...(poolsOfRack.get(r) ?? []), i])),
  );
  if (!unrestricted) {
    for (const rack of [...invRacks.keys()].sort()) {
      if (!poolsOfRack.has(rack))
        issues.add(
          cfgPath("bgp", "ipPools"),
          `rack ${show(rack)} is in no IP pool (expected every rack in some pool's racks, or a pool without racks; its pods would get no address)`,
        );
    }
  }
  for (const [rack, idx] of poolsOfRack) {
    if (idx.length > 1)
      issues.add(
        cfgPath("bgp", "ipPools", idx[1], "racks"),
        `rack ${show(rack)} is already in bgp.ipPools[${idx[0]}] (expected each rack in one rack-restricted pool, so its routes aggregate)`,
      );
  }
  const carve = carvePools(
    bgp.ipPools,
    cfg.network.racks.map((r) => r.name),
  );
  for (const c of carve.issues) issues.add(cfgPath(...c.path), c.message);
}
