// The egress guard: where an http(s) source, a model's weights or a baseline may be fetched from. Safe by default —
// a host name of the cluster (*.svc, *.cluster.local, localhost) or any resolved address that is loopback,
// link-local, a cloud metadata address, private, CGNAT, multicast or reserved is refused — and opened only by the
// admin's allow-list (LIFTOFF_EGRESS_ALLOW, set by the operator from --egress-allow / the chart's egress.allow).
// The check returns the addresses it checked; the request connects to those (egress-request.ts), never resolving
// the name again, so a DNS answer that changes between check and connect (rebinding) cannot slip through.
import { lookup as dnsLookup } from "node:dns/promises";
import { EGRESS_REFUSED, egressAllowEntries, egressEntryKind } from "../contract/egress.js";
import { POD_ENV } from "../contract/pod-env.js";
import { type AddressClass, addressClass, type Cidr, inCidr, parseCidr, parseIp, unwrapped } from "./address-class.js";

/** What the admin opened: CIDRs, exact host names and `.suffix` patterns. */
export interface EgressPolicy {
  cidrs: readonly Cidr[];
  hosts: ReadonlySet<string>;
  suffixes: readonly string[];
}

export const CLOSED: EgressPolicy = { cidrs: [], hosts: new Set(), suffixes: [] };

/** How every refusal ends: whom to ask, and what to ask for. */
export const HOW_TO_ALLOW = "ask the cluster admin to add it to the operator's --egress-allow / chart egress.allow";

/**
 * A destination the policy refuses. Its message names the host, the address and its class (or the redirect rule
 * broken), never anything a server answered; `refusal` is the fixed phrase alone (used for a redirect's target).
 */
export class EgressError extends Error {
  override name = "EgressError";
  readonly reason = EGRESS_REFUSED;
  constructor(
    message: string,
    readonly refusal = message,
  ) {
    super(message);
  }
}

/** Names of the cluster's own network: refused whatever they resolve to (an in-cluster DNS answer is private). */
const CLUSTER_NAMES = [".svc", ".svc.cluster.local", ".cluster.local", ".localhost"];

function hostName(host: string): string {
  return host
    .toLowerCase()
    .replace(/^\[|\]$/g, "")
    .replace(/\.$/, "");
}

/** Parses the allow-list (contract/egress.ts's syntax); throws naming the first entry that is none of its forms. */
export function parseEgressAllow(text: string | undefined): EgressPolicy {
  const cidrs: Cidr[] = [];
  const hosts = new Set<string>();
  const suffixes: string[] = [];
  for (const entry of egressAllowEntries(text)) {
    const kind = egressEntryKind(entry);
    if (kind === "cidr") cidrs.push(parseCidr(entry) as Cidr);
    else if (kind === "suffix") suffixes.push(hostName(entry));
    else if (kind === "host") hosts.add(hostName(entry));
    else {
      throw new EgressError(
        `${POD_ENV.egressAllow.name}: '${entry.slice(0, 80)}' is not a CIDR, an IP address, a host name or a .suffix`,
      );
    }
  }
  return { cidrs, hosts, suffixes };
}

/** The policy of this process's env (what the operator set on the pod). */
export function egressPolicy(env: NodeJS.ProcessEnv): EgressPolicy {
  return parseEgressAllow(env[POD_ENV.egressAllow.name]);
}

function nameAllowed(host: string, p: EgressPolicy): boolean {
  return p.hosts.has(host) || p.suffixes.some((s) => host.endsWith(s));
}

function refused(host: string, what: string, refusal: string): EgressError {
  return new EgressError(
    `connecting to ${host} is refused: ${what}; if it is a trusted source, ${HOW_TO_ALLOW}`,
    refusal,
  );
}

export interface CheckedAddress {
  address: string;
  family: 4 | 6;
}

export type Lookup = (host: string) => Promise<CheckedAddress[]>;

const systemLookup: Lookup = async (host) =>
  (await dnsLookup(host, { all: true, verbatim: true })).map((a) => ({
    address: a.address,
    family: a.family === 6 ? 6 : 4,
  }));

/** Why an address is refused under the policy, or undefined when it may be reached. */
function refusedClass(address: string, p: EgressPolicy): AddressClass | undefined {
  const cls = addressClass(address);
  if (cls === undefined) return undefined;
  const ip = parseIp(address);
  const opened = ip && p.cidrs.some((c) => inCidr(ip, c) || inCidr(unwrapped(ip), c));
  return opened ? undefined : cls;
}

/** The name did not resolve: a network problem worth retrying, not a refusal. */
class EgressLookupError extends Error {
  override name = "EgressLookupError";
  constructor(readonly code: string) {
    super(`the name does not resolve (${code})`);
  }
}

/**
 * Resolves `host` and returns every address it has, once each passed the policy; throws EgressError when the name or
 * any one address is refused (a name with one public and one private answer is refused: the client may pick either).
 */
export async function checkEgress(rawHost: string, p: EgressPolicy, lookup: Lookup = systemLookup) {
  const host = hostName(rawHost);
  const byName = nameAllowed(host, p);
  if (!byName && (host === "localhost" || CLUSTER_NAMES.some((s) => host.endsWith(s)))) {
    throw refused(host, "it is a name of the cluster's own network", "a name of the cluster's own network");
  }
  const literal = parseIp(host);
  let addresses: CheckedAddress[];
  if (literal) addresses = [{ address: host, family: literal.bits === 32 ? 4 : 6 }];
  else {
    try {
      addresses = await lookup(host);
    } catch (err) {
      throw new EgressLookupError((err as { code?: string }).code ?? "lookup failed");
    }
  }
  if (addresses.length === 0) throw new EgressLookupError("no address");
  if (byName) return addresses;
  for (const a of addresses) {
    const cls = refusedClass(a.address, p);
    if (!cls) continue;
    const what = `${cls.startsWith("u") ? "an" : "a"} ${cls} address`;
    throw refused(host, literal ? `it is ${what}` : `it resolves to ${a.address}, ${what}`, what);
  }
  return addresses;
}
