// Live quality from feedback (pure): accuracy and macro precision/recall/F1 with a per-class table from the merged
// confusion matrix (rows: true class, columns: predicted, as operator/src/modeldeployment/monitoring/scores.ts adds
// them up), or MAE/RMSE for regression.
interface ClassQuality {
  class: string;
  precision?: number;
  recall?: number;
  f1?: number;
  /** Feedback labels of this class. */
  support: number;
}

export type QualityReport =
  | {
      task: "classification";
      feedback: number;
      accuracy?: number;
      macroPrecision?: number;
      macroRecall?: number;
      macroF1?: number;
      classes: ClassQuality[];
    }
  | { task: "regression"; feedback: number; mae?: number; rmse?: number };

const mean = (xs: number[]) => (xs.length === 0 ? undefined : xs.reduce((a, b) => a + b, 0) / xs.length);

export function classificationQuality(
  classes: readonly string[],
  confusion: readonly (readonly number[])[],
): QualityReport {
  const k = classes.length;
  const actual = confusion.map((r) => r.reduce((a, b) => a + b, 0));
  const predicted = Array.from({ length: k }, (_, p) => confusion.reduce((s, r) => s + (r[p] ?? 0), 0));
  const n = actual.reduce((a, b) => a + b, 0);
  let correct = 0;
  const rows: ClassQuality[] = classes.map((c, i) => {
    const tp = confusion[i]?.[i] ?? 0;
    correct += tp;
    const a = actual[i] ?? 0;
    const p = predicted[i] ?? 0;
    const precision = p > 0 ? tp / p : undefined;
    const recall = a > 0 ? tp / a : undefined;
    const f1 =
      precision === undefined || recall === undefined
        ? undefined
        : precision + recall === 0
          ? 0
          : (2 * precision * recall) / (precision + recall);
    return {
      class: c,
      ...(precision !== undefined ? { precision } : {}),
      ...(recall !== undefined ? { recall } : {}),
      ...(f1 !== undefined ? { f1 } : {}),
      support: a,
    };
  });
  if (n === 0) return { task: "classification", feedback: 0, classes: rows };
  // Macro averages over the classes that occurred (as true or predicted class), like the operator's macro-F1.
  const seen = rows.filter((_, i) => (actual[i] ?? 0) > 0 || (predicted[i] ?? 0) > 0);
  const avg = (f: (r: ClassQuality) => number | undefined) => mean(seen.map((r) => f(r) ?? 0));
  return {
    task: "classification",
    feedback: n,
    accuracy: correct / n,
    macroPrecision: avg((r) => r.precision) as number,
    macroRecall: avg((r) => r.recall) as number,
    macroF1: avg((r) => r.f1) as number,
    classes: rows,
  };
}

export function regressionQuality(n: number, absoluteErrorSum: number, squaredErrorSum: number): QualityReport {
  if (n === 0) return { task: "regression", feedback: 0 };
  return { task: "regression", feedback: n, mae: absoluteErrorSum / n, rmse: Math.sqrt(squaredErrorSum / n) };
}
