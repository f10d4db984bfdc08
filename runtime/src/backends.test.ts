import * as tf from "@tensorflow/tfjs";
import { describe, expect, it } from "vitest";
import { initBackend, probeBackends } from "./backends.js";

// The tensorflow backend runs tfjs-node's addon on libtensorflow taken from the
// tensorflow-cpu wheel (hack/install-libtensorflow.sh), which upstream does not
// support: these tests are the proof that the combination works.
describe("backends", { timeout: 60_000 }, () => {
  it("tensorflow-gpu fails with a clear error when its package is absent", async () => {
    await expect(initBackend("tensorflow-gpu")).rejects.toThrow(
      "backend tensorflow-gpu needs @tensorflow/tfjs-node-gpu, which is not installed",
    );
  });

  it("auto picks the native tensorflow backend when installed (run hack/install-libtensorflow.sh if this fails)", async () => {
    const info = await initBackend("auto");
    expect(info.name).toBe("tensorflow");
    expect(tf.getBackend()).toBe("tensorflow");
    expect(info.libVersion).toMatch(/^2\.\d+\.\d+/);
  });

  it("libtensorflow from the wheel computes matMul, conv2d and a gradient step correctly", async () => {
    await initBackend("tensorflow");
    const mm = tf.matMul(tf.tensor2d([1, 2, 3, 4], [2, 2]), tf.tensor2d([5, 6, 7, 8], [2, 2]));
    expect(Array.from(await mm.data())).toEqual([19, 22, 43, 50]);
    // 3×3 ones image, 2×2 ones kernel, valid padding: every output sums 4 ones.
    const conv = tf.conv2d(tf.ones([1, 3, 3, 1]) as tf.Tensor4D, tf.ones([2, 2, 1, 1]) as tf.Tensor4D, 1, "valid");
    expect(Array.from(await conv.data())).toEqual([4, 4, 4, 4]);
    const w = tf.variable(tf.scalar(3));
    tf.train.sgd(0.5).minimize(() => w.square() as tf.Scalar); // d/dw w² = 6 → 3 - 0.5·6 = 0
    expect((await w.data())[0]).toBe(0);
  });

  it("wasm and cpu initialise and report themselves", async () => {
    for (const name of ["wasm", "cpu"] as const) {
      const info = await initBackend(name);
      expect([info.name, tf.getBackend(), info.libVersion]).toEqual([name, name, undefined]);
      expect(Array.from(await tf.add(tf.tensor1d([1, 2]), tf.tensor1d([3, 4])).data())).toEqual([4, 6]);
    }
  });
});

describe("probeBackends", () => {
  it("keeps the backend with the smallest timing and leaves it active", async () => {
    const fake: Record<string, number> = { tensorflow: 300, wasm: 40, cpu: 90 };
    const r = await probeBackends(async (b) => fake[b.name] ?? 1e9);
    expect(r.chosen.name).toBe("wasm");
    expect(tf.getBackend()).toBe("wasm");
    expect(r.timings).toEqual({ tensorflow: 300, wasm: 40 });
    expect(r.skipped.cpu).toBe("not measured: wasm runs the model, and cpu is slower than wasm");
    expect(r.skipped["tensorflow-gpu"]).toBe(
      "backend tensorflow-gpu needs @tensorflow/tfjs-node-gpu, which is not installed",
    );
  });

  it("times cpu only where wasm cannot run the model (cpu is slower wherever wasm runs)", async () => {
    const measured: string[] = [];
    await probeBackends(async (b) => {
      measured.push(b.name);
      return 1;
    });
    expect(measured).not.toContain("cpu");
    expect(measured).toContain("wasm");
  });

  it("skips a backend whose measurement fails", async () => {
    const r = await probeBackends(async (b) => {
      if (b.name === "cpu") return 1;
      throw new Error(`${b.name} cannot run this model`);
    });
    expect(r.chosen.name).toBe("cpu");
    expect(r.skipped.wasm).toBe("wasm cannot run this model");
  });
});
