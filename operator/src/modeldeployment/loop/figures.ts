// One track's live figures (stable or canary) from the fresh snapshots of its ready pods (pure): what judge.ts
// compares and status.loop.figures shows. Counts, not only ratios, so the judge can test them: accuracy comes with
// the feedback it was measured on, the error rate with its requests.
import { mergeSnapshots, qualityFigures } from "../monitoring/scores.js";
import type { PodSnapshot } from "../monitoring/snapshot.js";

export interface TrackFigures {
  /** Pods whose snapshots were merged. */
  pods: number;
  /** Classification: predictions whose feedback arrived, and how many of them were right. Regression: n, 0. */
  feedback: number;
  correct: number;
  accuracy?: number;
  macroF1?: number;
  /** Regression: mean absolute error over n feedback, and the root mean squared error (its spread, for the test). */
  mae?: number;
  rmse?: number;
  n?: number;
  /** Largest PSI (prediction and inputs), as status.monitoring.drift.score. */
  driftScore?: number;
  /** Inference requests answered in the window (4xx left out: the caller's fault, whichever model) and 5xx. */
  requests: number;
  errors: number;
  errorRate?: number;
  /** 99th percentile request latency, interpolated in the pods' merged histogram. */
  p99Ms?: number;
}

/** A latency histogram: counts per bucket, `bounds` the upper edges (ms), one more count for above the last. */
export interface LatencyHistogram {
  bounds: number[];
  counts: number[];
}

/**
 * The q-quantile as Prometheus' histogram_quantile computes it: linear within the bucket it falls in (the first
 * bucket starts at 0); above the last bound, that bound. Undefined without observations.
 */
export function quantileMs(h: LatencyHistogram, q: number): number | undefined {
  const total = h.counts.reduce((a, b) => a + b, 0);
  if (total === 0) return undefined;
  const rank = q * total;
  let below = 0;
  for (let i = 0; i < h.counts.length; i++) {
    const c = h.counts[i] as number;
    if (below + c >= rank && c > 0) {
      if (i >= h.bounds.length) return h.bounds.at(-1);
      const lo = i === 0 ? 0 : (h.bounds[i - 1] as number);
      const hi = h.bounds[i] as number;
      return lo + ((hi - lo) * (rank - below)) / c;
    }
    below += c;
  }
  return h.bounds.at(-1);
}

/** The pods' serving sections added up; a pod whose buckets differ from the first one's adds no latency. */
function mergeServing(snaps: readonly PodSnapshot[]): { requests: number; errors: number; latency?: LatencyHistogram } {
  let requests = 0;
  let errors = 0;
  let latency: LatencyHistogram | undefined;
  for (const s of snaps) {
    const v = s.serving;
    if (!v) continue;
    requests += v.requests;
    errors += v.errors;
    if (latency === undefined) latency = { bounds: [...v.latencyMs.bounds], counts: [...v.latencyMs.counts] };
    else if (latency.bounds.join() === v.latencyMs.bounds.join())
      v.latencyMs.counts.forEach((c, i) => {
        (latency as LatencyHistogram).counts[i] = ((latency as LatencyHistogram).counts[i] ?? 0) + c;
      });
  }
  return { requests, errors, ...(latency ? { latency } : {}) };
}

/** The figures of one track; undefined when none of its pods pushed (nothing to judge on). */
export function trackFigures(snaps: readonly PodSnapshot[]): TrackFigures | undefined {
  if (snaps.length === 0) return undefined;
  const merged = mergeSnapshots(snaps);
  const q = merged.quality ? qualityFigures(merged.quality) : undefined;
  const serving = mergeServing(snaps);
  const out: TrackFigures = { pods: snaps.length, feedback: 0, correct: 0, requests: 0, errors: 0 };
  if (merged.quality?.task === "classification") {
    out.feedback = q?.feedback ?? 0;
    out.correct = merged.quality.confusion.reduce((n, row, i) => n + (row[i] ?? 0), 0);
    if (q?.accuracy !== undefined) out.accuracy = q.accuracy;
    if (q?.macroF1 !== undefined) out.macroF1 = q.macroF1;
  } else if (merged.quality?.task === "regression") {
    out.feedback = merged.quality.n;
    out.n = merged.quality.n;
    if (q?.mae !== undefined) out.mae = q.mae;
    if (q?.rmse !== undefined) out.rmse = q.rmse;
  }
  const top = merged.drift?.scores[0];
  if (top) out.driftScore = top.psi;
  out.requests = serving.requests;
  out.errors = serving.errors;
  if (serving.requests > 0) out.errorRate = serving.errors / serving.requests;
  const p99 = serving.latency ? quantileMs(serving.latency, 0.99) : undefined;
  if (p99 !== undefined) out.p99Ms = p99;
  return out;
}
