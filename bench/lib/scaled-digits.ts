// scikit-learn's digits made bigger for benches that need an epoch of a few seconds (bench:distributed): the 1 797
// real rows repeated, each copy after the first with seeded pixel noise (synthetic only for scale). The same seed and
// factor give the same bytes, so the DataSet's version digest is stable across runs.
import { readFileSync, writeFileSync } from "node:fs";

/** mulberry32: a small seeded generator, enough for noise. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Writes `out`: the header of `digitsCsv` (px0…px63,digit), then its rows `repeat` times; copy 0 as is, the others with
 * each pixel moved by −1, 0 or +1 (clamped to the data's 0…16). Returns the number of data rows written.
 */
export function writeScaledDigits(digitsCsv: string, out: string, repeat: number, seed: number): number {
  const [header, ...rows] = readFileSync(digitsCsv, "utf8").trim().split("\n");
  const next = random(seed);
  const lines = [header];
  for (let copy = 0; copy < repeat; copy++) {
    for (const row of rows) {
      if (copy === 0) {
        lines.push(row);
        continue;
      }
      const cells = row.split(",");
      const label = cells.pop();
      const noisy = cells.map((v) => Math.min(16, Math.max(0, Number(v) + Math.floor(next() * 3) - 1)));
      lines.push(`${noisy.join(",")},${label}`);
    }
  }
  writeFileSync(out, `${lines.join("\n")}\n`);
  return lines.length - 1;
}
