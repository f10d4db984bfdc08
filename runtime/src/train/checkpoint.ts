// Checkpoints: weights, optimizer state and the loop's state (epoch, batch within it, RNG, early-stopping memory),
// written to a temporary folder and renamed into place, so a reader sees a whole checkpoint or none. state.json
// records the sha256 of both weight files; a checkpoint whose files do not match (tampered, truncated) is skipped
// in favour of the one before it, and the caller is told which. The newest `keep` are kept. The bytes are taken
// at once (snapshotCheckpoint) and written after (writeCheckpoint): large ones while training goes on, small ones
// at once (see SYNC_WRITE_BYTES).
import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import * as tf from "@tensorflow/tfjs";
import type { DpRandomState } from "./dp-random.js";

export interface LoopState {
  /** Epochs completed. */
  epoch: number;
  /** Batches completed in the current epoch. */
  batch: number;
  /** Sum of batch losses × rows and rows seen in the current epoch. */
  lossSum: number;
  seen: number;
  rng: number[];
  best: number | null;
  /** Epochs without improvement of the monitored quantity. */
  wait: number;
  stopped: boolean;
  history: Record<string, number>[];
  /** DP-SGD's secret stream (dp-random.ts): its key and position, so a resumed run draws the same noise and samples. */
  dp?: DpRandomState;
}

interface StateFile {
  formatVersion: 1;
  state: LoopState;
  /** Optimizer scalars outside getWeights() (Adam's running beta powers), so a resumed run is bit-identical. */
  optimizerScalars?: Record<string, number[]>;
  files: Record<string, { sha256: string; weights: tf.io.WeightsManifestEntry[] }>;
}

const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
const NAME = /^ckpt-(\d{6})-(\d{9})$/;
/** Prefix of a checkpoint being written; one left by a killed process is removed at the next restore. */
const TMP = ".tmp-";

async function encode(tensors: { name: string; tensor: tf.Tensor }[]) {
  const { data, specs } = await tf.io.encodeWeights(tensors);
  return { bytes: new Uint8Array(data), specs };
}

/** A checkpoint's bytes, taken at one moment; writeCheckpoint puts them on disk later (the loop goes on). */
export interface Snapshot {
  name: string;
  weights: Uint8Array;
  optimizer: Uint8Array;
  stateJson: string;
}

/**
 * The host step's weights and Adam state (host-step.ts), packed in the model's weight order: a snapshot taken from
 * them needs no tensor. Encoded as tf.io.encodeWeights encodes model.weights and FusedAdam.getWeights() (the
 * same bytes and specs; host-step.test.ts compares them).
 */
export interface HostTensors {
  weights: Float32Array;
  m: Float32Array;
  v: Float32Array;
  iterations: number;
  /** The variables' names, as FusedAdam names the moments. */
  names: string[];
}

type Entry = { name: string; shape: number[]; dtype: "float32" | "int32"; data: Float32Array | Int32Array };

function encodeHost(entries: Entry[]) {
  const bytes = new Uint8Array(entries.reduce((s, e) => s + e.data.byteLength, 0));
  let at = 0;
  for (const e of entries) {
    bytes.set(new Uint8Array(e.data.buffer, e.data.byteOffset, e.data.byteLength), at);
    at += e.data.byteLength;
  }
  return { bytes, specs: entries.map(({ name, shape, dtype }) => ({ name, shape, dtype })) };
}

function fromHost(model: tf.LayersModel, host: HostTensors) {
  const split = (flat: Float32Array, name: (i: number) => string): Entry[] => {
    let at = 0;
    return model.weights.map((w, i) => {
      const data = flat.subarray(at, at + (w.shape as number[]).reduce((a, b) => a * b, 1));
      at += data.length;
      return { name: name(i), shape: [...(w.shape as number[])], dtype: "float32", data };
    });
  };
  return {
    weights: encodeHost(split(host.weights, (i) => (model.weights[i] as tf.LayerVariable).originalName)),
    opt: encodeHost([
      { name: "iter", shape: [], dtype: "int32", data: Int32Array.of(host.iterations) },
      ...split(host.m, (i) => `${host.names[i]}/m`),
      ...split(host.v, (i) => `${host.names[i]}/v`),
    ]),
  };
}

export async function snapshotCheckpoint(
  model: tf.LayersModel,
  optimizer: tf.Optimizer,
  state: LoopState,
  host?: HostTensors,
): Promise<Snapshot> {
  const { weights, opt } = host
    ? fromHost(model, host)
    : {
        weights: await encode(model.weights.map((w) => ({ name: w.originalName, tensor: w.read() }))),
        opt: await encode(await optimizer.getWeights()),
      };
  const file: StateFile = {
    formatVersion: 1,
    state,
    optimizerScalars: hiddenVariables(optimizer),
    files: {
      "weights.bin": { sha256: sha256(weights.bytes), weights: weights.specs },
      "optimizer.bin": { sha256: sha256(opt.bytes), weights: opt.specs },
    },
  };
  return {
    name: `ckpt-${String(state.epoch).padStart(6, "0")}-${String(state.batch).padStart(9, "0")}`,
    weights: weights.bytes,
    optimizer: opt.bytes,
    stateJson: JSON.stringify(file),
  };
}

/**
 * Below this many bytes a checkpoint is written with synchronous calls: a promise-based write makes no progress
 * while the loop trains (its steps and tf.data's batches never yield to the event loop), so it all happened in
 * the next checkpoint's wait, ~10 file-system round trips through the thread pool (10 ms an epoch under load,
 * more than a digits epoch); a few hundred KiB into the page cache take well under a millisecond. Larger
 * checkpoints stay asynchronous.
 */
const SYNC_WRITE_BYTES = 4 << 20;

/** Writes a snapshot atomically (temporary folder, then rename) and keeps the newest `keep`. */
export async function writeCheckpoint(dir: string, snap: Snapshot, keep: number): Promise<string> {
  if (snap.weights.byteLength + snap.optimizer.byteLength <= SYNC_WRITE_BYTES)
    return writeCheckpointSync(dir, snap, keep);
  await mkdir(dir, { recursive: true });
  const tmp = path.join(dir, `${TMP}${randomBytes(6).toString("hex")}`);
  await mkdir(tmp);
  await writeFile(path.join(tmp, "weights.bin"), snap.weights);
  await writeFile(path.join(tmp, "optimizer.bin"), snap.optimizer);
  await writeFile(path.join(tmp, "state.json"), snap.stateJson);
  const target = path.join(dir, snap.name);
  await rm(target, { recursive: true, force: true });
  await rename(tmp, target);
  const all = await list(dir);
  for (const old of all.slice(keep)) await rm(path.join(dir, old), { recursive: true, force: true });
  return snap.name;
}

/** writeCheckpoint's steps with synchronous calls (small checkpoints). */
function writeCheckpointSync(dir: string, snap: Snapshot, keep: number): string {
  mkdirSync(dir, { recursive: true });
  const tmp = path.join(dir, `${TMP}${randomBytes(6).toString("hex")}`);
  mkdirSync(tmp);
  writeFileSync(path.join(tmp, "weights.bin"), snap.weights);
  writeFileSync(path.join(tmp, "optimizer.bin"), snap.optimizer);
  writeFileSync(path.join(tmp, "state.json"), snap.stateJson);
  const target = path.join(dir, snap.name);
  rmSync(target, { recursive: true, force: true });
  renameSync(tmp, target);
  for (const old of names(readdirSync(dir)).slice(keep)) rmSync(path.join(dir, old), { recursive: true, force: true });
  return snap.name;
}

/**
 * setWeights() recomputes Adam's and Adamax's beta powers as pow(beta, t), which rounds differently from the
 * running product the optimizer keeps; saving the variables themselves keeps a resumed run identical.
 */
function hiddenVariables(optimizer: tf.Optimizer): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const [key, value] of Object.entries(optimizer)) {
    if (value instanceof tf.Variable) out[key] = Array.from(value.dataSync());
  }
  return out;
}

function restoreHidden(optimizer: tf.Optimizer, saved: Record<string, number[]>): void {
  const fields = optimizer as unknown as Record<string, unknown>;
  for (const [key, values] of Object.entries(saved)) {
    const v = fields[key];
    if (v instanceof tf.Variable && v.size === values.length) v.assign(tf.tensor(values, v.shape, v.dtype));
  }
}

/** Checkpoint folder names, newest first. */
async function list(dir: string): Promise<string[]> {
  return names(await readdir(dir).catch(() => [] as string[]));
}

function names(entries: string[]): string[] {
  return entries
    .filter((n) => NAME.test(n))
    .sort()
    .reverse();
}

export interface Restored {
  /** The checkpoint loaded; absent when none was sound (or there was none). */
  name?: string;
  state?: LoopState;
  /** Checkpoints skipped because they were unreadable or tampered, with why. */
  skipped: string[];
}

/** Loads the newest sound checkpoint into model and optimizer. */
export async function restoreCheckpoint(
  dir: string,
  model: tf.LayersModel,
  optimizer: tf.Optimizer,
): Promise<Restored> {
  const skipped: string[] = [];
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    if (name.startsWith(TMP)) await rm(path.join(dir, name), { recursive: true, force: true });
  }
  for (const name of await list(dir)) {
    const at = path.join(dir, name);
    try {
      const file = JSON.parse(await readFile(path.join(at, "state.json"), "utf8")) as StateFile;
      if (file.formatVersion !== 1) throw new Error(`formatVersion ${String(file.formatVersion)}`);
      const decoded: Record<string, tf.NamedTensorMap> = {};
      for (const [f, meta] of Object.entries(file.files)) {
        const bytes = await readFile(path.join(at, f));
        if (sha256(bytes) !== meta.sha256) throw new Error(`${f} does not match its digest`);
        const buf = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
        decoded[f] = tf.io.decodeWeights(buf, meta.weights);
      }
      // By position, not name: layer names carry a per-process counter, positions and shapes do not change.
      const w = decoded["weights.bin"] ?? {};
      const specs = file.files["weights.bin"]?.weights ?? [];
      if (specs.length !== model.weights.length) {
        throw new Error(`it holds ${specs.length} weights, the model has ${model.weights.length}`);
      }
      const values = model.weights.map((v, i) => {
        const t = w[specs[i]?.name ?? ""];
        if (t === undefined || t.shape.join("x") !== v.shape.join("x")) {
          throw new Error(`weight ${i} (${v.originalName}) has another shape: a checkpoint of another model`);
        }
        return t;
      });
      model.setWeights(values);
      const o = decoded["optimizer.bin"] ?? {};
      const optimizerWeights = file.files["optimizer.bin"]?.weights ?? [];
      await optimizer.setWeights(optimizerWeights.map((s) => ({ name: s.name, tensor: o[s.name] as tf.Tensor })));
      restoreHidden(optimizer, file.optimizerScalars ?? {});
      return { name, state: file.state, skipped };
    } catch (err) {
      skipped.push(`${name}: ${(err as Error).message}`);
    }
  }
  return { skipped };
}
