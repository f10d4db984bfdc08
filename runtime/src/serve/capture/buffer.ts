// The captured requests waiting to be written: bounded in rows, synchronous and O(1) per request and per label, so
// the request path never waits on it. A request's rows wait here for their feedback labels (by prediction id and
// row) until all came or labelWait passed; the flusher then takes them. Full: new requests are dropped (counted).
import type { OutputTensor } from "../model/loaded-model.js";

export interface CapturedRequest {
  id: string;
  /** Epoch ms when it was answered. */
  at: number;
  records: readonly Record<string, unknown>[];
  /** The model's first output for these rows (the prediction is derived from it when written). */
  output: OutputTensor;
  /** One per row: the feedback label, or undefined while none came. */
  labels: unknown[];
  unlabelled: number;
}

export class CaptureBuffer {
  private readonly entries = new Map<string, CapturedRequest>();
  private rows = 0;

  constructor(
    private readonly maxRows: number,
    /** Whether labels may come (feedback is on); without, every request is ready at once. */
    private readonly labelled: boolean,
  ) {}

  get size(): number {
    return this.rows;
  }

  /** Keeps a request's rows; false when the buffer is full (the request is not captured). */
  add(id: string, records: readonly Record<string, unknown>[], output: OutputTensor, at: number): boolean {
    if (this.rows + records.length > this.maxRows) return false;
    const n = records.length;
    this.entries.set(id, { id, at, records, output, labels: new Array(n), unlabelled: this.labelled ? n : 0 });
    this.rows += n;
    return true;
  }

  /** Sets row `row` of request `id`'s label; false when the request is not here (not captured, or written). */
  label(id: string, row: number, label: unknown): boolean {
    const e = this.entries.get(id);
    if (e === undefined || row < 0 || row >= e.records.length || e.labels[row] !== undefined) return false;
    e.labels[row] = label;
    e.unlabelled--;
    return true;
  }

  /**
   * Removes and returns the requests to write now: those fully labelled, those that waited labelWaitMs, and (all
   * requests with `all`, at shutdown) the oldest ones while the buffer is more than half full, so that a long label
   * wait under heavy traffic writes rows unlabelled rather than dropping new ones.
   */
  take(now: number, labelWaitMs: number, all = false): CapturedRequest[] {
    const out: CapturedRequest[] = [];
    const half = this.maxRows / 2;
    for (const e of this.entries.values()) {
      if (all || e.unlabelled === 0 || now - e.at >= labelWaitMs || this.rows > half) {
        out.push(e);
        this.entries.delete(e.id);
        this.rows -= e.records.length;
      }
    }
    return out;
  }
}
