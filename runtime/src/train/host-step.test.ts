// The host step (host-step.ts) against step.ts's dense step on the backend: the same losses, weights and Adam state
// after several steps (float32 rounding apart), dropout masks from the same draws; and a run synced, checkpointed
// and restored midway continues to the same bits as one that was not interrupted.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../backends.js";
import { FusedAdam } from "./adam.js";
import { restoreCheckpoint, snapshotCheckpoint, writeCheckpoint } from "./checkpoint.js";
import type { Split } from "./data.js";
import { buildStack, headFor } from "./layers.js";
import { makeLoss } from "./objective.js";
import { installAsMathRandom, Sfc32 } from "./rng.js";
import type { LayerSpec, LossName, Task, TrainSpec } from "./spec.js";
import { makeStep } from "./step.js";
import { evaluate } from "./trainer.js";

const cases: [string, Task, LossName, string[] | undefined, LayerSpec[], number][] = [
  [
    "softmax crossentropy, relu + dropout + tanh",
    "multiclass",
    "sparseCategoricalCrossentropy",
    ["a", "b", "c"],
    [
      { type: "dense", units: 6, activation: "relu" },
      { type: "dropout", rate: 0.3 },
      { type: "dense", units: 5, activation: "tanh" },
    ],
    5,
  ],
  [
    "the bench's MLP: 64 → 64 relu → 64 relu → 10",
    "multiclass",
    "sparseCategoricalCrossentropy",
    Array.from({ length: 10 }, (_, i) => `c${i}`),
    [
      { type: "dense", units: 64, activation: "relu" },
      { type: "dense", units: 64, activation: "relu" },
    ],
    64,
  ],
  [
    "binary crossentropy, sigmoid",
    "binary",
    "binaryCrossentropy",
    ["no", "yes"],
    [{ type: "dense", units: 7, activation: "sigmoid" }],
    3,
  ],
  ["mean squared error, linear", "regression", "meanSquaredError", undefined, [{ type: "dense", units: 3 }], 4],
];

function setup(task: Task, lossName: LossName, classes: string[] | undefined, layers: LayerSpec[], width: number) {
  const head = headFor(task, classes);
  const model = buildStack(layers, width, head);
  // ε well above float32 noise: Adam turns a gradient of 1e-10 in one path and exactly 0 in the other (a row
  // whose softmax rounds to 1) into steps of different sizes, which would compare Adam's amplification, not the math.
  const optimizer = new FusedAdam(0.01, 0.9, 0.999, 1e-3);
  const loss = makeLoss(lossName, head.units);
  return { head, model, optimizer, loss, lossName, width };
}
type Setup = ReturnType<typeof setup>;

function batches(task: Task, units: number, width: number, count: number, n: number) {
  const rng = new Sfc32(11);
  return Array.from({ length: count }, () => ({
    x: Float32Array.from({ length: n * width }, () => rng.next() * 4 - 2),
    y: Float32Array.from({ length: n }, () =>
      task === "regression" ? rng.next() * 2 - 1 : Math.floor(rng.next() * Math.max(2, units)),
    ),
  }));
}

function run(s: Setup, data: ReturnType<typeof batches>, n: number, host: boolean, seed: number) {
  const restore = installAsMathRandom(new Sfc32(seed));
  try {
    const made = makeStep({ ...s, ...(host ? {} : { hostMaxMacs: 0 }) });
    expect(made.kind).toBe(host ? "host" : "dense");
    const losses = data.map((b) => {
      const l = made.step(b.x, b.y, n);
      return typeof l === "number" ? l : (tf.tidy(() => l.dataSync()[0]) as number);
    });
    made.sync?.();
    return losses;
  } finally {
    restore();
  }
}

const values = (ts: tf.Tensor[]) => ts.map((t) => Array.from(t.dataSync()));

describe.each(["cpu", "tensorflow"] as const)("host step on %s", (backend) => {
  beforeAll(() => initBackend(backend));

  it.each(cases)(
    "%s: same losses, weights and Adam state as the dense step",
    async (_n, task, lossName, classes, layers, width) => {
      const a = setup(task, lossName, classes, layers, width);
      const b = setup(task, lossName, classes, layers, width);
      b.model.setWeights(a.model.getWeights());
      const n = 33; // not a multiple of 4: padding and row tails
      const data = batches(task, a.head.units, width, 8, n);
      const tensorLosses = run(a, data, n, false, 3);
      const hostLosses = run(b, data, n, true, 3);
      for (const [i, l] of tensorLosses.entries()) expect(hostLosses[i]).toBeCloseTo(l, 4);
      const wa = values(a.model.getWeights()).flat();
      const wb = values(b.model.getWeights()).flat();
      const worst = wa.reduce((m, v, i) => Math.max(m, Math.abs(v - (wb[i] as number))), 0);
      expect(worst).toBeLessThan(1e-4);
      const oa = await a.optimizer.getWeights();
      const ob = await b.optimizer.getWeights();
      expect(ob.map((w) => w.tensor.shape)).toEqual(oa.map((w) => w.tensor.shape));
      expect(b.optimizer.iterations).toBe(a.optimizer.iterations);
      const ma = values(oa.map((w) => w.tensor)).flat();
      const mb = values(ob.map((w) => w.tensor)).flat();
      expect(
        ma.reduce((m, v, i) => Math.max(m, Math.abs(v - (mb[i] as number)) / Math.max(1e-3, Math.abs(v))), 0),
      ).toBeLessThan(1e-2);
    },
  );
});

describe("host step: validation", () => {
  beforeAll(() => initBackend("tensorflow"));

  it.each(cases)(
    "%s: loss and metrics equal evaluate's on the model",
    async (_n, task, lossName, classes, layers, width) => {
      const s = setup(task, lossName, classes, layers, width);
      const data = batches(task, s.head.units, width, 3, 50);
      run(s, data.slice(0, 2), 50, true, 4);
      const made = makeStep(s);
      const rows = data[2] as (typeof data)[0];
      const split = {
        name: "validation",
        rows: 50,
        width,
        async *scan() {
          yield { ...rows, n: 50 };
        },
      } as unknown as Split;
      const metrics = task === "regression" ? ["mae"] : ["accuracy"];
      const spec = { task, metrics } as unknown as TrainSpec;
      const want = await evaluate(s.model, s.head, s.loss, split, spec);
      const got = await evaluate(s.model, s.head, s.loss, split, spec, made.evaluate);
      expect(Object.keys(got)).toEqual(Object.keys(want));
      for (const [k, v] of Object.entries(want)) expect(got[k]).toBeCloseTo(v, 4);
    },
  );
});

describe("host step: checkpoints", () => {
  let dir: string;
  beforeAll(async () => {
    await initBackend("tensorflow");
    dir = await mkdtemp(path.join(tmpdir(), "liftoff-host-step-"));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it("resumes from a checkpoint taken midway to the same bits as an uninterrupted run, and is deterministic", async () => {
    const [, task, lossName, classes, layers, width] = cases[0] as (typeof cases)[0];
    const n = 16;
    const whole = setup(task, lossName, classes, layers, width);
    const first = setup(task, lossName, classes, layers, width);
    const again = setup(task, lossName, classes, layers, width);
    const init = whole.model.getWeights();
    first.model.setWeights(init);
    again.model.setWeights(init);
    const data = batches(task, whole.head.units, width, 10, n);
    run(whole, data, n, true, 9);
    run(again, data, n, true, 9);
    expect(values(again.model.getWeights())).toEqual(values(whole.model.getWeights()));
    // Interrupted: 4 steps, a checkpoint (the RNG's state with it), restored into a fresh model, 6 more steps.
    const rng = new Sfc32(9);
    const restore = installAsMathRandom(rng);
    try {
      const made = makeStep(first);
      for (const b of data.slice(0, 4)) made.step(b.x, b.y, n);
      made.sync?.();
      const snap = await snapshotCheckpoint(first.model, first.optimizer, {
        epoch: 0,
        batch: 4,
        lossSum: 0,
        seen: 0,
        rng: rng.state(),
        best: null,
        wait: 0,
        stopped: false,
        history: [],
      });
      await writeCheckpoint(dir, snap, 2);
    } finally {
      restore();
    }
    const resumed = setup(task, lossName, classes, layers, width);
    const got = await restoreCheckpoint(dir, resumed.model, resumed.optimizer);
    expect(got.state?.batch).toBe(4);
    const rng2 = new Sfc32(0);
    rng2.restore(got.state?.rng as number[]);
    const restore2 = installAsMathRandom(rng2);
    try {
      const made = makeStep(resumed);
      expect(made.kind).toBe("host");
      for (const b of data.slice(4)) made.step(b.x, b.y, n);
      made.sync?.();
    } finally {
      restore2();
    }
    expect(values(resumed.model.getWeights())).toEqual(values(whole.model.getWeights()));
    expect(values((await resumed.optimizer.getWeights()).map((w) => w.tensor))).toEqual(
      values((await whole.optimizer.getWeights()).map((w) => w.tensor)),
    );
  });

  it("takes a checkpoint from its arrays with the same bytes as from the synced model and optimizer", async () => {
    const [, task, lossName, classes, layers, width] = cases[1] as (typeof cases)[1];
    const s = setup(task, lossName, classes, layers, width);
    const made = makeStep(s);
    const data = batches(task, s.head.units, width, 3, 20);
    for (const b of data) made.step(b.x, b.y, 20);
    const state = {
      epoch: 1,
      batch: 3,
      lossSum: 0,
      seen: 0,
      rng: [1, 2, 3, 4],
      best: null,
      wait: 0,
      stopped: false,
      history: [],
    };
    const fromHost = await snapshotCheckpoint(s.model, s.optimizer, state, made.tensors?.());
    made.sync?.();
    const fromTensors = await snapshotCheckpoint(s.model, s.optimizer, state);
    expect(Buffer.from(fromHost.weights).equals(Buffer.from(fromTensors.weights))).toBe(true);
    expect(Buffer.from(fromHost.optimizer).equals(Buffer.from(fromTensors.optimizer))).toBe(true);
    expect(fromHost.stateJson).toBe(fromTensors.stateJson);
    expect(fromHost.optimizer.byteLength).toBe(4 + 2 * 4 * s.model.countParams());
  });

  it("keeps a GPU backend's step, and models above the size limit, on the backend", () => {
    const s = setup("multiclass", "sparseCategoricalCrossentropy", ["a", "b"], [{ type: "dense", units: 4 }], 3);
    expect(makeStep({ ...s, gpu: true }).kind).toBe("dense");
    expect(makeStep({ ...s, hostMaxMacs: 10 }).kind).toBe("dense");
    const params = s.model.countParams();
    expect(makeStep({ ...s, batchSize: 2, hostMaxMacs: 2 * params }).kind).toBe("host");
    expect(makeStep({ ...s, batchSize: 3, hostMaxMacs: 2 * params }).kind).toBe("dense");
    expect(makeStep({ ...s, optimizer: tf.train.sgd(0.1) }).kind).toBe("dense");
    expect(makeStep(s).kind).toBe("host");
  });
});
