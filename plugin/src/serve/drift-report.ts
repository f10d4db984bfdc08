// What `kubectl liftoff drift` shows (pure): the ready pods' /monitoring snapshots merged the way the operator merges
// them (operator/src/modeldeployment/monitoring/scores.ts: the pods sharing the most common baseline, counts added
// up), each feature's baseline and live shares with its PSI and Jensen-Shannon distance, worst first, and the live
// quality from the feedback in the window.
import { mergeSnapshots } from "../../../operator/src/modeldeployment/monitoring/scores.js";
import type { FeatureCounts, PodSnapshot } from "../../../operator/src/modeldeployment/monitoring/snapshot.js";
import { shares } from "./histogram.js";
import { classificationQuality, type QualityReport, regressionQuality } from "./quality.js";

interface FeatureDrift {
  name: string;
  source: "input" | "prediction";
  /** Bin labels: decile indices of a numeric column, categories (and __other__) of a categorical one. */
  labels: string[];
  /** The training data's share of each bin. */
  baseline: number[];
  /** The window's share of each bin. */
  live: number[];
  rows: number;
  psi: number;
  jensenShannon: number;
  drifted: boolean;
}

export interface DriftReport {
  /** Pods whose snapshot was read. */
  pods: number;
  windowSeconds: number;
  rows: number;
  /** PSI above which a feature counts as drifted (spec.monitoring.drift.threshold). */
  threshold?: number;
  baselineError?: string;
  features: FeatureDrift[];
  /** Record columns the baseline does not know. */
  unmatched: string[];
  quality?: QualityReport;
}

const keyOf = (f: { source: string; name: string }) => `${f.source}/${f.name}`;

/** The counts of the pods in the merged group (the most common baseline digest), added up per feature. */
function mergedCounts(snaps: readonly PodSnapshot[]): Map<string, FeatureCounts> {
  const byDigest = new Map<string, PodSnapshot[]>();
  for (const s of snaps)
    if (s.drift) byDigest.set(s.drift.baselineDigest, [...(byDigest.get(s.drift.baselineDigest) ?? []), s]);
  const group = [...byDigest.values()].sort((a, b) => b.length - a.length)[0] ?? [];
  const out = new Map<string, FeatureCounts>();
  for (const s of group) {
    for (const f of s.drift?.features ?? []) {
      const seen = out.get(keyOf(f));
      if (!seen) out.set(keyOf(f), { ...f, counts: [...f.counts] });
      else if (seen.labels.length === f.labels.length)
        f.counts.forEach((c, i) => {
          seen.counts[i] = (seen.counts[i] ?? 0) + c;
        });
    }
  }
  return out;
}

export function driftReport(snaps: readonly PodSnapshot[], threshold: number | undefined): DriftReport {
  const merged = mergeSnapshots(snaps);
  const counts = mergedCounts(snaps);
  const features: FeatureDrift[] = (merged.drift?.scores ?? []).map((s) => {
    const f = counts.get(keyOf(s));
    const c = f?.counts ?? [];
    return {
      name: s.name,
      source: s.source,
      labels: f?.labels ?? [],
      baseline: shares(f?.expected ?? []),
      live: shares(c),
      rows: c.reduce((a, b) => a + b, 0),
      psi: s.psi,
      jensenShannon: s.jensenShannon,
      drifted: threshold !== undefined && s.psi > threshold,
    };
  });
  const q = merged.quality;
  return {
    pods: merged.pods,
    windowSeconds: merged.windowSeconds,
    rows: merged.rows,
    ...(threshold !== undefined ? { threshold } : {}),
    ...(merged.baselineError ? { baselineError: merged.baselineError } : {}),
    features,
    unmatched: merged.drift?.unmatched ?? [],
    ...(q?.task === "classification"
      ? { quality: classificationQuality(q.classes, q.confusion) }
      : q?.task === "regression"
        ? { quality: regressionQuality(q.n, q.absoluteErrorSum, q.squaredErrorSum) }
        : {}),
  };
}
