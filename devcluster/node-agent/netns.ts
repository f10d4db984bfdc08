// Runs the pod network plan (pod-network.ts) with iproute2: one bridge per cluster, one netns per pod.
// `PodNetwork` is what pod workers use; `LoopbackNetwork` is the fallback when `ip` or netns creation is unavailable.
import { execFile, execFileSync } from "node:child_process";
import { promisify } from "node:util";
import {
  bridgeCommands,
  inNetns,
  leftoverCommands,
  type NetnsPlan,
  netnsPlan,
  podCommands,
  podNames,
  podTeardown,
} from "./pod-network.js";
import { findProgram } from "./process.js";

const run = promisify(execFile);
const IP = findProgram("ip", `${process.env.PATH ?? ""}:/usr/sbin:/sbin:/usr/bin:/bin`, "/") ?? "ip";

export interface PodNetwork {
  mode: "netns" | "loopback";
  /** Why netns mode is off (loopback only). */
  reason?: string;
  /** The address pods reach the host (the API server proxy) on; undefined: 127.0.0.1. */
  gateway?: string;
  /** "10.N" in netns mode (pod CIDRs), else the loopback "127.N". */
  podPrefix: string;
  attach(uid: string, ip: string): Promise<void>;
  detach(uid: string): Promise<void>;
  /** The argv that runs a container (or exec probe) inside the pod's network. */
  wrap(uid: string, argv: string[]): string[];
  /** Removes every pod namespace and the bridge (agent shutdown). */
  destroy(): Promise<void>;
}

export function loopbackNetwork(podNetwork: string, reason: string): PodNetwork {
  return {
    mode: "loopback",
    reason,
    podPrefix: podNetwork,
    attach: async () => undefined,
    detach: async () => undefined,
    wrap: (_uid, argv) => argv,
    destroy: async () => undefined,
  };
}

async function ip(args: string[]): Promise<void> {
  try {
    await run(IP, args, { timeout: 10_000 });
  } catch (err) {
    const e = err as Error & { stderr?: string };
    throw new Error(`ip ${args.join(" ")}: ${(e.stderr ?? "").trim() || e.message}`);
  }
}

/** Best effort, synchronous: removes a cluster's pod namespaces and bridge (agent start, `cluster:down`). */
export function removeLeftovers(plan: NetnsPlan): number {
  let netnsList = "";
  let links = "";
  try {
    netnsList = execFileSync(IP, ["netns", "list"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
    links = execFileSync(IP, ["-o", "link", "show"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
  } catch {
    return 0; // no iproute2: nothing can have been left
  }
  const cmds = leftoverCommands(plan, netnsList, links);
  for (const c of cmds) {
    try {
      execFileSync(IP, c, { stdio: "ignore" });
    } catch {
      // a veth goes with its namespace
    }
  }
  return cmds.length;
}

/**
 * Netns mode if this machine allows it (iproute2 present, we may create namespaces and a bridge); otherwise the
 * loopback fallback, with the reason. Leftovers of an earlier agent of the same cluster are removed first.
 */
export async function openPodNetwork(podNetwork: string, log: (line: string) => void): Promise<PodNetwork> {
  if (process.env.LIFTOFF_POD_NETWORK === "loopback") {
    return loopbackNetwork(podNetwork, "LIFTOFF_POD_NETWORK=loopback");
  }
  const plan = netnsPlan(podNetwork);
  const left = removeLeftovers(plan);
  if (left > 0) log(`removed ${left} pod network leftover(s) of an earlier agent`);
  try {
    await ip(["-V"]);
    for (const c of bridgeCommands(plan)) await ip(c);
    // A throwaway namespace proves that this process may create them (root, /run/netns writable).
    const probe = `${plan.nsPrefix}probe`;
    await ip(["netns", "add", probe]);
    await ip(["netns", "delete", probe]);
  } catch (err) {
    removeLeftovers(plan);
    return loopbackNetwork(podNetwork, (err as Error).message);
  }
  return {
    mode: "netns",
    gateway: plan.gateway,
    podPrefix: plan.podPrefix,
    async attach(uid, addr) {
      // A namespace of the same pod from an earlier attempt goes first.
      for (const c of podTeardown(plan, uid)) await ip(c).catch(() => undefined);
      try {
        for (const c of podCommands(plan, uid, addr)) await ip(c);
      } catch (err) {
        for (const c of podTeardown(plan, uid)) await ip(c).catch(() => undefined);
        throw err;
      }
    },
    async detach(uid) {
      for (const c of podTeardown(plan, uid)) await ip(c).catch(() => undefined);
    },
    wrap: (uid, argv) => inNetns(IP, podNames(plan, uid).ns, argv),
    async destroy() {
      removeLeftovers(plan);
    },
  };
}
