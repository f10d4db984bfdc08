/**
 * The drift baseline: stats.json (runtime/src/contract/artifacts.ts) turned into bins a value can be counted in.
 * Numeric columns use the decile edges; categorical columns their top values plus `__other__`, so what clients send
 * can never grow the number of bins (or of Prometheus series).
 */
import { createHash } from "node:crypto";
import { ARTIFACT_FORMAT_VERSION, type ColumnStats, type StatsJson } from "../../contract/artifacts.js";
import { ConfigError } from "../../errors.js";

export const OTHER = "__other__";

export interface FeatureBins {
  name: string;
  kind: "numeric" | "categorical";
  /** One label per bin: "0".."n" for numeric bins, the category value for categorical ones. */
  labels: string[];
  /** Baseline share of each bin (sums to 1). */
  expected: number[];
  /** Numeric: the decile edges (bin i = (edges[i-1], edges[i]]). */
  edges?: number[];
  /** Bin index of a value; undefined for a missing value (null, NaN, wrong type). */
  bin(value: unknown): number | undefined;
}

export interface Baseline {
  /** sha256 of the stats.json bytes: replicas with different baselines are not merged. */
  digest: string;
  features: FeatureBins[];
  /** Predicted class or regression output, against the test split's target distribution. */
  prediction?: FeatureBins;
}

function shares(counts: number[]): number[] {
  const total = counts.reduce((a, b) => a + b, 0);
  return counts.map((c) => (total > 0 ? c / total : 0));
}

export function binsOf(col: ColumnStats): FeatureBins {
  const h = col.histogram;
  const what = `stats.json column '${col.name}'`;
  if (h?.kind === "numeric") {
    const { edges, counts } = h;
    if (!Array.isArray(edges) || !Array.isArray(counts) || counts.length !== edges.length + 1)
      throw new ConfigError(`${what}: a numeric histogram needs counts.length = edges.length + 1`);
    return {
      name: col.name,
      kind: "numeric",
      labels: counts.map((_, i) => String(i)),
      expected: shares(counts),
      edges,
      bin(value) {
        if (typeof value !== "number" || !Number.isFinite(value)) return undefined;
        let lo = 0;
        let hi = edges.length; // first edge >= value, or edges.length (the open last bin)
        while (lo < hi) {
          const mid = (lo + hi) >> 1;
          if ((edges[mid] as number) >= value) hi = mid;
          else lo = mid + 1;
        }
        return lo;
      },
    };
  }
  if (h?.kind === "categorical" && typeof h.counts === "object" && h.counts !== null) {
    const keys = Object.keys(h.counts)
      .filter((k) => k !== OTHER)
      .sort();
    const labels = [...keys, OTHER];
    const index = new Map(labels.map((l, i) => [l, i]));
    const other = labels.length - 1;
    return {
      name: col.name,
      kind: "categorical",
      labels,
      expected: shares(labels.map((l) => h.counts[l] ?? 0)),
      bin(value) {
        if (value === null || value === undefined || (typeof value === "number" && !Number.isFinite(value)))
          return undefined;
        return index.get(String(value)) ?? other;
      },
    };
  }
  throw new ConfigError(`${what} has no numeric or categorical histogram`);
}

/** Parses and checks stats.json; `exclude` names columns that are not model inputs (the target). */
export function parseBaseline(text: string): Baseline {
  let json: StatsJson;
  try {
    json = JSON.parse(text) as StatsJson;
  } catch {
    throw new ConfigError("baseline stats.json is not valid JSON");
  }
  if (json?.formatVersion !== ARTIFACT_FORMAT_VERSION)
    throw new ConfigError(
      `baseline stats.json has formatVersion ${String(json?.formatVersion)}; this runtime reads ${ARTIFACT_FORMAT_VERSION}`,
    );
  if (!Array.isArray(json.columns)) throw new ConfigError("baseline stats.json has no columns");
  const target = json.target?.name;
  return {
    digest: createHash("sha256").update(text).digest("hex"),
    features: json.columns.filter((c) => c.name !== target).map(binsOf),
    ...(json.target ? { prediction: binsOf(json.target) } : {}),
  };
}
