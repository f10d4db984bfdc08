// Which kind of address an IP is, for the egress guard (pure). Only public unicast addresses are open by default:
// everything a pod could use to reach the node, the cloud's metadata service or the cluster's own network has a
// class here. IPv4 written inside IPv6 (::ffff:a.b.c.d, NAT64 64:ff9b::/96, ::a.b.c.d) is judged as that IPv4.
import { isIPv4, isIPv6 } from "node:net";

export type AddressClass =
  | "cloud metadata"
  | "loopback"
  | "unspecified"
  | "link-local"
  | "private"
  | "shared (CGNAT)"
  | "multicast"
  | "reserved";

/** An address as a number with its bit width (32 or 128), or undefined for text that is not an IP. */
export interface Ip {
  bits: 32 | 128;
  value: bigint;
}

export function parseIp(text: string): Ip | undefined {
  if (isIPv4(text)) return { bits: 32, value: v4(text) };
  if (isIPv6(text)) return { bits: 128, value: v6(text) };
  return undefined;
}

function v4(text: string): bigint {
  return text.split(".").reduce((acc, part) => (acc << 8n) | BigInt(Number(part)), 0n);
}

function v6(text: string): bigint {
  let s = text.toLowerCase().replace(/%.*$/, ""); // a zone id (fe80::1%eth0) does not change the address
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(s)?.[1];
  if (dotted) {
    const n = v4(dotted);
    s = `${s.slice(0, -dotted.length)}${(n >> 16n).toString(16)}:${(n & 0xffffn).toString(16)}`;
  }
  const [head = "", tail] = s.split("::");
  const h = head === "" ? [] : head.split(":");
  const t = tail === undefined || tail === "" ? [] : tail.split(":");
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill("0"), ...t];
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(Number.parseInt(g, 16)), 0n);
}

/** A CIDR as a network and prefix length, or undefined when it is not one (host bits set are allowed). */
export interface Cidr {
  bits: 32 | 128;
  network: bigint;
  prefix: number;
}

export function parseCidr(text: string): Cidr | undefined {
  const [addr = "", len, extra] = text.split("/");
  const ip = parseIp(addr);
  if (!ip || extra !== undefined) return undefined;
  const prefix = len === undefined ? ip.bits : Number(len);
  if (!/^\d{1,3}$/.test(len ?? String(ip.bits)) || prefix > ip.bits) return undefined;
  return { bits: ip.bits, network: ip.value & mask(ip.bits, prefix), prefix };
}

function mask(bits: number, prefix: number): bigint {
  const all = (1n << BigInt(bits)) - 1n;
  return all ^ ((1n << BigInt(bits - prefix)) - 1n);
}

export function inCidr(ip: Ip, cidr: Cidr): boolean {
  return ip.bits === cidr.bits && (ip.value & mask(cidr.bits, cidr.prefix)) === cidr.network;
}

/** First match wins: the metadata addresses before the link-local and private ranges that hold them. */
const V4: readonly [string, AddressClass][] = [
  ["169.254.169.254/32", "cloud metadata"], // AWS, GCP, Azure, OpenStack, Oracle
  ["168.63.129.16/32", "cloud metadata"], // Azure's platform endpoint (a public address)
  ["100.100.100.200/32", "cloud metadata"], // Alibaba Cloud
  ["0.0.0.0/8", "unspecified"],
  ["127.0.0.0/8", "loopback"],
  ["169.254.0.0/16", "link-local"],
  ["10.0.0.0/8", "private"],
  ["172.16.0.0/12", "private"],
  ["192.168.0.0/16", "private"],
  ["100.64.0.0/10", "shared (CGNAT)"],
  ["192.0.0.0/24", "reserved"], // IETF protocol assignments
  ["198.18.0.0/15", "reserved"], // benchmarking; used inside some clusters
  ["224.0.0.0/4", "multicast"],
  ["240.0.0.0/4", "reserved"], // and 255.255.255.255, broadcast
];
const V6: readonly [string, AddressClass][] = [
  ["fd00:ec2::254/128", "cloud metadata"], // AWS over IPv6
  ["::/128", "unspecified"],
  ["::1/128", "loopback"],
  ["fe80::/10", "link-local"],
  ["fc00::/7", "private"], // unique local
  ["fec0::/10", "private"], // site-local (deprecated)
  ["ff00::/8", "multicast"],
];
const TABLE = [...V4, ...V6].map(([cidr, cls]) => [parseCidr(cidr) as Cidr, cls] as const);

/** IPv4 carried in IPv6: mapped (::ffff:0:0/96), NAT64 (64:ff9b::/96) and the old compatible form (::/96). */
const EMBEDS = ["::ffff:0:0/96", "64:ff9b::/96", "::/96"].map((c) => parseCidr(c) as Cidr);

/** The IPv4 address an IPv6 one stands for, else the address itself. */
export function unwrapped(ip: Ip): Ip {
  if (ip.bits === 32 || ip.value <= 1n) return ip; // :: and ::1 are themselves
  return EMBEDS.some((c) => inCidr(ip, c)) ? { bits: 32, value: ip.value & 0xffffffffn } : ip;
}

/** The class of a refused address, or undefined for a public unicast one. */
export function addressClass(address: string): AddressClass | undefined {
  const parsed = parseIp(address);
  if (!parsed) return "reserved"; // not an address at all: never connect to it
  const ip = unwrapped(parsed);
  return TABLE.find(([cidr]) => inCidr(ip, cidr))?.[1];
}
