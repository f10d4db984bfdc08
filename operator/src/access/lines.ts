// Splits a byte stream into lines (the audit devices write one JSON entry a line). A line longer than the bound is
// skipped whole, not cut: an audit entry that large (a huge response) names no data key worth the memory.
export const MAX_LINE_BYTES = 4 << 20;

export class LineSplitter {
  private parts: Buffer[] = [];
  private size = 0;
  private skipping = false;

  constructor(private readonly onLine: (line: string) => void) {}

  push(chunk: Buffer): void {
    let start = 0;
    for (let nl = chunk.indexOf(10, start); nl !== -1; nl = chunk.indexOf(10, start)) {
      const piece = chunk.subarray(start, nl);
      if (!this.skipping && this.size + piece.length <= MAX_LINE_BYTES) {
        const line =
          this.parts.length > 0 ? Buffer.concat([...this.parts, piece]).toString("utf8") : piece.toString("utf8");
        if (line.trim() !== "") this.onLine(line);
      }
      this.parts = [];
      this.size = 0;
      this.skipping = false;
      start = nl + 1;
    }
    const rest = chunk.subarray(start);
    if (rest.length === 0 || this.skipping) return;
    if (this.size + rest.length > MAX_LINE_BYTES) {
      this.parts = [];
      this.size = 0;
      this.skipping = true;
      return;
    }
    this.parts.push(Buffer.from(rest)); // a copy: the caller may reuse its buffer
    this.size += rest.length;
  }

  /** Forgets a partial line (the file was replaced under us). */
  reset(): void {
    this.parts = [];
    this.size = 0;
    this.skipping = false;
  }
}
