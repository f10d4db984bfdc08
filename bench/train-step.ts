// bench:train-step — where a train step's time goes (tfjs issue #628), before/after in one process: the loop body
// `train` had before the hand-written step (optimizer.minimize over model.apply + loss with
// tf.train.adam, loss read with dataSync every batch) against step.ts's dense step with FusedAdam, losses read
// every 64 batches. Same model, data, batch; µs per batch (wall and CPU), kernels per step.
import type { Scalar, Tensor2D, Variable } from "@tensorflow/tfjs";
import { exitOnHelp } from "./lib/help.js";

// --help before anything heavy is loaded or installed (bench/lib/help.ts).
exitOnHelp(import.meta.filename);
const tf = await import("@tensorflow/tfjs");
const { initBackend } = await import("../runtime/src/backends.js");
const { buildStack, headFor } = await import("../runtime/src/train/layers.js");
const { makeLoss, makeOptimizer } = await import("../runtime/src/train/objective.js");
const { makeStep } = await import("../runtime/src/train/step.js");

// One thread, as bench:train: libtensorflow reads these at start.
process.env.TF_NUM_INTRAOP_THREADS ??= "1";
process.env.TF_NUM_INTEROP_THREADS ??= "1";
await initBackend("tensorflow");
const n = 14400,
  w = 64;
const X = new Float32Array(n * w).map(() => Math.random());
const Y = new Float32Array(n).map(() => Math.floor(Math.random() * 10));
const head = headFor(
  "multiclass",
  Array.from({ length: 10 }, (_, i) => `c${i}`),
);
const loss = makeLoss("sparseCategoricalCrossentropy", 10);
function setup(kind: string) {
  const model = buildStack(
    [
      { type: "dense", units: 64, activation: "relu" },
      { type: "dense", units: 64, activation: "relu" },
    ],
    w,
    head,
  );
  if (kind === "original") {
    const opt = tf.train.adam(0.003);
    const vars = model.trainableWeights.map((v) => v.read() as Variable);
    return (xs: Float32Array, ys: Float32Array, m: number, _i: number) => {
      const c = tf.tidy(() => {
        const x = tf.tensor2d(xs, [m, w]);
        const y = tf.tensor1d(ys);
        return opt.minimize(() => loss(y, model.apply(x, { training: true }) as Tensor2D), true, vars) as Scalar;
      });
      c.dataSync();
      c.dispose();
    };
  }
  const { step } = makeStep({
    model,
    optimizer: makeOptimizer("adam", 0.003),
    loss,
    lossName: "sparseCategoricalCrossentropy",
    head,
    width: w,
  });
  const pending: Scalar[] = [];
  return (xs: Float32Array, ys: Float32Array, m: number, i: number) => {
    pending.push(step(xs, ys, m));
    if (pending.length === 64 || i === -1) {
      tf.tidy(() => tf.stack(pending).dataSync());
      tf.dispose(pending.splice(0));
    }
  };
}
for (const bs of [32, 256]) {
  const runs: Record<string, ReturnType<typeof setup>> = { original: setup("original"), now: setup("now") };
  for (const [name, f] of Object.entries(runs)) {
    for (let from = 0; from + bs <= Math.min(n, 64 * bs); from += bs)
      f(X.subarray(from * w, (from + bs) * w), Y.subarray(from, from + bs), bs, 0); // warm-up
    const prof = await tf.profile(() => f(X.subarray(0, bs * w), Y.subarray(0, bs), bs, 0));
    const best = { wall: Infinity, cpu: Infinity };
    for (let rep = 0; rep < 3; rep++) {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      let k = 0;
      for (let from = 0; from + bs <= n; from += bs, k++)
        f(X.subarray(from * w, (from + bs) * w), Y.subarray(from, from + bs), bs, k);
      const cu = process.cpuUsage(c0);
      best.wall = Math.min(best.wall, ((performance.now() - t0) * 1000) / k);
      best.cpu = Math.min(best.cpu, (cu.user + cu.system) / k);
    }
    console.log(
      `batch ${bs} ${name}: ${best.wall.toFixed(0)} µs/batch wall, ${best.cpu.toFixed(0)} µs CPU, ${prof.kernels.length} TF.js kernels/step (+3 native on now)`,
    );
  }
}
