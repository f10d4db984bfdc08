// Concept drift on the penguins (pure): the same birds as examples/penguins.csv, but their labels follow a changed
// rule, a fixed permutation of the three species. The inputs do not move at all (no input drift to see); only live
// accuracy from feedback can tell that the model has gone wrong. `npm start -- --loop` and
// test/integration/closed-loop.test.ts send it.

export const SPECIES = ["Adelie", "Chinstrap", "Gentoo"] as const;

/** The changed rule: each species is now called by the next one's name. */
const DRIFTED: Record<string, string> = { Adelie: "Chinstrap", Chinstrap: "Gentoo", Gentoo: "Adelie" };

export type Rule = "original" | "drifted";

export interface Penguin {
  /** The raw record a client sends: every column of the DataSet's schema but the target (year included, as the
   * captured rows must carry it through the DataSet's dropNA). */
  record: Record<string, string | number>;
  species: string;
}

/** The label of a penguin under a rule. */
export function labelOf(p: Penguin, rule: Rule): string {
  return rule === "original" ? p.species : (DRIFTED[p.species] ?? p.species);
}

/** The complete rows of the penguins CSV (rows with an NA are left out, as the DataSet's dropNA does). */
export function penguins(csv: string): Penguin[] {
  const [header, ...lines] = csv.trim().split("\n");
  const cols = (header ?? "").split(",");
  const numeric = new Set(["bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g", "year"]);
  return lines.flatMap((line) => {
    const cells = line.split(",");
    if (cells.length !== cols.length || cells.some((c) => c === "NA" || c === "")) return [];
    const record: Record<string, string | number> = {};
    let species = "";
    cols.forEach((c, i) => {
      const v = cells[i] ?? "";
      if (c === "species") species = v;
      else record[c] = numeric.has(c) ? Number(v) : v;
    });
    return [{ record, species }];
  });
}

/** A seeded draw of penguins with replacement (mulberry32), so a run sends the same rows again. */
export function sampler(rows: Penguin[], seed: number): (n: number) => Penguin[] {
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return (n) => Array.from({ length: n }, () => rows[Math.floor(next() * rows.length)] as Penguin);
}
