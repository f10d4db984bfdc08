/**
 * Dynamic batching: concurrent requests are concatenated along dimension 0 into
 * one model call and the outputs split back by row offsets. Requests arrive
 * validated, so one caller's bad input can never fail the others in its batch.
 * One batch runs at a time (Triton's dynamic batcher with one model instance).
 * By default (maxLatencyMs 0) the worker takes what is queued the moment it is
 * free: a lone request runs at once, with no added wait, and requests that
 * arrive while a batch computes go together as the next one. The model computes
 * on the event loop's own thread, so requests cannot arrive *during* a call;
 * they arrive in the I/O callbacks after it. The worker therefore counts as
 * busy until the event loop's check phase (setImmediate) after each batch: what
 * the sockets delivered meanwhile goes as one batch, while a request that finds
 * the loop quiet still runs at once. maxLatencyMs > 0
 * opts into waiting, while the worker is free, up to that long for a fuller
 * batch (sent early when maxBatchSize rows are queued). With maxBatchSize 1
 * every request runs on its own, unqueued. At most maxPending requests are
 * queued or computing at once; one more is refused at once (errors.overloaded).
 */
import { performance } from "node:perf_hooks";
import { errors } from "../errors.js";
import { isBytes } from "./bytes-tensors.js";
import type { OutputTensor, Tensor, TypedData } from "./model/loaded-model.js";
import { sizeOf, sliceData } from "./tensors.js";
import type { Prepared } from "./validate.js";

export interface BatchResult {
  outputs: OutputTensor[];
  queueSeconds: number;
  computeSeconds: number;
}

export interface BatcherOptions {
  maxBatchSize: number;
  maxLatencyMs: number;
  /** Most requests queued or computing at once (--max-pending-requests); undefined: no bound. */
  maxPending?: number;
  run(inputs: readonly Tensor[]): Promise<OutputTensor[]>;
  /** Called once per model call with its row count and compute time. */
  onBatch?(rows: number, computeSeconds: number): void;
}

interface Pending {
  req: Prepared;
  enqueuedAt: number;
  resolve(r: BatchResult): void;
  reject(err: unknown): void;
}

/** Concatenates the requests' inputs, input by input. */
export function concatInputs(reqs: readonly Prepared[]): Tensor[] {
  const first = reqs[0] as Prepared;
  if (reqs.length === 1) return first.inputs;
  const rows = reqs.reduce((n, r) => n + r.rows, 0);
  return first.inputs.map((t0, i) => {
    const shape = [rows, ...t0.shape.slice(1)];
    // BYTES: one list of the requests' elements (the byte strings themselves are not copied).
    if (isBytes(t0.data)) return { data: reqs.flatMap((r) => (r.inputs[i] as Tensor).data as Uint8Array[]), shape };
    // Same typed array as the first request's (the dtype is the input's, checked per request).
    const data = new (t0.data.constructor as new (n: number) => TypedData)(sizeOf(shape));
    let offset = 0;
    for (const r of reqs) {
      const part = (r.inputs[i] as Tensor).data;
      (data as Float32Array).set(part as Float32Array, offset);
      offset += part.length;
    }
    return { data, shape };
  });
}

/** Splits batch outputs back into per-request outputs by row counts. */
export function splitOutputs(outputs: readonly OutputTensor[], rowCounts: readonly number[]): OutputTensor[][] {
  const total = rowCounts.reduce((a, b) => a + b, 0);
  for (const t of outputs) {
    if (t.shape[0] !== total) throw new Error(`batched output has ${t.shape[0]} rows, expected ${total}`);
  }
  let start = 0;
  return rowCounts.map((rows) => {
    const mine = outputs.map((t) => {
      const stride = total === 0 ? 0 : t.data.length / total;
      return {
        data: sliceData(t.data, start * stride, (start + rows) * stride),
        shape: [rows, ...t.shape.slice(1)],
        dtype: t.dtype,
      };
    });
    start += rows;
    return mine;
  });
}

export class Batcher {
  private queue: Pending[] = [];
  private timer: { cancel(): void } | undefined;
  private inFlight = 0;
  /** True from the end of a batch to the next check phase (see the header). */
  private settling = false;
  private idleWaiters: (() => void)[] = [];
  /** Requests submitted and not yet answered. */
  private pending = 0;

  constructor(private readonly opts: BatcherOptions) {}

  /** Requests waiting for a batch. */
  get queued(): number {
    return this.queue.length;
  }

  get batching(): boolean {
    return this.opts.maxBatchSize > 1;
  }

  submit(req: Prepared): Promise<BatchResult> {
    const max = this.opts.maxPending;
    if (max !== undefined && this.pending >= max) return Promise.reject(errors.overloaded(max));
    this.pending++;
    // Unbatched, alone() counts the request out itself: no finally() promise and closure per request.
    if (!this.batching) return this.alone(req);
    return new Promise<BatchResult>((resolve, reject) => {
      this.queue.push({ req, enqueuedAt: performance.now(), resolve, reject });
      this.schedule();
    }).finally(() => {
      this.pending--;
    });
  }

  /** Unbatched: the request is its own model call, with no queue and no hand-off. */
  private async alone(req: Prepared): Promise<BatchResult> {
    this.inFlight++;
    const start = performance.now();
    try {
      const outputs = await this.opts.run(req.inputs);
      const computeSeconds = (performance.now() - start) / 1000;
      this.opts.onBatch?.(req.rows, computeSeconds);
      return { outputs, queueSeconds: 0, computeSeconds };
    } finally {
      this.pending--;
      this.inFlight--;
      if (this.inFlight === 0) for (const w of this.idleWaiters.splice(0)) w();
    }
  }

  /** Sends everything queued now and resolves when no batch is running. */
  async drain(): Promise<void> {
    while (this.queue.length > 0) this.flush();
    if (this.inFlight === 0) return;
    await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  private queuedRows(key: string): number {
    let n = 0;
    for (const p of this.queue) if (p.req.batchKey === key) n += p.req.rows;
    return n;
  }

  /** Starts the next batch if the worker is free and the batch is due; else arms the latency timer. */
  private schedule(): void {
    if (this.inFlight > 0 || this.settling) return; // the running batch calls schedule() when it ends
    const head = this.queue[0];
    if (head === undefined) return;
    const wait = this.opts.maxLatencyMs - (performance.now() - head.enqueuedAt);
    if (wait <= 0 || this.queuedRows(head.req.batchKey) >= this.opts.maxBatchSize) {
      this.flush();
      return;
    }
    if (this.timer !== undefined) return;
    const t = setTimeout(() => {
      this.timer = undefined;
      this.schedule();
    }, wait);
    this.timer = { cancel: () => clearTimeout(t) };
  }

  /** Takes the oldest request and the compatible ones after it, up to maxBatchSize rows. */
  private flush(): void {
    if (this.timer !== undefined) {
      this.timer.cancel();
      this.timer = undefined;
    }
    const head = this.queue[0];
    if (head === undefined) return;
    const batch: Pending[] = [];
    const rest: Pending[] = [];
    let rows = 0;
    for (const p of this.queue) {
      const fits =
        batch.length === 0 || (p.req.batchKey === head.req.batchKey && rows + p.req.rows <= this.opts.maxBatchSize);
      if (fits) {
        batch.push(p);
        rows += p.req.rows;
      } else rest.push(p);
    }
    this.queue = rest;
    void this.execute(batch);
  }

  private async execute(batch: Pending[]): Promise<void> {
    this.inFlight++;
    const start = performance.now();
    try {
      const outputs = await this.opts.run(concatInputs(batch.map((p) => p.req)));
      const computeSeconds = (performance.now() - start) / 1000;
      const rowCounts = batch.map((p) => p.req.rows);
      this.opts.onBatch?.(
        rowCounts.reduce((a, b) => a + b, 0),
        computeSeconds,
      );
      const parts = batch.length === 1 ? [outputs] : splitOutputs(outputs, rowCounts);
      batch.forEach((p, i) => {
        p.resolve({ outputs: parts[i] as OutputTensor[], queueSeconds: (start - p.enqueuedAt) / 1000, computeSeconds });
      });
    } catch (err) {
      for (const p of batch) p.reject(err);
    } finally {
      this.inFlight--;
      if (this.inFlight === 0 && this.queue.length === 0) {
        for (const w of this.idleWaiters.splice(0)) w();
      }
      if (this.batching) this.settle();
    }
  }

  /** Lets the I/O that arrived during the batch queue up, then schedules once. */
  private settle(): void {
    if (this.settling) return;
    this.settling = true;
    setImmediate(() => {
      this.settling = false;
      this.schedule();
    });
  }
}
