// Drift and quality scores of merged pod snapshots (pure). Bin counts and confusion matrices add up across
// replicas, so the merge is exact; each pod's counts cover its own sliding window, so a pod that restarted only
// contributes a shorter window (never a negative difference, as cumulative counters would).
import type { FeatureCounts, PodSnapshot } from "./snapshot.js";

/** Floor on both shares, so an empty bin scores finitely; the same ε as the PrometheusRule's PSI. */
export const EPSILON = 1e-4;

export function psi(counts: readonly number[], expected: readonly number[]): number {
  const total = counts.reduce((a, b) => a + b, 0);
  if (total === 0) return 0;
  let s = 0;
  counts.forEach((c, i) => {
    const p = Math.max(c / total, EPSILON);
    const q = Math.max(expected[i] ?? 0, EPSILON);
    s += (p - q) * Math.log(p / q);
  });
  return s;
}

/** Jensen-Shannon distance, base 2 (0 = same distribution, 1 = disjoint). */
export function jensenShannon(counts: readonly number[], expected: readonly number[]): number {
  const total = counts.reduce((a, b) => a + b, 0);
  const qTotal = expected.reduce((a, b) => a + b, 0);
  if (total === 0 || qTotal === 0) return 0;
  let d = 0;
  counts.forEach((c, i) => {
    const p = c / total;
    const q = (expected[i] ?? 0) / qTotal;
    const m = (p + q) / 2;
    if (p > 0) d += 0.5 * p * Math.log2(p / m);
    if (q > 0) d += 0.5 * q * Math.log2(q / m);
  });
  return Math.sqrt(Math.max(d, 0));
}

interface FeatureScore {
  name: string;
  source: "input" | "prediction";
  psi: number;
  jensenShannon: number;
}

export interface Merged {
  pods: number;
  windowSeconds: number;
  rows: number;
  /** Pods whose baseline could not be read, with the first reason. */
  baselineError?: string;
  drift?: { scores: FeatureScore[]; unmatched: string[] };
  quality?:
    | { task: "classification"; classes: string[]; confusion: number[][] }
    | { task: "regression"; n: number; absoluteErrorSum: number; squaredErrorSum: number };
}

const addInto = (into: number[], from: readonly number[]) => {
  from.forEach((v, i) => {
    into[i] = (into[i] ?? 0) + v;
  });
};

/**
 * Merges the pods that share the most common baseline (during a rollout old and new models may differ) and
 * scores every feature.
 */
export function mergeSnapshots(snaps: readonly PodSnapshot[]): Merged {
  const byDigest = new Map<string, PodSnapshot[]>();
  for (const s of snaps)
    if (s.drift) byDigest.set(s.drift.baselineDigest, [...(byDigest.get(s.drift.baselineDigest) ?? []), s]);
  const group = [...byDigest.values()].sort((a, b) => b.length - a.length)[0] ?? [];
  const out: Merged = {
    pods: snaps.length,
    windowSeconds: Math.max(0, ...snaps.map((s) => s.windowSeconds)),
    rows: group.reduce((n, s) => n + (s.drift?.rows ?? 0), 0),
  };
  const err = snaps.find((s) => s.baseline.error)?.baseline.error;
  if (err) out.baselineError = err;
  if (group.length > 0) {
    const features = new Map<string, FeatureCounts>();
    const unmatched = new Set<string>();
    for (const s of group) {
      for (const f of s.drift?.features ?? []) {
        const key = `${f.source}/${f.name}`;
        const seen = features.get(key);
        if (!seen) features.set(key, { ...f, counts: [...f.counts] });
        else if (seen.labels.length === f.labels.length) addInto(seen.counts, f.counts);
      }
      for (const u of s.drift?.unmatched ?? []) unmatched.add(u);
    }
    const scores = [...features.values()].map((f) => ({
      name: f.name,
      source: f.source,
      psi: psi(f.counts, f.expected),
      jensenShannon: jensenShannon(f.counts, f.expected),
    }));
    scores.sort((a, b) => b.psi - a.psi || a.name.localeCompare(b.name));
    out.drift = { scores, unmatched: [...unmatched].sort().slice(0, 32) };
  }
  const qs = snaps.map((s) => s.quality).filter((q) => q !== undefined);
  const first = qs[0];
  if (first?.task === "classification") {
    const k = first.classes.length;
    const confusion = Array.from({ length: k }, () => new Array<number>(k).fill(0));
    for (const q of qs) {
      if (q.task !== "classification" || q.classes.join("\n") !== first.classes.join("\n")) continue;
      q.classification.confusion.forEach((row, a) => {
        addInto(confusion[a] as number[], row);
      });
    }
    out.quality = { task: "classification", classes: first.classes, confusion };
  } else if (first?.task === "regression") {
    const r = { n: 0, absoluteErrorSum: 0, squaredErrorSum: 0 };
    for (const q of qs) {
      if (q.task !== "regression") continue;
      r.n += q.regression.n;
      r.absoluteErrorSum += q.regression.absoluteErrorSum;
      r.squaredErrorSum += q.regression.squaredErrorSum;
    }
    out.quality = { task: "regression", ...r };
  }
  return out;
}

export interface QualityFigures {
  feedback: number;
  accuracy?: number;
  macroF1?: number;
  minRecall?: number;
  mae?: number;
  rmse?: number;
}

/** Accuracy, macro-F1 (over classes that occurred) and the lowest recall; MAE and RMSE for regression. */
export function qualityFigures(q: NonNullable<Merged["quality"]>): QualityFigures {
  if (q.task === "regression") {
    if (q.n === 0) return { feedback: 0 };
    return { feedback: q.n, mae: q.absoluteErrorSum / q.n, rmse: Math.sqrt(q.squaredErrorSum / q.n) };
  }
  const m = q.confusion;
  const k = m.length;
  const actual = m.map((r) => r.reduce((a, b) => a + b, 0));
  const predicted = Array.from({ length: k }, (_, p) => m.reduce((s, r) => s + (r[p] ?? 0), 0));
  const n = actual.reduce((a, b) => a + b, 0);
  if (n === 0) return { feedback: 0 };
  let correct = 0;
  const f1s: number[] = [];
  const recalls: number[] = [];
  for (let i = 0; i < k; i++) {
    const tp = m[i]?.[i] ?? 0;
    correct += tp;
    const a = actual[i] as number;
    const p = predicted[i] as number;
    if (a === 0 && p === 0) continue;
    const recall = a > 0 ? tp / a : 0;
    const precision = p > 0 ? tp / p : 0;
    if (a > 0) recalls.push(recall);
    f1s.push(precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall));
  }
  return {
    feedback: n,
    accuracy: correct / n,
    macroF1: f1s.reduce((a, b) => a + b, 0) / f1s.length,
    minRecall: Math.min(...recalls),
  };
}
