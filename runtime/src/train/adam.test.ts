import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../backends.js";
import { FusedAdam } from "./adam.js";

beforeAll(() => initBackend("cpu"));

/** Two variables and a fixed sequence of gradients; returns the variables' values after `steps` steps. */
function run(opt: tf.Optimizer, vars: tf.Variable[], from: number, steps: number) {
  for (let s = from; s < from + steps; s++) {
    opt.applyGradients(
      vars.map((v, i) => ({
        name: v.name,
        tensor: tf.mul(tf.sin(tf.add(tf.range(0, v.size), s + i)), s + 1).reshape(v.shape),
      })),
    );
  }
  return vars.map((v) => Array.from(v.dataSync()));
}
const fresh = () => [tf.variable(tf.ones([3, 2])), tf.variable(tf.zeros([4]))];

describe("FusedAdam", () => {
  it("is tf.train.adam's algorithm: the same updates", () => {
    const a = run(tf.train.adam(0.01), fresh(), 0, 6);
    const b = run(new FusedAdam(0.01), fresh(), 0, 6);
    for (const [i, v] of a.flat().entries()) expect(b.flat()[i]).toBeCloseTo(v, 5);
    expect(new FusedAdam(0.01).getClassName()).toBe("Adam");
  });

  it("saves its moments in tf.train.adam's layout and resumes bit for bit", async () => {
    const whole = run(new FusedAdam(0.01), fresh(), 0, 6);
    const first = new FusedAdam(0.01);
    const vars = fresh();
    run(first, vars, 0, 3);
    const saved = await first.getWeights();
    expect(saved.map((w) => w.tensor.shape)).toEqual([[], [3, 2], [4], [3, 2], [4]]);
    const second = new FusedAdam(0.01);
    await second.setWeights(saved);
    expect(second.iterations).toBe(3);
    expect(run(second, vars, 3, 3)).toEqual(whole);
  });
});
