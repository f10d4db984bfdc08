// Histograms as one line of block characters (pure): each bin's share of its distribution, scaled to the larger
// top share of the pair drawn side by side, so the baseline and the live line are read on one scale.
const BLOCKS = ["▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"] as const;
/** An empty bin: distinct from a small one (▁). */
export const EMPTY = "·";

/** Shares of a count vector (all 0 when it is empty). */
export function shares(counts: readonly number[]): number[] {
  const total = counts.reduce((a, b) => a + b, 0);
  return counts.map((c) => (total > 0 ? c / total : 0));
}

/** One block per bin, scaled so `top` is a full block. */
export function sparkline(values: readonly number[], top: number = Math.max(0, ...values)): string {
  return values
    .map((v) => {
      if (!(v > 0) || !(top > 0)) return EMPTY;
      const level = Math.ceil((Math.min(v, top) / top) * BLOCKS.length) - 1;
      return BLOCKS[Math.max(0, Math.min(BLOCKS.length - 1, level))];
    })
    .join("");
}

/** The baseline and live lines of one feature, on a common scale. */
export function sideBySide(baseline: readonly number[], live: readonly number[]): { baseline: string; live: string } {
  const top = Math.max(0, ...baseline, ...live);
  return { baseline: sparkline(baseline, top), live: sparkline(live, top) };
}
