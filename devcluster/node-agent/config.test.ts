import { describe, expect, it } from "vitest";
import { DEFAULT_NODES, parseNodes } from "./config.js";
import { IpPool } from "./ipam.js";
import { nodeObject, nodeStatus } from "./node-object.js";
import { parseQuantity } from "./quantity.js";

describe("parseNodes", () => {
  it("gives the default GPU and CPU node, each with its own /24", () => {
    const [gpu, cpu] = parseNodes(DEFAULT_NODES, "127.80");
    expect(gpu).toMatchObject({ name: "gpu-node-1", gpus: 2, address: "127.80.1.1", podCIDR: "127.80.1.0/24" });
    expect(cpu).toMatchObject({
      name: "cpu-node-1",
      gpus: 0,
      cpu: "4",
      memory: "16Gi",
      pods: 110,
      podCIDR: "127.80.2.0/24",
    });
  });

  it("reads shapes and rejects bad ones with a clear message", () => {
    expect(parseNodes("a:gpu=4:cpu=8:memory=64Gi:pods=20", "127.81")[0]).toMatchObject({
      gpus: 4,
      cpu: "8",
      memory: "64Gi",
      pods: 20,
    });
    expect(() => parseNodes("Bad_Name", "127.80")).toThrow('node name "Bad_Name" is not a DNS label');
    expect(() => parseNodes("a,a", "127.80")).toThrow('node "a" is listed twice');
    expect(() => parseNodes("a:gpu=x", "127.80")).toThrow("gpu must be a whole number");
    expect(() => parseNodes("a:disk=1", "127.80")).toThrow('unknown option "disk"');
    expect(() => parseNodes(" , ", "127.80")).toThrow("no nodes configured");
  });
});

describe("IpPool", () => {
  it("hands out .2–.254 without reusing a released address at once", () => {
    const pool = IpPool.fromCIDR("127.80.1.0/24");
    expect(pool.allocate()).toBe("127.80.1.2");
    expect(pool.allocate()).toBe("127.80.1.3");
    pool.release("127.80.1.2");
    expect(pool.allocate()).toBe("127.80.1.4");
  });

  it("keeps addresses claimed after an agent restart and refuses foreign ones", () => {
    const pool = IpPool.fromCIDR("127.80.1.0/24");
    expect(pool.claim("127.80.1.2")).toBe(true);
    expect(pool.claim("127.80.1.2")).toBe(false);
    expect(pool.claim("127.80.2.5")).toBe(false);
    expect(pool.claim("127.80.1.1")).toBe(false);
    expect(pool.allocate()).toBe("127.80.1.3");
  });

  it("says so when the /24 is full", () => {
    const pool = IpPool.fromCIDR("127.80.1.0/24");
    for (let i = 0; i < 253; i++) pool.allocate();
    expect(() => pool.allocate()).toThrow("no free pod address left in 127.80.1.0/24");
    expect(() => IpPool.fromCIDR("10.0.0.0/16")).toThrow("must be a /24");
  });
});

describe("quantities and node objects", () => {
  it("parses Kubernetes quantities", () => {
    expect(parseQuantity("500m")).toBe(0.5);
    expect(parseQuantity("2Gi")).toBe(2 * 2 ** 30);
    expect(parseQuantity("1e3")).toBe(1000);
    expect(parseQuantity("3")).toBe(3);
    expect(() => parseQuantity("lots")).toThrow('invalid quantity "lots"');
  });

  it("labels and taints GPU nodes and advertises their GPUs", () => {
    const [gpu, cpu] = parseNodes(DEFAULT_NODES, "127.80");
    if (!gpu || !cpu) throw new Error("nodes");
    const g = nodeObject(gpu);
    expect(g.metadata.labels["nvidia.com/gpu.present"]).toBe("true");
    expect(g.spec.taints).toEqual([{ key: "nvidia.com/gpu", value: "present", effect: "NoSchedule" }]);
    expect(nodeStatus(gpu).allocatable["nvidia.com/gpu"]).toBe("2");
    expect(nodeObject(cpu).spec.taints).toBeUndefined();
    expect(nodeStatus(cpu).allocatable["nvidia.com/gpu"]).toBeUndefined();
    expect(nodeStatus(cpu).conditions.find((c) => c.type === "Ready")?.status).toBe("True");
  });
});

describe("the agent as a cluster component", () => {
  it("is started by cluster:up with the cluster's kubeconfig, health port, nodes and pod network", async () => {
    const { clusterConfig } = await import("../cluster/config.js");
    const { nodeAgentComponent } = await import("../cluster/components.js");
    const local = clusterConfig("local", {});
    const test = clusterConfig("test", { LIFTOFF_NODES: "gpu-a:gpu=4" });
    expect(local.ports.nodeAgent).toBe(16451);
    expect(local.podNetwork).not.toBe(test.podNetwork);
    const entry = { args: ["/repo/.liftoff/node-agent/main.mjs"], compiled: true };
    const spec = nodeAgentComponent(
      test,
      { serverCert: "/pki/s.crt", serverKey: "/pki/s.key" },
      "/usr/bin/node",
      entry,
    );
    expect(spec.command).toBe("/usr/bin/node");
    expect(spec.args[0]).toBe("/repo/.liftoff/node-agent/main.mjs");
    expect(spec.args).toContain("--nodes=gpu-a:gpu=4");
    expect(spec.args).toContain(`--kubeconfig=${test.kubeconfig}`);
    expect(spec.args).toContain(`--pod-network=${test.podNetwork}`);
    expect(spec.args).toContain("--kubelet-port=17452");
    expect(spec.health.url).toBe("http://127.0.0.1:17451/readyz");
  });
});

describe("kubelet log tail", () => {
  it("keeps the last N lines like kubectl logs --tail", async () => {
    const { tail } = await import("./kubelet-server.js");
    expect(tail("a\nb\nc\n", 2)).toBe("b\nc\n");
    expect(tail("a\nb\nc", 1)).toBe("c");
    expect(tail("a\nb\n", -1)).toBe("a\nb\n");
    expect(tail("a\nb\n", 0)).toBe("");
  });
});
