/**
 * A sliding window of counts: a ring of `slots` vectors, each covering windowSeconds / slots. Adding rotates out
 * slots older than the window, so the sum always covers the last windowSeconds (to one slot's precision) and memory
 * is slots × length numbers whatever the traffic.
 */
export class SlidingCounts {
  private readonly ring: Float64Array[];
  private readonly slotMs: number;
  /** Index (time / slotMs) of the newest slot; older ones follow it backwards in the ring. */
  private head: number;

  constructor(
    readonly length: number,
    readonly windowSeconds: number,
    readonly slots: number,
    private readonly now: () => number = Date.now,
  ) {
    if (slots < 1 || windowSeconds <= 0) throw new RangeError("a window needs slots >= 1 and windowSeconds > 0");
    this.slotMs = (windowSeconds * 1000) / slots;
    this.ring = Array.from({ length: slots }, () => new Float64Array(length));
    this.head = Math.floor(this.now() / this.slotMs);
  }

  /** Clears the slots that fell out of the window since the last call. */
  private rotate(): Float64Array {
    const current = Math.floor(this.now() / this.slotMs);
    const stale = Math.min(current - this.head, this.slots);
    for (let i = 1; i <= stale; i++) (this.ring[(this.head + i) % this.slots] as Float64Array).fill(0);
    if (current > this.head) this.head = current;
    return this.ring[this.head % this.slots] as Float64Array;
  }

  add(index: number, n = 1): void {
    const slot = this.rotate();
    slot[index] = (slot[index] as number) + n;
  }

  /** The current slot, for adding to several counts at one rotation (the request path's serving counts). */
  slot(): Float64Array {
    return this.rotate();
  }

  /** Sums over the window. */
  sum(): Float64Array {
    this.rotate();
    const out = new Float64Array(this.length);
    for (const slot of this.ring)
      for (let i = 0; i < this.length; i++) out[i] = (out[i] as number) + (slot[i] as number);
    return out;
  }
}
