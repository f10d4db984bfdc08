// The per-pod network namespace plan (pure): names, addresses and the `ip` commands that build and remove it.
// A cluster whose loopback pod network is 127.N gets bridge `liftoffN` with 10.N.0.1/16; node i's pods get
// 10.N.i.2–254, each in netns `liftoffN-<uid hash>` with a veth (`lfN-<hash>` on the host side, eth0 inside).
import { createHash } from "node:crypto";

export interface NetnsPlan {
  bridge: string;
  /** The bridge's address: the host as seen from pods (the API server proxy listens here). */
  gateway: string;
  prefixLength: number;
  /** "10.N": node i's pod CIDR is `${podPrefix}.i.0/24`. */
  podPrefix: string;
  /** Every pod netns of this cluster starts with this. */
  nsPrefix: string;
  vethPrefix: string;
}

export function netnsPlan(podNetwork: string): NetnsPlan {
  const m = /^127\.(\d{1,3})$/.exec(podNetwork);
  const n = Number(m?.[1]);
  if (!m || n > 255) throw new Error(`pod network must look like 127.N, got "${podNetwork}"`);
  return {
    bridge: `liftoff${n}`,
    gateway: `10.${n}.0.1`,
    prefixLength: 16,
    podPrefix: `10.${n}`,
    nsPrefix: `liftoff${n}-`,
    vethPrefix: `lf${n}-`,
  };
}

function uidHash(uid: string): string {
  return createHash("sha256").update(uid).digest("hex").slice(0, 8);
}

/** The pod's netns and host-side veth (at most 15 characters, the kernel's limit for interface names). */
export function podNames(plan: NetnsPlan, uid: string): { ns: string; veth: string } {
  const h = uidHash(uid);
  return { ns: `${plan.nsPrefix}${h}`, veth: `${plan.vethPrefix}${h}` };
}

/** The bridge, created fresh (an old one is removed first by `leftovers`). */
export function bridgeCommands(plan: NetnsPlan): string[][] {
  return [
    ["link", "add", plan.bridge, "type", "bridge"],
    ["addr", "add", `${plan.gateway}/${plan.prefixLength}`, "dev", plan.bridge],
    ["link", "set", plan.bridge, "up"],
  ];
}

/**
 * One pod's namespace: veth into the bridge, the pod address on eth0, `lo` up. No default route: the pod
 * reaches the bridge's /16 (other pods, the host's gateway address) and nothing beyond it.
 */
export function podCommands(plan: NetnsPlan, uid: string, ip: string): string[][] {
  const { ns, veth } = podNames(plan, uid);
  return [
    ["netns", "add", ns],
    ["link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", ns],
    ["link", "set", veth, "master", plan.bridge, "up"],
    ["-n", ns, "addr", "add", `${ip}/${plan.prefixLength}`, "dev", "eth0"],
    ["-n", ns, "link", "set", "eth0", "up"],
    ["-n", ns, "link", "set", "lo", "up"],
  ];
}

/** Deleting the netns takes its veth pair with it. */
export function podTeardown(plan: NetnsPlan, uid: string): string[][] {
  return [["netns", "delete", podNames(plan, uid).ns]];
}

/** Commands removing what an earlier agent of this cluster left: its pod namespaces (from `ip netns list`) and the bridge. */
export function leftoverCommands(plan: NetnsPlan, netnsList: string, links: string): string[][] {
  const namespaces = netnsList
    .split("\n")
    .map((l) => l.trim().split(/\s+/)[0] ?? "")
    .filter((n) => n.startsWith(plan.nsPrefix));
  const cmds = namespaces.map((n) => ["netns", "delete", n]);
  const linkNames = links
    .split("\n")
    .map((l) => /^\d+:\s+([^:@\s]+)/.exec(l)?.[1] ?? "")
    .filter((n) => n === plan.bridge || n.startsWith(plan.vethPrefix));
  for (const l of linkNames) cmds.push(["link", "delete", l]);
  return cmds;
}

/** A container's argv run inside the pod's namespace. */
export function inNetns(ipBinary: string, ns: string, argv: string[]): string[] {
  return [ipBinary, "netns", "exec", ns, ...argv];
}
