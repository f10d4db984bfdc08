/**
 * Recent predictions by id, for matching feedback: bounded in rows and in age. Ids are random (128 bits after the
 * owner part), and each prediction is bound to its caller (auth.ts callerOf: a hash of the key; "" without auth):
 * only the same caller can give its feedback, so one key holder cannot poison another's live accuracy. A Map keeps insertion order, which
 * is also expiry order (one TTL for all), so expired entries are always at its head and eviction is O(1).
 */
import { randomBytes } from "node:crypto";

interface Entry {
  expiresAt: number;
  caller: string;
  predicted: number[];
}

export interface StoreOptions {
  /** Most rows kept (a request of n rows costs n). */
  maxRows: number;
  ttlSeconds: number;
  /** This replica's part of every id (see feedback.ts: ids name their owner so other replicas can forward). */
  owner: string;
  now?: () => number;
}

export class PredictionStore {
  private readonly entries = new Map<string, Entry>();
  private rows = 0;
  private readonly now: () => number;

  constructor(private readonly opts: StoreOptions) {
    this.now = opts.now ?? Date.now;
  }

  /** How long a prediction waits for its feedback. */
  get ttlSeconds(): number {
    return this.opts.ttlSeconds;
  }

  get size(): number {
    return this.entries.size;
  }

  get storedRows(): number {
    return this.rows;
  }

  private evict(): void {
    const t = this.now();
    for (const [id, e] of this.entries) {
      if (e.expiresAt > t && this.rows <= this.opts.maxRows) break;
      this.entries.delete(id);
      this.rows -= e.predicted.length;
    }
  }

  /** Stores one request's predicted values (one per row) for `caller` and returns its (random) id. */
  put(predicted: number[], caller = ""): string {
    const id = `${this.opts.owner}.${randomBytes(16).toString("base64url")}`;
    if (predicted.length > this.opts.maxRows) return id; // too large to keep: its feedback will be "unknown"
    this.entries.set(id, { expiresAt: this.now() + this.opts.ttlSeconds * 1000, caller, predicted });
    this.rows += predicted.length;
    this.evict();
    return id;
  }

  /**
   * The predicted value of a row, or why there is none; `consume` marks the row as answered. Another caller's
   * prediction is "unknown", as if it did not exist.
   */
  get(
    id: string,
    row: number,
    caller = "",
    consume = false,
  ): { value: number } | { missing: "unknown" | "row" | "answered" } {
    this.evict();
    const e = this.entries.get(id);
    if (e === undefined || e.expiresAt <= this.now() || e.caller !== caller) return { missing: "unknown" };
    if (!Number.isInteger(row) || row < 0 || row >= e.predicted.length) return { missing: "row" };
    const v = e.predicted[row] as number;
    if (Number.isNaN(v)) return { missing: "answered" };
    if (consume) e.predicted[row] = Number.NaN; // feedback counts once per row
    return { value: v };
  }

  rowsOf(id: string): number {
    return this.entries.get(id)?.predicted.length ?? 0;
  }

  /** The owner part of an id (everything before the first dot). */
  static ownerOf(id: string): string {
    const i = id.indexOf(".");
    return i === -1 ? "" : id.slice(0, i);
  }
}
