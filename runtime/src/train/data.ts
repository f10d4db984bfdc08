// The DataSet's Parquet splits as batches for training. DuckDB streams the part files of a split in a fixed order
// (insertion order is preserved); a split that fits the cache budget is read once and shuffled in memory each epoch
// (a full permutation), a larger one is streamed every epoch through a shuffle buffer, as tf.data's shuffle(n) does.
// Both orders depend only on (seed, epoch), so a resumed run skips the batches it already trained on and sees the
// same ones after them. batchDataset offers one epoch's batches as a tf.data pipeline with prefetch.
import { access } from "node:fs/promises";
import path from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import * as tf from "@tensorflow/tfjs";
import type { PreprocessingJson } from "../contract/artifacts.js";
import { ConfigError } from "../errors.js";
import { permutation, streamFor } from "./rng.js";

const SPLITS = ["train", "validation", "test"] as const;
export type SplitName = (typeof SPLITS)[number];

interface Batch {
  /** Row-major [n, width] features. */
  x: Float32Array;
  /** Labels: class indices (classification) or target values (regression). */
  y: Float32Array;
  n: number;
}

export interface Split {
  name: SplitName;
  rows: number;
  width: number;
  /** Held in memory (read once): there is no read to overlap with the steps. */
  inMemory?: boolean;
  /** The batches of one epoch, starting after `skip` batches. */
  batches(epoch: number, batchSize: number, skip?: number): AsyncGenerator<Batch>;
  /** The given rows (by position in file order) as one batch: in-memory splits only (DP-SGD's Poisson sampling). */
  take?(rows: Uint32Array): Promise<Batch>;
  /** Every row in file order, in chunks (evaluation). */
  scan(): AsyncGenerator<Batch>;
}

export interface SplitOptions {
  seed: number;
  /** Splits larger than this many bytes of features are streamed each epoch instead of held in memory. */
  cacheBytes: number;
  /** Rows in the shuffle buffer of a streamed split. */
  shuffleBuffer: number;
}

const quote = (name: string) => `"${name.replaceAll('"', '""')}"`;
const literal = (s: string) => `'${s.replaceAll("'", "''")}'`;

/** The SELECT that yields features (as FLOAT) then the label, from every Parquet file of a split folder. */
function splitQuery(dir: string, pre: PreprocessingJson): string {
  const features = pre.featureNames.map((f) => `CAST(${quote(f)} AS FLOAT)`);
  const target = quote(pre.target.column);
  const classes = pre.target.classes;
  // Labels are class indices; a DataSet that stored the class label itself is mapped through `classes`.
  const label =
    pre.target.task === "regression" || classes === undefined
      ? `CAST(${target} AS FLOAT)`
      : `CAST(CASE WHEN TRY_CAST(${target} AS INTEGER) IS NOT NULL THEN CAST(${target} AS INTEGER)
          ELSE list_position([${classes.map(literal).join(", ")}], CAST(${target} AS VARCHAR)) - 1 END AS FLOAT)`;
  return `SELECT ${[...features, label].join(", ")} FROM read_parquet(${literal(path.join(dir, "*.parquet"))})`;
}

async function* chunks(dir: string, pre: PreprocessingJson): AsyncGenerator<Batch> {
  const instance = await DuckDBInstance.create(":memory:", { threads: "1" });
  const conn = await instance.connect();
  try {
    const result = await conn.stream(splitQuery(dir, pre));
    const width = pre.featureNames.length;
    for (;;) {
      const chunk = await result.fetchChunk();
      if (chunk === null || chunk.rowCount === 0) break;
      const n = chunk.rowCount;
      const x = new Float32Array(n * width);
      const y = new Float32Array(n);
      for (let c = 0; c < width; c++) {
        const col = chunk.getColumnValues(c);
        for (let r = 0; r < n; r++) {
          const v = col[r];
          if (typeof v !== "number") {
            throw new ConfigError(`feature ${pre.featureNames[c]} has a missing or non-numeric value in ${dir}`);
          }
          x[r * width + c] = v;
        }
      }
      const labels = chunk.getColumnValues(width);
      for (let r = 0; r < n; r++) {
        const v = labels[r];
        if (typeof v !== "number" || (pre.target.task !== "regression" && v < 0)) {
          throw new ConfigError(`target ${pre.target.column} has a missing or unknown value in ${dir}`);
        }
        y[r] = v;
      }
      yield { x, y, n };
    }
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

async function countRows(dir: string): Promise<number> {
  const instance = await DuckDBInstance.create(":memory:", { threads: "1" });
  const conn = await instance.connect();
  try {
    const reader = await conn.runAndReadAll(
      `SELECT count(*)::BIGINT FROM read_parquet(${literal(path.join(dir, "*.parquet"))})`,
    );
    return Number(reader.getRows()[0]?.[0] ?? 0);
  } catch (err) {
    throw new ConfigError(`cannot read the Parquet files in ${dir}: ${(err as Error).message.split("\n")[0]}`);
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

function concat(parts: Batch[], width: number): Batch {
  const n = parts.reduce((s, p) => s + p.n, 0);
  const x = new Float32Array(n * width);
  const y = new Float32Array(n);
  let at = 0;
  for (const p of parts) {
    x.set(p.x, at * width);
    y.set(p.y, at);
    at += p.n;
  }
  return { x, y, n };
}

/** Gathers rows `order[from … to)` of `all` into one batch. */
function gather(all: Batch, order: Uint32Array, from: number, to: number, width: number): Batch {
  const n = to - from;
  const x = new Float32Array(n * width);
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const r = order[from + i] as number;
    x.set(all.x.subarray(r * width, (r + 1) * width), i * width);
    y[i] = all.y[r] as number;
  }
  return { x, y, n };
}

const SHUFFLE = 1;

/** Opens `<data>/<name>/` (Parquet part files) as a split. */
export async function openSplit(
  data: string,
  name: SplitName,
  pre: PreprocessingJson,
  opts: SplitOptions,
): Promise<Split> {
  const dir = path.join(data, name);
  await access(dir).catch(() => {
    throw new ConfigError(`the DataSet output has no ${name} split (${name}/ is missing)`);
  });
  const rows = await countRows(dir);
  if (rows === 0) throw new ConfigError(`the DataSet has no rows in its ${name} split; change split fractions`);
  const width = pre.featureNames.length;
  const inMemory = rows * width * 4 <= opts.cacheBytes;
  let cached: Batch | undefined;
  const all = async () => {
    if (cached) return cached;
    const parts: Batch[] = [];
    for await (const c of chunks(dir, pre)) parts.push(c);
    cached = concat(parts, width);
    return cached;
  };
  return {
    name,
    rows,
    width,
    inMemory,
    ...(inMemory ? { take: async (picked: Uint32Array) => gather(await all(), picked, 0, picked.length, width) } : {}),
    async *scan() {
      if (inMemory) yield await all();
      else yield* chunks(dir, pre);
    },
    async *batches(epoch, batchSize, skip = 0) {
      const rng = streamFor(opts.seed, SHUFFLE, epoch);
      if (inMemory) {
        const data = await all();
        const order = permutation(data.n, rng);
        for (let from = skip * batchSize; from < data.n; from += batchSize) {
          yield gather(data, order, from, Math.min(from + batchSize, data.n), width);
        }
        return;
      }
      yield* streamed(chunks(dir, pre), rng, opts.shuffleBuffer, batchSize, skip, width);
    },
  };
}

/** tf.data-style shuffle buffer over a stream of chunks, cut into batches; the first `skip` batches are dropped. */
async function* streamed(
  source: AsyncGenerator<Batch>,
  rng: ReturnType<typeof streamFor>,
  bufferRows: number,
  batchSize: number,
  skip: number,
  width: number,
): AsyncGenerator<Batch> {
  const bx = new Float32Array(bufferRows * width);
  const by = new Float32Array(bufferRows);
  let filled = 0;
  let out: Batch = { x: new Float32Array(batchSize * width), y: new Float32Array(batchSize), n: 0 };
  let emitted = 0;
  const emitRow = (r: number) => {
    out.x.set(bx.subarray(r * width, (r + 1) * width), out.n * width);
    out.y[out.n] = by[r] as number;
    out.n++;
  };
  const flush = function* () {
    if (out.n === batchSize) {
      if (emitted++ >= skip) yield out;
      out = { x: new Float32Array(batchSize * width), y: new Float32Array(batchSize), n: 0 };
    }
  };
  for await (const c of source) {
    for (let i = 0; i < c.n; i++) {
      if (filled < bufferRows) {
        bx.set(c.x.subarray(i * width, (i + 1) * width), filled * width);
        by[filled++] = c.y[i] as number;
        continue;
      }
      // Buffer full: emit a random row and put the new one in its place.
      const r = rng.below(bufferRows);
      emitRow(r);
      bx.set(c.x.subarray(i * width, (i + 1) * width), r * width);
      by[r] = c.y[i] as number;
      yield* flush();
    }
  }
  // Drain the buffer in random order.
  const order = permutation(filled, rng);
  for (const r of order) {
    emitRow(r);
    yield* flush();
  }
  if (out.n > 0 && emitted >= skip)
    yield { x: out.x.subarray(0, out.n * width), y: out.y.subarray(0, out.n), n: out.n };
}

/** Batches read ahead of the one training, so a streamed split's Parquet reads overlap the steps. */
const PREFETCH_BATCHES = 4;

/**
 * One epoch of a split: the seeded batches of `batches()` (after `skip`, when resuming); a streamed split's
 * through a tf.data pipeline with prefetch, so its Parquet reads overlap the steps. An in-memory split's come
 * straight from its generator: tf.data's promise chain cost 10–100 µs a batch, as much as a host step at batch 32.
 * Elements stay host arrays.
 */
export function batchDataset(
  split: Split,
  epoch: number,
  batchSize: number,
  skip = 0,
): { iterator(): Promise<AsyncIterator<Batch>> } {
  const source = () => split.batches(epoch, batchSize, skip) as AsyncIterator<Batch & tf.TensorContainerObject>;
  if (split.inMemory) return { iterator: async () => source() };
  return tf.data.generator(source).prefetch(PREFETCH_BATCHES);
}
