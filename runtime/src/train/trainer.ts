// The training loop: epochs of shuffled batches, one optimizer step each, validation after each epoch, early
// stopping, checkpoints after every epoch and every `checkpointSeconds` inside one, and progress for the operator.
// It is a hand-written loop rather than model.fit: fit's per-batch callbacks and logs cost more than the step
// itself on small models (tfjs issue #628), and the loop must be able to stop and resume at any batch. The step
// (step.ts) leaves each batch's loss on the device; the loop reads them every LOSS_READ_EVERY batches, before a
// checkpoint and at the end of an epoch, in one transfer, and still names the first non-finite batch.
import { setImmediate as nextTurn } from "node:timers/promises";
import * as tf from "@tensorflow/tfjs";
import { boundHistory, type EpochHistory } from "../contract/history.js";
import { ConfigError } from "../errors.js";
import { type LoopState, restoreCheckpoint, snapshotCheckpoint, writeCheckpoint } from "./checkpoint.js";
import { batchDataset, type Split } from "./data.js";
import type { PrivacyPlan } from "./dp-plan.js";
import { DpRandom, type DpRandomState } from "./dp-random.js";
import type { HostStep } from "./host-step.js";
import { activate, type Head } from "./layers.js";
import { computeMetrics } from "./metrics.js";
import type { LossFn } from "./objective.js";
import type { Sfc32 } from "./rng.js";
import type { TrainSpec } from "./spec.js";
import { makeStep, STEP_KINDS } from "./step.js";

/** A failure with a TrainingJob condition reason (exit code and message for the operator). */
export class TrainingFailure extends Error {
  override name = "TrainingFailure";
  constructor(
    readonly reason:
      | "NaNLoss"
      | "InvalidModel"
      | "DataSetChanged"
      | "DataSetEmpty"
      | "PrivacyBudgetUnreachable"
      | "ScriptFailed"
      | "ExportInvalid",
    message: string,
  ) {
    super(message);
  }
}

/** What status.progress shows (the API's shape). */
export interface Progress {
  epoch: number;
  epochs: number;
  percentage: number;
  loss?: number;
  metrics?: Record<string, number>;
  samplesPerSecond?: number;
  estimatedRemainingSeconds?: number;
  /** Every epoch so far, bounded (history.ts): status.history, so the operator's coalescing loses no epoch. */
  history?: EpochHistory;
  /** DP-SGD: the privacy spent so far (ε at δ, RDP accountant) after `steps` noisy steps. */
  privacy?: PrivacySpent;
}

export interface PrivacySpent {
  epsilon: number;
  delta: number;
  noiseMultiplier: number;
  steps: number;
}

export interface TrainerOptions {
  spec: TrainSpec;
  head: Head;
  model: tf.LayersModel;
  optimizer: tf.Optimizer;
  loss: LossFn;
  train: Split;
  validation: Split;
  rng: Sfc32;
  checkpointDir: string;
  checkpointSeconds: number;
  keepCheckpoints: number;
  /** Called with each checkpoint's folder name once it is written (an s3:// run uploads it); a failure fails the run. */
  onCheckpoint?: (name: string) => Promise<void>;
  onProgress: (p: Progress, final: boolean) => void;
  log: (message: string) => void;
  now?: () => number;
  /** The backend runs on a GPU: the step stays on libtensorflow (step.ts). */
  gpu?: boolean;
  /** Overrides the host step's size limit (tests). */
  hostMaxMacs?: number;
  /** DP-SGD (hyperparameters.privacy, resolved by dp-plan.ts). */
  privacy?: PrivacyPlan;
  /** The secret DP stream to start a fresh run with (tests); a fresh run draws a random key otherwise (dp-random.ts). */
  dpRandom?: DpRandomState;
}

export interface TrainResult {
  state: LoopState;
  resumedFrom?: string;
}

const EVAL_ROWS = 8192;
/** Batch losses are read from the device this often (one transfer), not after every batch. */
const LOSS_READ_EVERY = 64;

/** Loss and metrics of the model on a whole split, in chunks (no gradients); on the host step's weights if given. */
export async function evaluate(
  model: tf.LayersModel,
  head: Head,
  loss: LossFn,
  split: Split,
  spec: TrainSpec,
  host?: HostStep["evaluate"],
): Promise<Record<string, number>> {
  const probs: Float32Array[] = [];
  const labels: Float32Array[] = [];
  let lossSum = 0;
  let rows = 0;
  for await (const chunk of split.scan()) {
    for (let from = 0; from < chunk.n; from += EVAL_ROWS) {
      const n = Math.min(EVAL_ROWS, chunk.n - from);
      const x = chunk.x.subarray(from * split.width, (from + n) * split.width);
      const y = chunk.y.subarray(from, from + n);
      if (host) {
        const r = host(x, y, n, head.activation);
        lossSum += r.lossSum;
        rows += n;
        probs.push(r.probs);
        labels.push(y);
        continue;
      }
      // Tensors out of the tidy, values read after it: a tidy walks every element of an array it returns.
      const [lossT, probsT] = tf.tidy(() => {
        const logits = model.apply(tf.tensor2d(x, [n, split.width]), { training: false }) as tf.Tensor2D;
        return [loss(tf.tensor1d(y), logits), activate(logits, head)];
      });
      const l = lossT.dataSync()[0] as number;
      const p = probsT.dataSync() as Float32Array;
      tf.dispose([lossT, probsT]);
      lossSum += l * n;
      rows += n;
      probs.push(p);
      labels.push(y);
    }
  }
  const cat = (parts: Float32Array[]) => {
    const out = new Float32Array(parts.reduce((s, p) => s + p.length, 0));
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  };
  return {
    loss: lossSum / rows,
    ...computeMetrics(spec.metrics, spec.task, { p: cat(probs), k: head.units, y: cat(labels) }),
  };
}

function freshState(rng: Sfc32): LoopState {
  return {
    epoch: 0,
    batch: 0,
    lossSum: 0,
    seen: 0,
    rng: rng.state(),
    best: null,
    wait: 0,
    stopped: false,
    history: [],
  };
}

export async function train(o: TrainerOptions): Promise<TrainResult> {
  const { spec, model, optimizer, train: data } = o;
  const now = o.now ?? (() => performance.now());
  const turns = eventLoopTurns();
  const restored = await restoreCheckpoint(o.checkpointDir, model, optimizer);
  for (const s of restored.skipped) o.log(`checkpoint skipped (starting from the one before it): ${s}`);
  let state = restored.state ?? freshState(o.rng);
  if (restored.state) {
    o.rng.restore(restored.state.rng);
    o.log(`resuming from checkpoint ${restored.name}: epoch ${state.epoch + 1}, batch ${state.batch}`);
  }
  const dp = o.privacy;
  if (dp && restored.state && !restored.state.dp) {
    throw new Error(`checkpoint ${restored.name} was written without DP-SGD; it cannot be resumed with privacy`);
  }
  const dpRandom = dp ? new DpRandom(restored.state?.dp ?? o.dpRandom) : undefined;
  if (dp) {
    o.log(
      `DP-SGD: clip ${dp.l2NormClip}, noise multiplier ${dp.noiseMultiplier.toPrecision(5)}, ${dp.sampling} sampling at rate ${dp.sampleRate.toPrecision(4)}, ${dp.stepsPerEpoch} steps an epoch, δ ${dp.delta}; ε after the run ${dp.epsilonAfter(spec.epochs * dp.stepsPerEpoch).toPrecision(4)}`,
    );
  }
  const {
    step,
    kind,
    sync,
    evaluate: hostEvaluate,
    tensors: hostTensors,
  } = makeStep({
    model,
    optimizer,
    loss: o.loss,
    lossName: spec.loss,
    head: o.head,
    width: data.width,
    ...(o.gpu ? { gpu: true } : {}),
    batchSize: spec.batchSize,
    ...(o.hostMaxMacs !== undefined ? { hostMaxMacs: o.hostMaxMacs } : {}),
    ...(dp && dpRandom
      ? {
          privacy: {
            l2NormClip: dp.l2NormClip,
            noiseMultiplier: dp.noiseMultiplier,
            expectedBatch: dp.expectedBatch,
            random: dpRandom,
          },
        }
      : {}),
  });
  o.log(`train step: ${STEP_KINDS[kind]}`);
  const batchesPerEpoch = dp ? dp.stepsPerEpoch : Math.ceil(data.rows / spec.batchSize);
  const total = spec.epochs * data.rows;
  const startedAt = now();
  let trainedHere = 0;
  let lastCheckpoint = now();
  // One checkpoint write in flight at most, in order; the loop trains on while it is written. A failed write
  // fails the run at the next checkpoint or at the end.
  let writing: Promise<void> = Promise.resolve();
  let writeFailed: Error | undefined;
  const written = async () => {
    await writing;
    if (writeFailed) throw writeFailed;
  };
  const checkpoint = async () => {
    // The host step's checkpoints come from its arrays; the model and optimizer are brought up to date at the end.
    if (!hostTensors) sync?.();
    state.rng = o.rng.state();
    if (dpRandom) state.dp = dpRandom.state();
    const snap = await snapshotCheckpoint(model, optimizer, state, hostTensors?.());
    await written();
    writing = writeCheckpoint(o.checkpointDir, snap, o.keepCheckpoints)
      .then((name) => o.onCheckpoint?.(name))
      .then(
        () => undefined,
        (err: Error) => {
          writeFailed = err;
        },
      );
    lastCheckpoint = now();
  };
  const progress = (final: boolean): Progress => {
    const done = Math.min(total, state.epoch * data.rows + state.seen);
    const seconds = (now() - startedAt) / 1000;
    const sps = seconds > 0 ? trainedHere / seconds : 0;
    const last = state.history[state.history.length - 1];
    const { loss, ...metrics } = last ?? {};
    return {
      epoch: state.epoch,
      epochs: spec.epochs,
      percentage: final ? 100 : Math.min(99, Math.floor((100 * done) / total)),
      ...(loss !== undefined ? { loss } : {}),
      ...(last ? { metrics } : {}),
      ...(sps > 0 ? { samplesPerSecond: Math.round(sps) } : {}),
      ...(sps > 0 ? { estimatedRemainingSeconds: final ? 0 : Math.ceil((total - done) / sps) } : {}),
      ...(state.history.length > 0 ? { history: boundHistory(state.history) } : {}),
      ...(dp ? { privacy: privacySpent(dp, state.epoch * dp.stepsPerEpoch + state.batch) } : {}),
    };
  };
  try {
    while (state.epoch < spec.epochs && !state.stopped) {
      const epochStarted = performance.now(); // not o.now: tests count that clock's calls
      let b = state.batch;
      const pending: { loss: tf.Scalar | number; n: number; batch: number }[] = [];
      // The losses of the batches trained since the last read: into the epoch's sum, or the NaNLoss failure.
      const readLosses = () => {
        if (pending.length === 0) return;
        const tensors = pending.flatMap((p) => (typeof p.loss === "number" ? [] : [p.loss]));
        const values = tensors.length > 0 ? tf.tidy(() => tf.stack(tensors).dataSync()) : [];
        tf.dispose(tensors);
        const read = pending.splice(0);
        let at = 0;
        read.forEach((p) => {
          const value = typeof p.loss === "number" ? p.loss : (values[at++] as number);
          if (!Number.isFinite(value)) {
            throw new TrainingFailure(
              "NaNLoss",
              `the loss became ${value} at epoch ${state.epoch + 1}, batch ${p.batch} of ${batchesPerEpoch}: the learning rate ${spec.learningRate} is probably too high; try ${spec.learningRate / 10}`,
            );
          }
          state.lossSum += value * p.n;
        });
      };
      const batches =
        dp && dpRandom
          ? dpBatches(data, dpRandom, state.epoch, dp, spec.batchSize, state.batch)
          : await batchDataset(data, state.epoch, spec.batchSize, state.batch).iterator();
      for (let next = await batches.next(); !next.done; next = await batches.next()) {
        const batch = next.value;
        pending.push({ loss: step(batch.x, batch.y, batch.n), n: batch.n, batch: ++b });
        await turns.take();
        state.batch = b;
        state.seen += batch.n;
        trainedHere += batch.n;
        if (pending.length >= LOSS_READ_EVERY) readLosses();
        if (now() - lastCheckpoint >= o.checkpointSeconds * 1000 && b < batchesPerEpoch) {
          readLosses();
          await checkpoint();
          o.onProgress(progress(false), false);
        }
      }
      readLosses();
      if (!hostEvaluate) sync?.();
      const epochLog: Record<string, number> = { loss: state.lossSum / Math.max(1, state.seen) };
      const val = await evaluate(model, o.head, o.loss, o.validation, spec, hostEvaluate);
      for (const [k, v] of Object.entries(val)) epochLog[`val_${k}`] = v;
      state.history.push(epochLog);
      state = { ...state, epoch: state.epoch + 1, batch: 0, lossSum: 0, seen: 0 };
      let stopping: string | undefined;
      if (spec.earlyStopping) {
        // Keras' EarlyStopping: stop once `patience` epochs in a row did not improve by more than minDelta.
        const { monitor, patience, minDelta } = spec.earlyStopping;
        const v = epochLog[monitor] as number;
        if (state.best === null || v < state.best - minDelta) {
          state.best = v;
          state.wait = 0;
        } else if (++state.wait >= patience) {
          state.stopped = true;
          stopping = `early stopping after epoch ${state.epoch}: ${monitor} has not improved for ${state.wait} epochs`;
        }
      }
      await checkpoint();
      const metrics = Object.entries(epochLog).map(([k, v]) => `${k}=${v.toFixed(4)}`);
      // The epoch's wall time: its batches, the validation pass and the checkpoint.
      const took = ((performance.now() - epochStarted) / 1000).toFixed(3);
      o.log(`epoch ${state.epoch}/${spec.epochs} ${metrics.join(" ")} (${took} s)`);
      if (stopping) o.log(stopping);
      o.onProgress(progress(false), false);
      await turns.take();
    }
  } finally {
    sync?.(); // the model holds the trained weights whatever ended the loop
    await writing; // a run that fails (or is stopped by its caller) leaves its last checkpoint whole
  }
  await written();
  o.onProgress(progress(true), true);
  return { state, ...(restored.name ? { resumedFrom: restored.name } : {}) };
}

/** What status.progress.privacy shows after `steps` noisy steps. */
export function privacySpent(dp: PrivacyPlan, steps: number): PrivacySpent {
  return { epsilon: dp.epsilonAfter(steps), delta: dp.delta, noiseMultiplier: dp.noiseMultiplier, steps };
}

/**
 * One epoch of DP-SGD's batches, stepsPerEpoch of them, from the secret stream (dp-random.ts) rather than the public
 * seed: under Poisson sampling each row is in each batch with probability sampleRate, under shuffling the epoch is a
 * secret permutation cut into batches. A function of (key, epoch, step) alone, so a resumed run skips `skip` steps
 * and draws the rest as an uninterrupted run does. Needs the split in memory.
 */
function dpBatches(
  data: Split,
  random: DpRandom,
  epoch: number,
  dp: PrivacyPlan,
  batchSize: number,
  skip: number,
): AsyncIterator<{ x: Float32Array; y: Float32Array; n: number }> {
  const take = data.take;
  if (!take) {
    throw new ConfigError(
      `DP-SGD samples its batches from the training split in memory, and ${data.rows} rows × ${data.width} features is over --cache-mib: raise --cache-mib`,
    );
  }
  const order = dp.sampling === "shuffle" ? random.permutation(epoch, data.rows) : undefined;
  let step = skip;
  return {
    async next() {
      if (step >= dp.stepsPerEpoch) return { done: true, value: undefined };
      const rows = order
        ? order.subarray(step * batchSize, Math.min((step + 1) * batchSize, data.rows))
        : random.poissonSample(epoch, step, data.rows, dp.sampleRate);
      step++;
      return { done: false, value: await take(rows) };
    },
  };
}

/** How long the loop may compute without giving the event loop a turn. */
const TURN_EVERY_MS = 50;

/**
 * The loop can run for minutes without a macrotask: the host step, in-memory batches, host validation and small
 * checkpoints are all synchronous, and awaiting them only queues microtasks. Progress reports (HTTP), signals and
 * timers would then wait for the end of the run, so `kubectl get tj -w` saw no progress until it was over. take()
 * yields one turn (setImmediate: after the poll phase) once TURN_EVERY_MS has passed since the last one.
 */
export function eventLoopTurns(everyMs = TURN_EVERY_MS): { take(): Promise<void> | undefined } {
  let last = performance.now();
  return {
    take() {
      const t = performance.now();
      if (t - last < everyMs) return undefined;
      return nextTurn().then(() => {
        last = performance.now();
      });
    },
  };
}
