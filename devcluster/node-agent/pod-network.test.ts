import { describe, expect, it } from "vitest";
import { parseNodes } from "./config.js";
import { IpPool } from "./ipam.js";
import { bridgeCommands, inNetns, leftoverCommands, netnsPlan, podCommands, podNames } from "./pod-network.js";
import { findProgram } from "./process.js";

describe("pod network plan", () => {
  const plan = netnsPlan("127.88");

  it("derives bridge, gateway and name prefixes from the cluster's loopback network", () => {
    expect(plan).toEqual({
      bridge: "liftoff88",
      gateway: "10.88.0.1",
      prefixLength: 16,
      podPrefix: "10.88",
      nsPrefix: "liftoff88-",
      vethPrefix: "lf88-",
    });
    expect(netnsPlan("127.64").gateway).toBe("10.64.0.1");
    expect(() => netnsPlan("10.1")).toThrow(/127\.N/);
  });

  it("names a pod's namespace and veth stably per uid, within the 15-character interface limit", () => {
    const a = podNames(plan, "uid-a");
    expect(a).toEqual(podNames(plan, "uid-a"));
    expect(a.ns).not.toBe(podNames(plan, "uid-b").ns);
    expect(a.ns.startsWith("liftoff88-")).toBe(true);
    expect(a.veth.startsWith("lf88-")).toBe(true);
    expect(netnsPlan("127.163").vethPrefix.length + 8).toBeLessThanOrEqual(15);
    expect(netnsPlan("127.163").bridge.length).toBeLessThanOrEqual(15);
  });

  it("builds the bridge and a pod namespace with its address, eth0 and lo up, and no default route", () => {
    expect(bridgeCommands(plan)).toEqual([
      ["link", "add", "liftoff88", "type", "bridge"],
      ["addr", "add", "10.88.0.1/16", "dev", "liftoff88"],
      ["link", "set", "liftoff88", "up"],
    ]);
    const { ns, veth } = podNames(plan, "u1");
    const cmds = podCommands(plan, "u1", "10.88.2.5");
    expect(cmds[0]).toEqual(["netns", "add", ns]);
    expect(cmds).toContainEqual(["link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", ns]);
    expect(cmds).toContainEqual(["link", "set", veth, "master", "liftoff88", "up"]);
    expect(cmds).toContainEqual(["-n", ns, "addr", "add", "10.88.2.5/16", "dev", "eth0"]);
    expect(cmds).toContainEqual(["-n", ns, "link", "set", "lo", "up"]);
    expect(cmds.some((c) => c.includes("route"))).toBe(false);
    expect(inNetns("/usr/sbin/ip", ns, ["node", "x.js"])).toEqual([
      "/usr/sbin/ip",
      "netns",
      "exec",
      ns,
      "node",
      "x.js",
    ]);
  });

  it("finds only this cluster's leftovers", () => {
    const netns = "liftoff88-0123abcd (id: 3)\nliftoff89-0123abcd\nliftoff88-ffff0000\nother\n";
    const links = [
      "1: lo: <LOOPBACK,UP> mtu 65536",
      "5: liftoff88: <BROADCAST,UP> mtu 1500",
      "6: lf88-0123abcd@if2: <BROADCAST> mtu 1500",
      "7: liftoff89: <BROADCAST> mtu 1500",
      "8: lf880-x@if2: <BROADCAST> mtu 1500",
    ].join("\n");
    expect(leftoverCommands(plan, netns, links)).toEqual([
      ["netns", "delete", "liftoff88-0123abcd"],
      ["netns", "delete", "liftoff88-ffff0000"],
      ["link", "delete", "liftoff88"],
      ["link", "delete", "lf88-0123abcd"],
    ]);
  });

  it("gives nodes pod CIDRs in the netns range while their own addresses stay loopback", () => {
    const [gpu, cpu] = parseNodes("gpu-node-1:gpu=2,cpu-node-1", "127.88", "10.88");
    expect(gpu?.address).toBe("127.88.1.1");
    expect(cpu?.podCIDR).toBe("10.88.2.0/24");
    const pool = IpPool.fromCIDR(cpu?.podCIDR ?? "");
    expect(pool.allocate()).toBe("10.88.2.2");
  });
});

describe("findProgram", () => {
  it("searches PATH like execvp and checks explicit paths", () => {
    expect(findProgram("sh", "/nonexistent:/bin:/usr/bin", "/")).toMatch(/\/sh$/);
    expect(findProgram("/no/such/program", "/bin", "/")).toBeUndefined();
    expect(findProgram("no-such-program-xyz", "/bin:/usr/bin", "/")).toBeUndefined();
    expect(findProgram("/bin", "", "/")).toBeUndefined(); // a folder is not a program
  });
});
