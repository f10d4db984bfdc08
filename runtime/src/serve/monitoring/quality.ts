/**
 * Live model quality from feedback over a sliding window: a confusion matrix (classification) or error sums
 * (regression). Exported as cumulative Prometheus counters, which add up across replicas, and as gauges of this
 * replica's window; the JSON snapshot carries the raw counts so the operator can merge replicas exactly.
 */
import client from "prom-client";
import type { WindowOptions } from "./drift.js";
import { SlidingCounts } from "./window.js";

export type Task = { kind: "classification"; classes: string[] } | { kind: "regression" };

interface ClassFigures {
  label: string;
  precision: number | null;
  recall: number | null;
  f1: number | null;
  /** Feedback whose true label is this class. */
  support: number;
}

export interface ClassificationFigures {
  n: number;
  accuracy: number | null;
  macroF1: number | null;
  classes: ClassFigures[];
  /** confusion[actual][predicted]. */
  confusion: number[][];
}

export interface RegressionFigures {
  n: number;
  mae: number | null;
  rmse: number | null;
  absoluteErrorSum: number;
  squaredErrorSum: number;
}

const ratio = (a: number, b: number) => (b > 0 ? a / b : null);

/** Accuracy, per-class precision/recall/F1 and macro-F1 of a confusion matrix (confusion[actual][predicted]). */
export function classificationFigures(labels: readonly string[], confusion: number[][]): ClassificationFigures {
  const k = labels.length;
  let n = 0;
  let correct = 0;
  const predictedTotals = new Array<number>(k).fill(0);
  for (let a = 0; a < k; a++)
    for (let p = 0; p < k; p++) {
      const c = confusion[a]?.[p] ?? 0;
      n += c;
      if (a === p) correct += c;
      predictedTotals[p] = (predictedTotals[p] as number) + c;
    }
  const classes = labels.map((label, i) => {
    const tp = confusion[i]?.[i] ?? 0;
    const support = (confusion[i] ?? []).reduce((s, c) => s + c, 0);
    const precision = ratio(tp, predictedTotals[i] as number);
    const recall = ratio(tp, support);
    const f1 =
      precision === null || recall === null
        ? null
        : precision + recall === 0
          ? 0
          : (2 * precision * recall) / (precision + recall);
    return { label, precision, recall, f1, support };
  });
  // Macro-F1 over the classes that occurred (as true or predicted label) in the window.
  const seen = classes.filter((c, i) => c.support > 0 || (predictedTotals[i] as number) > 0);
  const macroF1 = seen.length > 0 ? seen.reduce((s, c) => s + (c.f1 ?? 0), 0) / seen.length : null;
  return { n, accuracy: ratio(correct, n), macroF1, classes, confusion };
}

export function regressionFigures(n: number, absoluteErrorSum: number, squaredErrorSum: number): RegressionFigures {
  const mse = ratio(squaredErrorSum, n);
  return {
    n,
    mae: ratio(absoluteErrorSum, n),
    rmse: mse === null ? null : Math.sqrt(mse),
    absoluteErrorSum,
    squaredErrorSum,
  };
}

export class QualityMonitor {
  private readonly window: SlidingCounts;
  private readonly k: number;
  private readonly pairs: client.Counter<"model" | "actual" | "predicted" | "correct">;
  private readonly absSum: client.Counter<"model">;
  private readonly sqSum: client.Counter<"model">;
  private readonly total: client.Counter<"model">;

  constructor(
    readonly task: Task,
    registry: client.Registry,
    private readonly model: string,
    opts: WindowOptions,
  ) {
    const registers = [registry];
    this.k = task.kind === "classification" ? task.classes.length : 0;
    this.window = new SlidingCounts(
      task.kind === "classification" ? this.k * this.k : 3,
      opts.windowSeconds,
      opts.slots,
      opts.now,
    );
    this.total = new client.Counter({
      name: "liftoff_feedback_total",
      help: "Feedback (ground truth) matched to a prediction.",
      labelNames: ["model"],
      registers,
    });
    this.pairs = new client.Counter({
      name: "liftoff_feedback_class_total",
      help: "Classification feedback by true and predicted class (a confusion matrix that adds up across replicas).",
      labelNames: ["model", "actual", "predicted", "correct"],
      registers,
    });
    this.absSum = new client.Counter({
      name: "liftoff_feedback_absolute_error_sum",
      help: "Regression feedback: sum of |predicted - actual|.",
      labelNames: ["model"],
      registers,
    });
    this.sqSum = new client.Counter({
      name: "liftoff_feedback_squared_error_sum",
      help: "Regression feedback: sum of (predicted - actual)^2.",
      labelNames: ["model"],
      registers,
    });
    this.total.inc({ model }, 0);
    const gauge = (name: string, help: string, labelNames: string[], collect: (g: client.Gauge<string>) => void) =>
      new client.Gauge({
        name,
        help: `${help} Over this replica's last ${opts.windowSeconds} s of feedback.`,
        labelNames,
        registers,
        collect() {
          this.reset();
          collect(this);
        },
      });
    const set = (g: client.Gauge<string>, labels: Record<string, string>, v: number | null) => {
      if (v !== null) g.set(labels, v);
    };
    if (task.kind === "classification") {
      for (const a of task.classes)
        for (const p of task.classes) this.pairs.inc({ model, actual: a, predicted: p, correct: String(a === p) }, 0);
      gauge("liftoff_model_accuracy", "Live accuracy from feedback.", ["model"], (g) =>
        set(g, { model }, this.classification().accuracy),
      );
      gauge("liftoff_model_macro_f1", "Live macro-F1 from feedback.", ["model"], (g) =>
        set(g, { model }, this.classification().macroF1),
      );
      for (const [metric, key] of [
        ["precision", "precision"],
        ["recall", "recall"],
        ["f1", "f1"],
      ] as const) {
        gauge(`liftoff_model_${metric}`, `Live per-class ${metric} from feedback.`, ["model", "class"], (g) => {
          for (const c of this.classification().classes) set(g, { model, class: c.label }, c[key]);
        });
      }
      gauge(
        "liftoff_model_confusion",
        "Live confusion matrix from feedback.",
        ["model", "actual", "predicted"],
        (g) => {
          const { confusion } = this.classification();
          task.classes.forEach((a, i) => {
            task.classes.forEach((p, j) => {
              g.set({ model, actual: a, predicted: p }, confusion[i]?.[j] ?? 0);
            });
          });
        },
      );
    } else {
      gauge("liftoff_model_mae", "Live mean absolute error from feedback.", ["model"], (g) =>
        set(g, { model }, this.regression().mae),
      );
      gauge("liftoff_model_rmse", "Live root-mean-square error from feedback.", ["model"], (g) =>
        set(g, { model }, this.regression().rmse),
      );
    }
  }

  /** Class index of a true label, or undefined when the model does not know it. */
  classIndex(label: unknown): number | undefined {
    if (this.task.kind !== "classification") return undefined;
    const i = this.task.classes.indexOf(String(label));
    return i === -1 ? undefined : i;
  }

  /** One matched feedback: predicted class index (or value) and the true class index (or value). */
  record(predicted: number, actual: number): void {
    const model = this.model;
    this.total.inc({ model });
    if (this.task.kind === "classification") {
      const classes = this.task.classes;
      this.pairs.inc({
        model,
        actual: classes[actual] as string,
        predicted: classes[predicted] as string,
        correct: String(actual === predicted),
      });
      this.window.add(actual * this.k + predicted);
    } else {
      const err = predicted - actual;
      this.absSum.inc({ model }, Math.abs(err));
      this.sqSum.inc({ model }, err * err);
      this.window.add(0);
      this.window.add(1, Math.abs(err));
      this.window.add(2, err * err);
    }
  }

  classification(): ClassificationFigures {
    const classes = this.task.kind === "classification" ? this.task.classes : [];
    const sum = this.window.sum();
    const confusion = classes.map((_, a) => Array.from(sum.subarray(a * this.k, (a + 1) * this.k)));
    return classificationFigures(classes, confusion);
  }

  regression(): RegressionFigures {
    const sum = this.window.sum();
    return regressionFigures(sum[0] as number, sum[1] as number, sum[2] as number);
  }

  snapshot(): { task: Task["kind"]; classes?: string[]; windowSeconds: number } & (
    | { classification: ClassificationFigures }
    | { regression: RegressionFigures }
  ) {
    const windowSeconds = this.window.windowSeconds;
    return this.task.kind === "classification"
      ? { task: "classification", classes: this.task.classes, windowSeconds, classification: this.classification() }
      : { task: "regression", windowSeconds, regression: this.regression() };
  }
}
