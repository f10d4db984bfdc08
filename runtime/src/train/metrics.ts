// Epoch and test metrics computed exactly over a whole split from the model's outputs (pure). Keras averages some
// of these per batch; here they are the plain definitions over all rows. Multiclass precision, recall and AUC are
// macro averages over the classes (one-vs-rest), binary ones use the 0.5 threshold.
import type { MetricName, Task } from "./spec.js";

export interface Outputs {
  /** Row-major [n, k] outputs after the head's activation (probabilities, or predictions for regression). */
  p: Float32Array;
  k: number;
  /** Labels: class indices or targets. */
  y: Float32Array;
}

function predictedClass(o: Outputs, i: number): number {
  if (o.k === 1) return (o.p[i] as number) >= 0.5 ? 1 : 0;
  let best = 0;
  for (let c = 1; c < o.k; c++) if ((o.p[i * o.k + c] as number) > (o.p[i * o.k + best] as number)) best = c;
  return best;
}

/** ROC AUC of scores against 0/1 labels: the Mann–Whitney statistic, ties counted half. */
export function rocAuc(scores: ArrayLike<number>, positive: (i: number) => boolean): number {
  const n = scores.length;
  const idx = Array.from({ length: n }, (_, i) => i).sort((a, b) => (scores[a] as number) - (scores[b] as number));
  let pos = 0;
  let rankSum = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && scores[idx[j + 1] as number] === scores[idx[i] as number]) j++;
    const avgRank = (i + j) / 2 + 1;
    for (let t = i; t <= j; t++) {
      if (positive(idx[t] as number)) {
        pos++;
        rankSum += avgRank;
      }
    }
    i = j + 1;
  }
  const neg = n - pos;
  if (pos === 0 || neg === 0) return Number.NaN;
  return (rankSum - (pos * (pos + 1)) / 2) / (pos * neg);
}

function classCounts(o: Outputs, n: number, classes: number) {
  const tp = new Array<number>(classes).fill(0);
  const fp = new Array<number>(classes).fill(0);
  const fn = new Array<number>(classes).fill(0);
  for (let i = 0; i < n; i++) {
    const want = o.y[i] as number;
    const got = predictedClass(o, i);
    if (got === want) tp[got] = (tp[got] as number) + 1;
    else {
      fp[got] = (fp[got] as number) + 1;
      fn[want] = (fn[want] as number) + 1;
    }
  }
  return { tp, fp, fn };
}

const ratio = (a: number, b: number) => (b === 0 ? 0 : a / b);
const mean = (xs: number[]) => xs.reduce((s, v) => s + v, 0) / xs.length;

export function computeMetrics(names: readonly MetricName[], task: Task, o: Outputs): Record<string, number> {
  const n = o.y.length;
  const out: Record<string, number> = {};
  const classes = o.k === 1 ? 2 : o.k;
  for (const name of names) {
    switch (name) {
      case "mse":
      case "mae": {
        let s = 0;
        for (let i = 0; i < n; i++) {
          // Regression: the prediction; classification: the probability of the true class vs 1 (as Keras on one-hot).
          const d =
            task === "regression"
              ? (o.p[i] as number) - (o.y[i] as number)
              : o.k === 1
                ? (o.p[i] as number) - (o.y[i] as number)
                : 1 - (o.p[i * o.k + (o.y[i] as number)] as number);
          s += name === "mse" ? d * d : Math.abs(d);
        }
        out[name] = s / n;
        break;
      }
      case "accuracy": {
        let right = 0;
        for (let i = 0; i < n; i++) if (predictedClass(o, i) === o.y[i]) right++;
        out.accuracy = right / n;
        break;
      }
      case "precision":
      case "recall": {
        const { tp, fp, fn } = classCounts(o, n, classes);
        const per = (c: number) =>
          name === "precision"
            ? ratio(tp[c] as number, (tp[c] as number) + (fp[c] as number))
            : ratio(tp[c] as number, (tp[c] as number) + (fn[c] as number));
        out[name] = o.k === 1 ? per(1) : mean(Array.from({ length: classes }, (_, c) => per(c)));
        break;
      }
      case "auc": {
        if (o.k === 1) out.auc = rocAuc(o.p, (i) => o.y[i] === 1);
        else {
          const per: number[] = [];
          for (let c = 0; c < o.k; c++) {
            const scores = Float32Array.from({ length: n }, (_, i) => o.p[i * o.k + c] as number);
            const a = rocAuc(scores, (i) => o.y[i] === c);
            if (!Number.isNaN(a)) per.push(a);
          }
          out.auc = per.length === 0 ? Number.NaN : mean(per);
        }
        break;
      }
    }
  }
  return out;
}
