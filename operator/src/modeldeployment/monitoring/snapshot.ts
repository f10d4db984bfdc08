// The shape of a serving pod's GET /monitoring (runtime/src/serve/monitoring/monitor.ts), checked before use: pods are
// not trusted to send well-formed numbers, and a malformed answer must not poison the merge.
export interface FeatureCounts {
  name: string;
  source: "input" | "prediction";
  labels: string[];
  expected: number[];
  counts: number[];
}

export interface PodSnapshot {
  windowSeconds: number;
  baseline: { configured: boolean; error?: string };
  drift?: { baselineDigest: string; rows: number; features: FeatureCounts[]; unmatched: string[] };
  quality?:
    | { task: "classification"; classes: string[]; classification: { confusion: number[][] } }
    | { task: "regression"; regression: { n: number; absoluteErrorSum: number; squaredErrorSum: number } };
  /** The pod asked for the GPU and runs on the CPU: onnxruntime's reason (runtime/src/serve/start.ts). */
  gpuFallback?: string;
  /** A language model's tokens over its last `seconds` (runtime/src/serve/llm/llm-metrics.ts window()). */
  llm?: { seconds: number; promptTokens: number; generationTokens: number };
  /** Requests, 5xx and a latency histogram (ms) over the window (runtime/src/serve/monitoring/serving.ts). */
  serving?: { requests: number; errors: number; latencyMs: { bounds: number[]; counts: number[] } };
}

/** More buckets than any runtime sends: a bound on what one push may make the operator hold and add up. */
const MAX_BUCKETS = 128;

/** The serving section, or why not: counts are numbers >= 0, errors <= requests, bounds rising, one count more. */
function parseServing(v: unknown): NonNullable<PodSnapshot["serving"]> | string {
  const bad = "malformed serving section";
  if (!obj(v) || !isNum(v.requests) || !isNum(v.errors) || !obj(v.latencyMs)) return bad;
  if (v.errors > v.requests) return `${bad}: more errors (${v.errors}) than requests (${v.requests})`;
  const { bounds, counts } = v.latencyMs;
  if (
    !nums(bounds) ||
    bounds.length === 0 ||
    bounds.length > MAX_BUCKETS ||
    !bounds.every((b, i) => i === 0 || b > (bounds[i - 1] as number))
  )
    return `${bad}: latencyMs.bounds must be 1 to ${MAX_BUCKETS} rising numbers >= 0`;
  if (!nums(counts, bounds.length + 1))
    return `${bad}: latencyMs.counts must be one number >= 0 per bound, and one more`;
  return { requests: v.requests, errors: v.errors, latencyMs: { bounds, counts } };
}

const isNum = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v) && v >= 0;
const nums = (v: unknown, n?: number): v is number[] =>
  Array.isArray(v) && v.every(isNum) && (n === undefined || v.length === n);
const strs = (v: unknown): v is string[] => Array.isArray(v) && v.every((s) => typeof s === "string");
const obj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** The snapshot, or a one-line reason it cannot be used. */
export function parseSnapshot(v: unknown): PodSnapshot | string {
  if (!obj(v) || !isNum(v.windowSeconds) || !obj(v.baseline)) return "not a /monitoring answer";
  const out: PodSnapshot = {
    windowSeconds: v.windowSeconds,
    baseline: {
      configured: v.baseline.configured === true,
      ...(typeof v.baseline.error === "string" ? { error: v.baseline.error } : {}),
    },
  };
  // Bounded: a message for a condition, not a channel for anything else.
  if (typeof v.gpuFallback === "string") out.gpuFallback = v.gpuFallback.slice(0, 512);
  const l = v.llm;
  if (l !== undefined) {
    if (!obj(l) || !isNum(l.seconds) || !isNum(l.promptTokens) || !isNum(l.generationTokens))
      return "malformed llm section: seconds, promptTokens and generationTokens must be numbers >= 0";
    out.llm = { seconds: l.seconds, promptTokens: l.promptTokens, generationTokens: l.generationTokens };
  }
  if (v.serving !== undefined) {
    const serving = parseServing(v.serving);
    if (typeof serving === "string") return serving;
    out.serving = serving;
  }
  const d = v.drift;
  if (d !== undefined) {
    if (!obj(d) || typeof d.baselineDigest !== "string" || !isNum(d.rows) || !Array.isArray(d.features))
      return "malformed drift section";
    const features: FeatureCounts[] = [];
    for (const f of d.features) {
      if (!obj(f) || typeof f.name !== "string" || (f.source !== "input" && f.source !== "prediction"))
        return "malformed feature";
      if (!strs(f.labels) || !nums(f.expected, f.labels.length) || !nums(f.counts, f.labels.length))
        return `feature ${f.name}: labels, expected and counts must be equally long lists of numbers`;
      features.push({ name: f.name, source: f.source, labels: f.labels, expected: f.expected, counts: f.counts });
    }
    out.drift = {
      baselineDigest: d.baselineDigest,
      rows: d.rows,
      features,
      unmatched: strs(d.unmatched) ? d.unmatched.slice(0, 32) : [],
    };
  }
  const q = v.quality;
  if (obj(q)) {
    if (q.task === "classification" && strs(q.classes) && obj(q.classification)) {
      const k = q.classes.length;
      const m = q.classification.confusion;
      if (!Array.isArray(m) || m.length !== k || !m.every((r) => nums(r, k))) return "malformed confusion matrix";
      out.quality = { task: "classification", classes: q.classes, classification: { confusion: m as number[][] } };
    } else if (q.task === "regression" && obj(q.regression)) {
      const r = q.regression;
      if (!isNum(r.n) || !isNum(r.absoluteErrorSum) || !isNum(r.squaredErrorSum)) return "malformed regression figures";
      out.quality = {
        task: "regression",
        regression: { n: r.n, absoluteErrorSum: r.absoluteErrorSum, squaredErrorSum: r.squaredErrorSum },
      };
    } else return "malformed quality section";
  }
  return out;
}
