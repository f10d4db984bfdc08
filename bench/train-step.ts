// bench:train-step — where a train step's time goes (tfjs issue #628), in one process: the loop body `train` had
// before the hand-written step (optimizer.minimize over model.apply + loss with tf.train.adam, loss read with
// dataSync every batch), step.ts's dense step on libtensorflow with FusedAdam (losses read every 64 batches), and
// the whole step on the host (host-step.ts). Same model, data, batch; µs per batch (wall and CPU), kernels per
// step. BENCH_STEP_WIDTHS=64,32 (input features), BENCH_STEP_HIDDEN=64 (units of both hidden layers).
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
const n = 14400;
const hidden = Number(process.env.BENCH_STEP_HIDDEN ?? 64);
const widths = (process.env.BENCH_STEP_WIDTHS ?? "64,32").split(",").map(Number);
const head = headFor(
  "multiclass",
  Array.from({ length: 10 }, (_, i) => `c${i}`),
);
const loss = makeLoss("sparseCategoricalCrossentropy", 10);
function setup(kind: string, w: number, bs: number) {
  const model = buildStack(
    [
      { type: "dense", units: hidden, activation: "relu" },
      { type: "dense", units: hidden, activation: "relu" },
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
    batchSize: bs,
    ...(kind === "tensor" ? { hostMaxMacs: 0 } : {}),
  });
  const pending: Scalar[] = [];
  return (xs: Float32Array, ys: Float32Array, m: number, i: number) => {
    const l = step(xs, ys, m);
    if (typeof l === "number") return;
    pending.push(l);
    if (pending.length === 64 || i === -1) {
      tf.tidy(() => tf.stack(pending).dataSync());
      tf.dispose(pending.splice(0));
    }
  };
}
for (const [w, bs] of widths.flatMap((w) => [32, 256].map((bs) => [w, bs] as const))) {
  const X = new Float32Array(n * w).map(() => Math.random());
  const Y = new Float32Array(n).map(() => Math.floor(Math.random() * 10));
  const runs: Record<string, ReturnType<typeof setup>> = {
    original: setup("original", w, bs),
    tensor: setup("tensor", w, bs),
    host: setup("host", w, bs),
  };
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
      `${w} features, batch ${bs}, ${name}: ${best.wall.toFixed(0)} µs/batch wall, ${best.cpu.toFixed(0)} µs CPU, ${prof.kernels.length} TF.js kernels/step${name === "tensor" ? " (+3 native)" : ""}`,
    );
  }
}
