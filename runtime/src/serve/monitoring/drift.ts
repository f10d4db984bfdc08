/**
 * Drift counts: every input column (and the prediction) counted in the baseline's bins, both as Prometheus counters
 * (cumulative; PromQL's increase() makes the window) and in a sliding window served as JSON, which the operator
 * merges across replicas (bin counts add up) to compute PSI and Jensen-Shannon distance.
 */
import client from "prom-client";
import { halfToNumber } from "../half.js";
import type { DType, OutputTensor, Signature, Tensor, TypedData } from "../model/loaded-model.js";
import type { Prepared } from "../validate.js";
import { type Baseline, type FeatureBins, OTHER } from "./baseline.js";
import { SlidingCounts } from "./window.js";

type Source = "input" | "prediction";
/** Most column names without a baseline remembered for the report (clients choose them: keep it bounded). */
const MAX_UNMATCHED = 32;

interface Tracked {
  bins: FeatureBins;
  source: Source;
  offset: number;
  /** Window index of the feature's missing-value count. */
  missingAt: number;
  counters: client.Counter.Internal[];
  missing: client.Counter.Internal;
}

interface FeatureCounts {
  name: string;
  source: Source;
  kind: "numeric" | "categorical";
  labels: string[];
  expected: number[];
  edges?: number[];
  /** Values per bin in the window. */
  counts: number[];
  /** Missing values (null, NaN, wrong type) in the window, not in any bin. */
  missing: number;
}

export interface DriftSnapshot {
  baselineDigest: string;
  windowSeconds: number;
  /** Requests' rows seen in the window. */
  rows: number;
  features: FeatureCounts[];
  /** Input columns with no baseline statistics (not counted). */
  unmatched: string[];
}

export interface WindowOptions {
  windowSeconds: number;
  slots: number;
  now?: () => number;
}

/** The class labels of a classification baseline, in training-label order (sorted), or undefined for regression. */
function classesOf(b: Baseline): string[] | undefined {
  return b.prediction?.kind === "categorical" ? b.prediction.labels.filter((l) => l !== OTHER) : undefined;
}

/** Element `i` as a number: float16 decoded from its bits; a BYTES element (no number) is NaN, which no bin takes. */
function numberAt(data: TypedData, dtype: DType, i: number): number {
  const v = data[i];
  if (typeof v !== "number") return typeof v === "bigint" ? Number(v) : Number.NaN;
  return dtype === "float16" ? halfToNumber(v) : v;
}

/** Predicted class index (classification) or value (regression) per row of the first output. */
export function predictedValues(output: OutputTensor, rows: number, classification: boolean): number[] {
  const width = output.data.length / Math.max(rows, 1);
  const at = (i: number) => numberAt(output.data, output.dtype, i);
  const out = new Array<number>(rows);
  for (let r = 0; r < rows; r++) {
    const row = r * width;
    if (!classification) out[r] = at(row);
    else if (width === 1)
      out[r] = at(row) >= 0.5 ? 1 : 0; // one sigmoid unit: binary
    else {
      let best = 0;
      for (let c = 1; c < width; c++) if (at(row + c) > at(row + best)) best = c;
      out[r] = best;
    }
  }
  return out;
}

export class DriftMonitor {
  private readonly tracked = new Map<string, Tracked>();
  private readonly prediction: Tracked | undefined;
  private readonly window: SlidingCounts;
  private readonly rowsAt: number;
  private readonly unmatched = new Set<string>();
  readonly classes: string[] | undefined;

  constructor(
    readonly baseline: Baseline,
    registry: client.Registry,
    model: string,
    opts: WindowOptions,
  ) {
    const registers = [registry];
    const observations = new client.Counter({
      name: "liftoff_drift_observations_total",
      help: "Values seen per baseline bin, by model, source (input column or prediction), feature and bin.",
      labelNames: ["model", "source", "feature", "bin"],
      registers,
    });
    const missing = new client.Counter({
      name: "liftoff_drift_missing_total",
      help: "Missing or unusable values (null, NaN, wrong type) per feature; not counted in any bin.",
      labelNames: ["model", "source", "feature"],
      registers,
    });
    const expected = new client.Gauge({
      name: "liftoff_drift_baseline_ratio",
      help: "Share of the baseline (training split, or test split for the prediction) in each bin.",
      labelNames: ["model", "source", "feature", "bin"],
      registers,
    });
    let offset = 0;
    const track = (bins: FeatureBins, source: Source): Tracked => {
      const t: Tracked = {
        bins,
        source,
        offset,
        missingAt: offset + bins.labels.length,
        // The bin label is the bin's index, never its category value (/metrics is open; /monitoring names them).
        counters: bins.labels.map((_, i) => {
          const labels = { model, source, feature: bins.name, bin: String(i) };
          expected.set(labels, bins.expected[i] ?? 0);
          // Series exist at 0 from the start, so increase() over the window sees every bin.
          return observations.labels(labels) as unknown as client.Counter.Internal;
        }),
        missing: missing.labels({ model, source, feature: bins.name }) as unknown as client.Counter.Internal,
      };
      for (const c of t.counters) c.inc(0);
      t.missing.inc(0);
      offset += bins.labels.length + 1;
      return t;
    };
    for (const f of baseline.features) this.tracked.set(f.name, track(f, "input"));
    if (baseline.prediction) this.prediction = track(baseline.prediction, "prediction");
    this.rowsAt = offset;
    this.window = new SlidingCounts(offset + 1, opts.windowSeconds, opts.slots, opts.now);
    this.classes = classesOf(baseline);
  }

  private count(t: Tracked, value: unknown): void {
    const b = t.bins.bin(value);
    if (b === undefined) {
      t.missing.inc(1);
      this.window.add(t.missingAt);
    } else {
      (t.counters[b] as client.Counter.Internal).inc(1);
      this.window.add(t.offset + b);
    }
  }

  private noBaseline(name: string): void {
    if (this.unmatched.size < MAX_UNMATCHED) this.unmatched.add(name);
  }

  /** Raw records (column name → value), as sent before preprocessing. */
  observeRecords(records: readonly Record<string, unknown>[]): void {
    for (const rec of records) {
      for (const [name, value] of Object.entries(rec)) {
        const t = this.tracked.get(name);
        if (t) this.count(t, value);
        else this.noBaseline(name);
      }
    }
    this.window.add(this.rowsAt, records.length);
  }

  /**
   * Input tensors when there is no preprocessing: one [rows, k] input maps its columns to the baseline columns in
   * order; several inputs of one value per row map by input name.
   */
  observeTensors(sig: Signature, prepared: Prepared): void {
    const { rows } = prepared;
    prepared.inputs.forEach((tensor: Tensor, i) => {
      const spec = sig.inputs[i];
      const width = tensor.data.length / rows;
      const single = sig.inputs.length === 1 && tensor.shape.length === 2;
      for (let j = 0; j < width; j++) {
        const name = single ? (this.baseline.features[j]?.name ?? `${spec?.name}[${j}]`) : (spec?.name ?? String(i));
        const t = width === 1 || single ? this.tracked.get(name) : undefined;
        if (!t) {
          this.noBaseline(width === 1 || single ? name : `${spec?.name}`);
          if (!single) break;
          continue;
        }
        const dtype = spec?.dtype ?? "float32";
        for (let r = 0; r < rows; r++) this.count(t, numberAt(tensor.data, dtype, r * width + j));
      }
    });
    this.window.add(this.rowsAt, rows);
  }

  /** The predicted class label (or regression value) of each row. */
  observePredictions(predicted: readonly number[]): void {
    const t = this.prediction;
    if (!t) return;
    for (const p of predicted) this.count(t, this.classes ? this.classes[p] : p);
  }

  snapshot(): DriftSnapshot {
    const sum = this.window.sum();
    const all = [...this.tracked.values(), ...(this.prediction ? [this.prediction] : [])];
    return {
      baselineDigest: this.baseline.digest,
      windowSeconds: this.window.windowSeconds,
      rows: sum[this.rowsAt] as number,
      features: all.map((t) => ({
        name: t.bins.name,
        source: t.source,
        kind: t.bins.kind,
        labels: t.bins.labels,
        expected: t.bins.expected,
        ...(t.bins.edges ? { edges: t.bins.edges } : {}),
        counts: Array.from(sum.subarray(t.offset, t.offset + t.bins.labels.length)),
        missing: sum[t.missingAt] as number,
      })),
      unmatched: [...this.unmatched].sort(),
    };
  }
}
