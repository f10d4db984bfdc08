import * as tf from "@tensorflow/tfjs";
import { describe, expect, it } from "vitest";
import { fetchArtifact } from "../../artifact.js";
import { mlp, saveLayersModel, tempDir, twoInTwoOut } from "../test-helpers.js";
import { denseForward } from "./dense-kernel.js";
import { denseKernel, denseStack } from "./dense-stack.js";
import { loadModel } from "./load.js";
import { layersNames } from "./tf-artifacts.js";

describe("model", () => {
  it("computes Dense stacks with fused matMuls, equal to tfjs-layers' own execution", () => {
    const m = tf.sequential({
      layers: [
        tf.layers.dense({ units: 5, inputShape: [4], activation: "relu" }),
        tf.layers.dropout({ rate: 0.5 }),
        tf.layers.dense({ units: 3, activation: "tanh" }),
        tf.layers.dense({ units: 2, activation: "softmax", useBias: false }),
      ],
    });
    const fast = denseStack(m);
    if (fast === undefined) throw new Error("a Dense/Dropout stack should take the fast path");
    const x = tf.tensor2d([0.1, -2, 3, 0.5, 1, 1, -1, 0], [2, 4]);
    const want = (m.predict(x) as tf.Tensor).arraySync() as number[][];
    const got = fast(x).arraySync() as number[][];
    got.forEach((row, i) => {
      row.forEach((v, j) => {
        expect(v).toBeCloseTo(want[i]?.[j] as number, 5);
      });
    });
  });

  it("leaves other architectures to tfjs-layers", () => {
    expect(denseStack(twoInTwoOut())).toBeUndefined();
    const conv = tf.sequential({ layers: [tf.layers.conv1d({ filters: 1, kernelSize: 1, inputShape: [3, 1] })] });
    expect(denseStack(conv)).toBeUndefined();
    const selu = tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [2], activation: "selu" })] });
    expect(denseStack(selu)).toBeUndefined();
  });

  it("serves an MLP through the fast path with the same outputs as predict()", async () => {
    const net = mlp(8, 16, 3);
    const loaded = await loadModel(
      await fetchArtifact({ kind: "file", path: await saveLayersModel(net, await tempDir()) }, undefined),
    );
    const rows = [Array.from({ length: 8 }, (_, i) => i / 8), Array.from({ length: 8 }, (_, i) => -i)];
    const [out] = await loaded.run([{ data: new Float32Array(rows.flat()), shape: [2, 8] }]);
    const want = ((net.predict(tf.tensor2d(rows)) as tf.Tensor).dataSync() as Float32Array).slice();
    expect(out?.shape).toEqual([2, 3]);
    Array.from(out?.data ?? [], Number).forEach((v, i) => {
      expect(v).toBeCloseTo(want[i] as number, 5);
    });
  });

  it("computes every served activation in plain JavaScript within 1e-5 of tfjs-layers", () => {
    for (const activation of ["linear", "relu", "relu6", "elu", "sigmoid", "tanh", "softmax"] as const) {
      const m = tf.sequential({
        layers: [
          tf.layers.dense({ units: 7, inputShape: [5], activation, biasInitializer: "randomNormal" }),
          tf.layers.dropout({ rate: 0.5 }),
          tf.layers.dense({ units: 3, activation, useBias: false }),
        ],
      });
      const layers = denseKernel(m);
      if (layers === undefined) throw new Error(`a Dense stack with ${activation} should have a plain-JS kernel`);
      const x = Float32Array.from({ length: 4 * 5 }, (_, i) => Math.cos(i * 1.7) * 3);
      const want = (m.predict(tf.tensor2d(x, [4, 5])) as tf.Tensor).dataSync();
      const got = denseForward(layers, x, 4);
      expect(got).toHaveLength(12);
      got.forEach((v, i) => {
        expect(Math.abs(v - (want[i] as number)), activation).toBeLessThanOrEqual(1e-5);
      });
    }
    expect(denseKernel(twoInTwoOut())).toBeUndefined();
  });

  it("runs up to plainJsRows rows in plain JavaScript and larger calls on TF.js, with equal outputs", async () => {
    const dir = await saveLayersModel(mlp(8, 16, 3), await tempDir());
    const artifact = await fetchArtifact({ kind: "file", path: dir }, undefined);
    const js = await loadModel(artifact, { plainJsRows: 2 });
    const off = await loadModel(artifact, { plainJsRows: 0 });
    expect([js.plainJsRows, off.plainJsRows]).toEqual([2, 0]);
    // Measured: whatever this machine says, within the searched range.
    const measured = (await loadModel(artifact)).plainJsRows;
    expect(measured).toBeGreaterThanOrEqual(0);
    expect(measured).toBeLessThanOrEqual(256);
    for (const rows of [1, 2, 3]) {
      const x = { data: Float32Array.from({ length: rows * 8 }, (_, i) => i / 8 - 2), shape: [rows, 8] };
      const [a] = await js.run([x]);
      const [b] = await off.run([x]);
      expect(a?.shape).toEqual([rows, 3]);
      Array.from(a?.data ?? [], Number).forEach((v, i) => {
        expect(Math.abs(v - (b?.data[i] as number))).toBeLessThanOrEqual(1e-5);
      });
    }
  });

  it("names inputs and outputs as authored in the topology", () => {
    expect(
      layersNames({
        class_name: "Sequential",
        config: {
          layers: [
            { class_name: "Dense", config: { name: "d1" } },
            { class_name: "Dense", config: { name: "out" } },
          ],
        },
      }),
    ).toEqual({ inputs: ["d1_input"], outputs: ["out"] });
    expect(
      layersNames({
        class_name: "Sequential",
        config: {
          layers: [
            { class_name: "InputLayer", config: { name: "x" } },
            { class_name: "Dense", config: { name: "y" } },
          ],
        },
      }),
    ).toEqual({ inputs: ["x"], outputs: ["y"] });
    expect(
      layersNames({ class_name: "Functional", config: { input_layers: [["a", 0, 0]], output_layers: [["b", 0, 0]] } }),
    ).toEqual({ inputs: ["a"], outputs: ["b"] });
  });
});
