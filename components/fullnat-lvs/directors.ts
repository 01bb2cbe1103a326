/**
 * Director configuration as pure builders: local addresses (LIPs), the
 * FULLNAT virtual servers (keepalived), and the BGP speaker (BIRD 2) that
 * announces every VIP as a /32 from every director so the routers build ECMP
 * routes over all of them (seed part 4).
 *
 * Target. `dpvs`: iQIYI DPVS (DPDK FULLNAT, the maintained successor of
 * Alibaba's LVS) with its keepalived, whose LVS syntax is Alibaba's
 * (`lb_kind FNAT`, `local_address_group`, `laddr_group_name`) plus the DPDK
 * port after each LIP. `alibaba`: Alibaba's FULLNAT kernel LVS and its
 * keepalived 1.2 (the seed's choice) — same blocks, LIPs without a port,
 * `nb_get_retry` instead of `nb_sock_retry`. Neither dialect is known to a
 * stock parser, so tests pin the output field by field; the BIRD config is
 * checked by the real `bird -p`.
 */
import type { Host } from "../../stacks/schema";
import type { DatacenterModel } from "../../stacks/model";
import { cidrContainsIp, ipToInt, parseCidr } from "../../stacks/net";
import { lipBlocks, type LipBlock } from "../../stacks/lip-blocks";
import { vipAssignments, type Protocol } from "./vips";
import { DEFAULT_SCHEDULER } from "./contract";

export type Implementation = "dpvs" | "alibaba";

/** Where directors keep what we render. */
export const directorPaths = {
  keepalived: "/etc/keepalived/keepalived.conf",
  bird: "/etc/bird/bird.conf",
} as const;

/** Port each director's LVS exporter (the director agent) serves metrics on. */
export const LVS_EXPORTER_PORT = 9910;
/** bird_exporter on the directors (same exporter as calico-node's sidecar). */
export const DIRECTOR_BIRD_EXPORTER_PORT = 9324;

/**
 * BGP timers of the directors' BIRD, in seconds. The return bound of a
 * restarted director (measured by tests/tools/bird-lab.test.ts) follows from
 * them: the agent's address loop (2 s) + device scan + connect retry / error
 * wait + one keepalive exchange.
 */
export const BIRD_TIMERS = {
  holdSeconds: 9,
  keepaliveSeconds: 3,
  deviceScanSeconds: 2,
  /** [first wait, cap]: BIRD doubles the wait after each error up to the cap. */
  errorWaitSeconds: [2, 30],
  connectRetrySeconds: 5,
} as const;

export function directorHosts(model: DatacenterModel): Host[] {
  const lvs = model.config.lvs;
  if (!lvs) return [];
  const byName = new Map(model.inventory.hosts.map((h) => [h.hostname, h]));
  return lvs.directors.map((d) => byName.get(d) as Host);
}

/**
 * Each director's local addresses: the usable LIPs of its own CIDR-aligned
 * block (stacks/lip-blocks.ts). Every director needs its own: FULLNAT
 * replies come back to the LIP, and the fabric routes the block to the one
 * director that announces it. More LIPs per director means more source
 * ports per real server (about 64k connections per LIP and RS).
 */
export function lipAssignments(model: DatacenterModel): Map<string, string[]> {
  return new Map([...lipBlocksOf(model)].map(([d, b]) => [d, [...b.lips]]));
}

/** Each director's LIP block (validated while building the model). */
export function lipBlocksOf(model: DatacenterModel): Map<string, LipBlock> {
  const lvs = model.config.lvs;
  if (!lvs) return new Map();
  return lipBlocks(lvs.localAddressRanges, lvs.directors).blocks;
}

export interface RealServer {
  readonly ip: string;
  readonly port: number;
  /** Default: 100. */
  readonly weight?: number;
}

export interface HealthCheck {
  /** `tcp`: connect to `port`; `http`: GET `path` on `port`, expect 200. */
  readonly kind: "tcp" | "http";
  readonly port: number;
  readonly path?: string;
}

export interface VirtualServer {
  readonly vip: string;
  readonly port: number;
  readonly protocol: Protocol;
  /** IPVS scheduler. Default: wrr. */
  readonly scheduler?: string;
  readonly realServers: readonly RealServer[];
  readonly check: HealthCheck;
  /** A comment line naming what the virtual server is for. */
  readonly comment: string;
}

export interface CheckTiming {
  /** keepalived `delay_loop`: seconds between checks. */
  readonly intervalSeconds: number;
  /** Consecutive failures before a real server is taken out. */
  readonly failures: number;
}

/**
 * One `virtual_server` block in FULLNAT mode (keepalived's, for the API
 * server's virtual service; business virtual services are applied by
 * lvs-director-agent with the same scheduler, weights and checks).
 */
export function virtualServerBlock(
  vs: VirtualServer,
  laddrGroup: string,
  timing: CheckTiming,
  impl: Implementation,
): string {
  const retry = impl === "dpvs" ? "nb_sock_retry" : "nb_get_retry";
  // A check must finish before the next starts; and never faster than one
  // second (a connect on a busy but healthy pod is not instant: too tight a
  // timeout ejects healthy pods, the seed's avalanche).
  const timeout = Math.max(1, timing.intervalSeconds);
  const lines = [
    `# ${vs.comment}`,
    `virtual_server ${vs.vip} ${vs.port} {`,
    `    delay_loop ${timing.intervalSeconds}`,
    `    lb_algo ${vs.scheduler ?? DEFAULT_SCHEDULER}`,
    `    lb_kind FNAT`,
    `    protocol ${vs.protocol}`,
    `    laddr_group_name ${laddrGroup}`,
    // alpha: real servers start out of rotation until their first check passes.
    `    alpha`,
  ];
  for (const rs of vs.realServers) {
    lines.push(
      `    real_server ${rs.ip} ${rs.port} {`,
      `        weight ${rs.weight ?? 100}`,
      // Keep the server with weight 0 instead of deleting it: established
      // connections finish instead of being reset (the seed's graceful scale-in).
      `        inhibit_on_failure`,
    );
    if (vs.check.kind === "http") {
      lines.push(
        `        HTTP_GET {`,
        `            url {`,
        `                path ${vs.check.path ?? "/"}`,
        `                status_code 200`,
        `            }`,
      );
    } else {
      lines.push(`        TCP_CHECK {`);
    }
    lines.push(
      `            connect_port ${vs.check.port}`,
      `            connect_timeout ${timeout}`,
      `            ${retry} ${Math.max(0, timing.failures - 1)}`,
      `            delay_before_retry ${timing.intervalSeconds}`,
      `        }`,
      `    }`,
    );
  }
  lines.push(`}`);
  return lines.join("\n");
}

export const laddrGroupName = (director: string) => `laddr_${director.replace(/-/g, "_")}`;

/**
 * The API server's virtual service (MasterHA `lvs` mode): VIP:port → every
 * master's apiserver, TCP-checked. The masters are fixed hosts, so unlike the
 * business services it is rendered here, not by lvs-director-agent.
 */
export function apiVirtualServer(model: DatacenterModel): VirtualServer | undefined {
  if (model.api.mode !== "lvs" || !model.config.lvs) return undefined;
  const port = model.api.port;
  return {
    vip: model.api.host,
    port,
    protocol: "TCP",
    realServers: model.masters.map((m) => ({ ip: m.ip, port })),
    check: { kind: "tcp", port },
    comment: `kube-apiserver (apiServer.vip) → ${model.masters.length} masters`,
  };
}

/** keepalived.conf of one director. */
export function keepalivedConfig(model: DatacenterModel, director: string): string {
  const lvs = model.config.lvs;
  if (!lvs) throw new Error(`datacenter ${model.name} has no LVS tier`);
  const impl = lvs.implementation as Implementation;
  const group = laddrGroupName(director);
  const lips = lipAssignments(model).get(director) ?? [];
  const timing = { intervalSeconds: lvs.healthCheckIntervalSeconds, failures: lvs.healthCheckFailures };
  const api = apiVirtualServer(model);
  return [
    `! Generated by private-cloud FullnatLVS for ${director} (${model.name}); do not edit.`,
    `! Dialect: ${impl === "dpvs" ? "DPVS keepalived (FULLNAT, DPDK)" : "Alibaba FULLNAT LVS keepalived"}`,
    ``,
    `global_defs {`,
    `    router_id ${director}`,
    `}`,
    ``,
    `local_address_group ${group} {`,
    ...lips.map((ip) => (impl === "dpvs" ? `    ${ip} ${lvs.lipInterface}` : `    ${ip}`)),
    `}`,
    ``,
    ...(api ? [virtualServerBlock(api, group, timing, impl), ``] : []),
    `# Business virtual servers are not here: lvs-director-agent on this director`,
    `# applies them directly from the Services labelled`,
    `# lvs.private-cloud.io/virtual-server=true and their EndpointSlices.`,
    ``,
  ].join("\n");
}

/** The interface the VIPs sit on, where BIRD's `direct` protocol picks them up. */
export function vipInterface(model: DatacenterModel): string {
  const lvs = model.config.lvs;
  // DPVS owns the NIC; the kernel sees the port through its KNI device, and
  // that device disappears when DPVS dies — which withdraws the routes.
  return lvs?.implementation === "alibaba" ? "lo" : `${lvs?.lipInterface ?? "dpdk0"}.kni`;
}

/** Every VIP the directors announce: the API VIP and every business VIP, sorted. */
export function announcedVips(model: DatacenterModel): string[] {
  const vips = new Set(vipAssignments(model).map((a) => a.vip));
  const api = apiVirtualServer(model);
  if (api) vips.add(api.vip);
  return [...vips].sort((a, b) => ipToInt(a) - ipToInt(b));
}

export interface DirectorPeer {
  readonly name: string;
  readonly ip: string;
  readonly asNumber: number;
  /** The router is not on the director's subnet (core routers in RR mode). */
  readonly multihop: boolean;
}

/**
 * A director's BGP neighbours: in `tor` mode the routers of its own rack
 * (like any node); in `routeReflector` mode the core routers directly — the
 * reflectors are Calico nodes and carry pod routes, not VIPs.
 */
export function directorPeers(model: DatacenterModel, director: string): DirectorPeer[] {
  const host = directorHosts(model).find((h) => h.hostname === director);
  if (!host) throw new Error(`${director} is not a director of ${model.name}`);
  const bgp = model.config.bgp;
  const rack = model.racks.find((r) => r.name === host.rack);
  const onSubnet = (ip: string) => rack !== undefined && cidrContainsIp(parseCidr(rack.subnet), ip);
  const peers = bgp.mode === "tor" ? bgp.peers.filter((p) => p.rack === host.rack) : bgp.peers;
  return peers.map((p, i) => ({
    name: `${bgp.mode === "tor" ? "tor" : "core"}${i + 1}`,
    ip: p.peerIp,
    asNumber: p.asNumber,
    multihop: !onSubnet(p.peerIp),
  }));
}

/** BIRD 2 configuration of one director. */
export function birdConfig(model: DatacenterModel, director: string): string {
  const lvs = model.config.lvs;
  if (!lvs) throw new Error(`datacenter ${model.name} has no LVS tier`);
  const host = directorHosts(model).find((h) => h.hostname === director) as Host;
  const asn = lvs.asNumber ?? model.config.bgp.asNumber;
  const vips = announcedVips(model);
  const peers = directorPeers(model, director);
  const lipBlock = lipBlocksOf(model).get(director)?.block;
  if (!lipBlock) throw new Error(`${director} has no LIP block in ${model.name}`);
  return [
    `# Generated by private-cloud FullnatLVS for ${director} (${model.name}); do not edit.`,
    `log syslog all;`,
    `router id ${host.ip};`,
    // bird_exporter reads protocol uptimes in this format.
    `timeformat protocol iso long;`,
    ``,
    `define VIPS = [ ${vips.map((v) => `${v}/32`).join(", ")} ];`,
    `# This director's own LIP block: FULLNAT replies come back to a LIP, so the`,
    `# block is announced from this director only.`,
    `define LIP_BLOCK = [ ${lipBlock} ];`,
    ``,
    `protocol device {`,
    `    scan time ${BIRD_TIMERS.deviceScanSeconds};`,
    `}`,
    ``,
    `# The VIPs and the LIP block are addresses on ${vipInterface(model)} (put there and`,
    `# restored by lvs-director-agent); a route exists only while the address does,`,
    `# so a director that loses its data plane stops announcing.`,
    `protocol direct vips {`,
    `    ipv4 { import where net ~ VIPS || net ~ LIP_BLOCK; };`,
    `    interface "${vipInterface(model)}";`,
    `}`,
    ``,
    `template bgp fabric {`,
    `    local ${host.ip} as ${asn};`,
    // 9 s hold: a dead director leaves the routers' ECMP set within seconds.
    `    hold time ${BIRD_TIMERS.holdSeconds};`,
    `    keepalive time ${BIRD_TIMERS.keepaliveSeconds};`,
    // No graceful restart: its whole point is keeping a dead speaker's
    // routes, which here would blackhole a share of every VIP's traffic.
    `    graceful restart off;`,
    // BIRD waits `error wait time` (default 60 s, doubling up to 300 s) after
    // a session error before it tries again, and `connect retry time`
    // (default 120 s) between connection attempts: a director whose data
    // plane or BIRD restarted would stay out of ECMP for minutes (issue 11's
    // bird2 lab). Short waits bring it back within seconds; the cap still
    // damps a flapping session.
    `    error wait time ${BIRD_TIMERS.errorWaitSeconds.join(", ")};`,
    `    connect retry time ${BIRD_TIMERS.connectRetrySeconds};`,
    `    ipv4 {`,
    `        import none;`,
    `        export where proto = "vips" && (net ~ VIPS || net ~ LIP_BLOCK);`,
    `    };`,
    `}`,
    ``,
    ...peers.flatMap((p) => [
      `protocol bgp ${p.name} from fabric {`,
      `    description "${p.ip}";`,
      `    neighbor ${p.ip} as ${p.asNumber};`,
      ...(p.multihop ? [`    multihop;`] : []),
      `}`,
      ``,
    ]),
  ].join("\n");
}
