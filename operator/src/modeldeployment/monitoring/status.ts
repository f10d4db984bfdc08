// status.monitoring and the Drifted / Degraded conditions from the merged pod counts (pure). Figures are rounded
// to three decimals, so noise below that does not cause a status write.
import type { ModelDeployment, ModelDeploymentStatus } from "../../api/v1alpha1/index.js";
import { type Condition, type ConditionInput, findCondition, setCondition } from "../../controller/conditions.js";
import { ConditionType, Reason } from "../../reasons.js";
// Fewer rows (feedback) than these in the window give no verdict: PSI of a handful of rows is noise.
import { MIN_FEEDBACK, MIN_ROWS } from "./rules.js";
import { type Merged, qualityFigures } from "./scores.js";

const TOP = 5;

export type Observation = ({ merged: Merged } | { unavailable: string }) & {
  /** A ready stable pod that asked for the GPU runs on the CPU: which, and why (its push's gpuFallback). */
  gpuFallback?: { pod: string; message: string };
  /** A language model's throughput: the pods' pushed token counts as tokens/s, summed (snapshots.ts). */
  llm?: { tokensPerSecond: number; promptTokensPerSecond: number; pods: number };
};

export interface MonitoringInputs {
  observation: Observation | undefined;
  /** Why the baseline cannot be given to the pods (baselineDataSetRef missing or not Ready). */
  baselineFailure?: { reason: string; message: string } | undefined;
  /** The TrainingJob's test-split metrics. */
  testMetrics?: Record<string, number> | undefined;
}

const r3 = (x: number) => Math.round(x * 1000) / 1000;
const fmt = (x: number) => x.toFixed(3);

function driftCondition(mdep: ModelDeployment, inp: MonitoringInputs): ConditionInput {
  const type = ConditionType.Drifted;
  const threshold = mdep.spec.monitoring?.drift?.threshold ?? 0.2;
  const unknown = (reason: string, message: string): ConditionInput => ({ type, status: "Unknown", reason, message });
  if (inp.baselineFailure) return unknown(inp.baselineFailure.reason, inp.baselineFailure.message);
  const o = inp.observation;
  if (!o) return unknown(Reason.MonitoringPending, "waiting for the first merge of the pods' drift counts");
  if ("unavailable" in o) return unknown(Reason.MonitoringUnavailable, o.unavailable);
  const m = o.merged;
  if (m.baselineError)
    return unknown(Reason.BaselineUnavailable, `the pods could not read the baseline: ${m.baselineError}`);
  const top = m.drift?.scores[0];
  if (!m.drift || !top) return unknown(Reason.BaselineUnavailable, "the pods report no drift counts (no baseline)");
  if (m.rows < MIN_ROWS)
    return unknown(
      Reason.InsufficientData,
      `${m.rows} rows in the last ${m.windowSeconds} s; drift is judged from ${MIN_ROWS}`,
    );
  const what = `${top.source === "prediction" ? "prediction" : "feature"} ${top.name}: PSI ${fmt(top.psi)}, Jensen-Shannon ${fmt(top.jensenShannon)}`;
  const over = `${m.rows} rows in the last ${m.windowSeconds} s from ${m.pods} pod${m.pods === 1 ? "" : "s"}`;
  const unmatched = m.drift.unmatched.length > 0 ? `; no baseline for ${m.drift.unmatched.join(", ")}` : "";
  return top.psi > threshold
    ? {
        type,
        status: "True",
        reason: Reason.DriftDetected,
        message: `${what} > threshold ${threshold} (${over})${unmatched}`,
      }
    : {
        type,
        status: "False",
        reason: Reason.NoDrift,
        message: `largest drift ${what} <= threshold ${threshold} (${over})${unmatched}`,
      };
}

function qualityBreach(mdep: ModelDeployment, q: ReturnType<typeof qualityFigures>): ConditionInput | undefined {
  const a = mdep.spec.monitoring?.alerts;
  if (q.feedback < MIN_FEEDBACK) return undefined;
  const over = `over ${q.feedback} feedback`;
  if (a?.minAccuracy !== undefined && q.accuracy !== undefined && q.accuracy < a.minAccuracy)
    return {
      type: ConditionType.Degraded,
      status: "True",
      reason: Reason.AccuracyBelowThreshold,
      message: `live accuracy ${fmt(q.accuracy)} < minAccuracy ${a.minAccuracy} ${over}`,
    };
  if (a?.minF1 !== undefined && q.macroF1 !== undefined && q.macroF1 < a.minF1)
    return {
      type: ConditionType.Degraded,
      status: "True",
      reason: Reason.F1BelowThreshold,
      message: `live macro-F1 ${fmt(q.macroF1)} < minF1 ${a.minF1} ${over}`,
    };
  return undefined;
}

/** Adds status.monitoring and the monitoring conditions to a computed status. */
export function withMonitoring(
  status: ModelDeploymentStatus,
  mdep: ModelDeployment,
  inp: MonitoringInputs,
  now: () => string,
): ModelDeploymentStatus {
  const mon = mdep.spec.monitoring;
  const out = { ...status };
  if (!mon || (!mon.drift && !mon.feedback)) {
    delete out.monitoring;
    return out;
  }
  const gen = mdep.metadata?.generation;
  let conditions = (status.conditions ?? []) as Condition[];
  if (mon.drift) conditions = setCondition(conditions, driftCondition(mdep, inp), gen, now);
  const o = inp.observation;
  if (o && "merged" in o) {
    const m = o.merged;
    const q = m.quality ? qualityFigures(m.quality) : undefined;
    const scores = m.drift?.scores ?? [];
    out.monitoring = {
      windowSeconds: m.windowSeconds,
      pods: m.pods,
      rows: m.rows,
      ...(mon.drift && m.drift
        ? {
            drift: {
              score: r3(scores[0]?.psi ?? 0),
              features: scores.slice(0, TOP).map((f) => ({
                name: f.name,
                source: f.source,
                psi: r3(f.psi),
                jensenShannon: r3(f.jensenShannon),
              })),
              ...(m.drift.unmatched.length > 0 ? { unmatched: m.drift.unmatched } : {}),
            },
          }
        : {}),
      ...(mon.feedback && q
        ? {
            quality: {
              feedback: q.feedback,
              ...Object.fromEntries(
                (["accuracy", "macroF1", "minRecall", "mae", "rmse"] as const)
                  .filter((k) => q[k] !== undefined)
                  .map((k) => [k, r3(q[k] as number)]),
              ),
              ...(inp.testMetrics ? { test: inp.testMetrics } : {}),
            },
          }
        : {}),
    };
    // A failing pod already makes Degraded true; a quality breach does when the pods are fine.
    const breach = mon.feedback && q ? qualityBreach(mdep, q) : undefined;
    if (breach && findCondition(conditions, ConditionType.Degraded)?.status !== "True") {
      // computeStatus just set Degraded False; keep the transition time of an earlier breach, or every reconcile
      // would move it (and write).
      const prev = findCondition(mdep.status?.conditions as Condition[] | undefined, ConditionType.Degraded);
      const since = prev?.status === "True" ? prev.lastTransitionTime : undefined;
      conditions = setCondition(conditions, breach, gen, since ? () => since : now);
    }
  } else if (mdep.status?.monitoring) out.monitoring = mdep.status.monitoring; // keep the last figures
  out.conditions = conditions;
  return out;
}
