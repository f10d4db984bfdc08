// The capture writer: the request path hands it each answered raw-records request (observe: sample, copy references
// into the bounded buffer, never await), feedback hands it labels (label), and a background flusher writes what is
// ready as one Parquet version every flushSeconds, or sooner once FLUSH_ROWS rows wait, then prunes. One flush runs
// at a time; a failed one counts its rows as dropped_error and the next goes on. stop() writes everything left.
import { randomBytes } from "node:crypto";
import { rm } from "node:fs/promises";
import path from "node:path";
import type { CaptureEncryption } from "../../capture/format.js";
import type { CaptureConfig } from "../../contract/capture.js";
import type { OutputTensor } from "../model/loaded-model.js";
import { labelsOf } from "../raw-records.js";
import { CaptureBuffer, type CapturedRequest } from "./buffer.js";
import type { CaptureMetrics } from "./metrics.js";
import type { CaptureRow, ParquetWriter } from "./parquet.js";
import { sampler } from "./sampler.js";
import type { CaptureStore } from "./store.js";

/** A version is written once this many rows are ready, without waiting for flushSeconds. */
const FLUSH_ROWS = 10_000;
/** Most rows buffered; beyond, new requests are dropped (dropped_full). */
const MAX_BUFFERED_ROWS = 100_000;

/** A fresh data key per version: Vault transit's datakey/wrapped, then decrypt (the key never leaves this pod). */
export interface DataKeys {
  generate(transitKey: string): Promise<{ dataKey: Buffer; wrappedKey: string }>;
}

export interface CaptureWriterOptions {
  config: CaptureConfig;
  pod: string;
  store: CaptureStore;
  parquet: ParquetWriter;
  keys: DataKeys | undefined;
  metrics: CaptureMetrics;
  /** Private folder for the Parquet before it is encrypted and published. */
  scratch: string;
  /** Whether feedback labels can come (prediction ids exist); without, rows are written without waiting. */
  feedback: boolean;
  log: { info(m: string): void; warn(m: string): void };
  /** The served model's classes (classification) for the prediction column; undefined: regression values. */
  classes?: readonly string[] | undefined;
  modelDigest: () => string;
  maxBufferedRows?: number;
  now?: () => number;
}

export class CaptureWriter {
  private readonly buffer: CaptureBuffer;
  private readonly keep: () => boolean;
  private readonly now: () => number;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private seq = 0;
  private localIds = 0;
  private stopped = false;

  constructor(private readonly o: CaptureWriterOptions) {
    this.buffer = new CaptureBuffer(o.maxBufferedRows ?? MAX_BUFFERED_ROWS, o.feedback);
    this.keep = sampler(o.config.sampleRate, o.pod);
    this.now = o.now ?? Date.now;
  }

  /** Request path: O(1), synchronous. `id` is the prediction id (feedback on), else one is made up. */
  observe(id: string | undefined, records: readonly Record<string, unknown>[], outputs: readonly OutputTensor[]): void {
    const output = outputs[0];
    if (this.stopped || output === undefined || records.length === 0) return;
    if (!this.keep()) {
      this.o.metrics.rows("sampled_out", records.length);
      return;
    }
    const key = id ?? `${this.o.pod}.${++this.localIds}`;
    if (!this.buffer.add(key, records, output, this.now())) {
      this.o.metrics.rows("dropped_full", records.length);
      return;
    }
    if (this.buffer.size >= FLUSH_ROWS && this.running === undefined) setImmediate(() => void this.flush());
  }

  /** Feedback path: the true value of a captured row (ignored when the row was not captured or is written). */
  label(id: string, row: number, label: unknown): void {
    this.buffer.label(id, row, label);
  }

  start(): void {
    this.timer = setInterval(() => void this.flush(), this.o.config.flushSeconds * 1000);
    this.timer.unref();
  }

  /** Writes what is ready (everything with `all`); resolves when this flush and any running one are done. */
  flush(all = false): Promise<void> {
    const run = async () => {
      const previous = this.running;
      if (previous) await previous;
      await this.write(this.buffer.take(this.now(), this.o.config.labelWaitSeconds * 1000, all));
    };
    const p = run().finally(() => {
      if (this.running === p) this.running = undefined;
    });
    this.running = p;
    return p;
  }

  /** Shutdown: no new rows; everything buffered is written (unlabelled where no label came). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.flush(true);
    this.o.parquet.close();
    await rm(this.o.scratch, { recursive: true, force: true });
  }

  private rowsOf(requests: readonly CapturedRequest[]): CaptureRow[] {
    const rows: CaptureRow[] = [];
    for (const r of requests) {
      const predictions = this.predictions(r.output, r.records.length);
      for (let i = 0; i < r.records.length; i++) {
        rows.push({
          record: r.records[i] as Record<string, unknown>,
          label: r.labels[i],
          prediction: predictions[i] ?? "",
          predictionId: r.id,
          at: r.at,
        });
      }
    }
    return rows;
  }

  private predictions(output: OutputTensor, rows: number): string[] {
    if (this.o.classes) return labelsOf([output], this.o.classes);
    const p = output.data as ArrayLike<number>;
    const k = Math.max(1, Math.floor(p.length / rows));
    return Array.from({ length: rows }, (_, i) => String(p[i * k]));
  }

  private async write(requests: CapturedRequest[]): Promise<void> {
    if (requests.length === 0) return;
    const rows = this.rowsOf(requests);
    const file = path.join(this.o.scratch, `capture-${randomBytes(6).toString("hex")}.parquet`);
    let enc: CaptureEncryption | undefined;
    try {
      const t = this.o.config.encryption?.transitKey;
      if (t !== undefined && this.o.keys) enc = { transitKey: t, ...(await this.o.keys.generate(t)) };
      await this.o.parquet.write(rows, this.o.config.track, this.o.modelDigest(), file);
      const now = new Date(this.now());
      const v = await this.o.store.publish(file, enc, ++this.seq % 1_000_000, now);
      this.o.metrics.rows("written", rows.length);
      // A failed prune is only logged: the rows are written, and the next flush prunes again.
      const pruned = await this.o.store.prune(now).catch((err: Error) => {
        this.o.log.warn(`capture: cannot prune ${this.o.store.describe}: ${err.message}`);
        return undefined;
      });
      this.o.metrics.version(pruned?.bytes);
      this.o.log.info(`capture: wrote ${rows.length} rows as ${v.pod}/${v.name} (${pruned?.deleted ?? 0} pruned)`);
    } catch (err) {
      this.o.metrics.rows("dropped_error", rows.length);
      this.o.log.warn(
        `capture: cannot write ${rows.length} rows to ${this.o.store.describe}: ${(err as Error).message}`,
      );
    } finally {
      enc?.dataKey.fill(0);
      await rm(file, { force: true });
    }
  }
}
