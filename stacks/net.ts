/**
 * IPv4 address and CIDR arithmetic used by validation and by allocators
 * (VIPs, per-rack pools). Parsing is ipaddr.js's job; this module only adds
 * the integer maths on top of it. The platform is IPv4-only, as in the seed.
 */
import * as ipaddr from "ipaddr.js";

export interface Cidr {
  /** The text as written in config, e.g. "10.16.1.0/24". */
  readonly text: string;
  /** First address of the block as an unsigned 32-bit integer. */
  readonly first: number;
  /** Last address of the block as an unsigned 32-bit integer. */
  readonly last: number;
  readonly prefix: number;
}

export function isIPv4(text: string): boolean {
  return typeof text === "string" && ipaddr.IPv4.isValidFourPartDecimal(text);
}

export function isCidr4(text: string): boolean {
  return typeof text === "string" && ipaddr.IPv4.isValidCIDRFourPartDecimal(text);
}

export function ipToInt(ip: string): number {
  const o = ipaddr.IPv4.parse(ip).octets;
  return ((o[0] << 24) >>> 0) + (o[1] << 16) + (o[2] << 8) + o[3];
}

export function intToIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");
}

/** Parses "a.b.c.d/n". Host bits set in the address are an error, as a typo there usually is. */
export function parseCidr(text: string): Cidr {
  if (!isCidr4(text)) throw new Error(`"${text}" is not an IPv4 CIDR`);
  const [addr, prefix] = ipaddr.IPv4.parseCIDR(text);
  const size = 2 ** (32 - prefix);
  const base = ipToInt(addr.toString());
  const first = base - (base % size);
  return { text, first, last: first + size - 1, prefix };
}

/** True when the address has host bits set below the prefix ("10.0.0.1/24"). */
export function hasHostBits(text: string): boolean {
  const [addr] = ipaddr.IPv4.parseCIDR(text);
  return ipToInt(addr.toString()) !== parseCidr(text).first;
}

export function cidrContainsIp(cidr: Cidr, ip: string): boolean {
  const n = ipToInt(ip);
  return n >= cidr.first && n <= cidr.last;
}

export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  return a.first <= b.last && b.first <= a.last;
}

/** a fully contains b. */
export function cidrContainsCidr(a: Cidr, b: Cidr): boolean {
  return a.first <= b.first && b.last <= a.last;
}

export function cidrSize(cidr: Cidr): number {
  return cidr.last - cidr.first + 1;
}

/**
 * Whether `ip` is the network or broadcast address of `cidr`: unusable as a
 * host, gateway or VIP (the kernel and most routers treat them specially).
 * /31 and /32 have no such addresses (RFC 3021).
 */
export function edgeAddress(cidr: Cidr, ip: string): "network" | "broadcast" | undefined {
  if (cidr.prefix >= 31) return undefined;
  const n = ipToInt(ip);
  if (n === cidr.first) return "network";
  if (n === cidr.last) return "broadcast";
  return undefined;
}
