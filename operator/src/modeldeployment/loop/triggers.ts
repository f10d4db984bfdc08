// Which trigger, if any, starts a loop now, and which limit holds it back (pure). A person's annotation goes first
// and is not held back by the time limits (a person is not a flapping signal); the automatic triggers are.
import type { ModelDeployment, ModelDeploymentStatus } from "../../api/v1alpha1/index.js";
import { LoopTrigger } from "../../api/v1alpha1/retrain.js";
import { SERVING_DEFAULTS } from "../../contract/serving.js";
import { findCondition } from "../../controller/conditions.js";
import { ConditionType, Reason } from "../../reasons.js";
import { RETRAIN_ANNOTATION } from "./names.js";
import type { LoopPolicy } from "./policy.js";

type LoopStatus = NonNullable<ModelDeploymentStatus["loop"]>;
type TriggerReason = NonNullable<LoopStatus["trigger"]>["reason"];

export interface TriggerCheck {
  /** The trigger that fires now (limits permitting). */
  fired?: { reason: TriggerReason; message: string };
  /** Why a fired trigger waits (a limit), in words. */
  held?: string;
  /** The next status.loop.driftedSince (undefined: Drifted is not True). */
  driftedSince?: string;
  /** When to look again though nothing changes (a drift run maturing, a schedule, a limit lifting), epoch ms. */
  wakeAtMs?: number;
}

const HOUR_MS = 3_600_000;
const QUALITY = new Set<string>([Reason.AccuracyBelowThreshold, Reason.F1BelowThreshold]);

function earliest(a: number | undefined, b: number): number {
  return a === undefined ? b : Math.min(a, b);
}

/** The automatic trigger that fires (Degraded, then Drifted, then Schedule), and the drift run's start. */
function automatic(
  mdep: ModelDeployment,
  loop: LoopStatus,
  p: LoopPolicy,
  nowMs: number,
  periodSeconds: number,
): TriggerCheck {
  const now = new Date(nowMs).toISOString().replace(/\.\d+Z$/, "Z");
  const out: TriggerCheck = {};
  const conditions = mdep.status?.conditions;
  const drifted = findCondition(conditions, ConditionType.Drifted);
  if (drifted?.status === "True") out.driftedSince = loop.driftedSince ?? now;
  const degraded = findCondition(conditions, ConditionType.Degraded);
  if (p.degraded && degraded?.status === "True" && QUALITY.has(degraded.reason)) {
    out.fired = { reason: LoopTrigger.Degraded, message: `Degraded (${degraded.reason}): ${degraded.message}` };
    return out;
  }
  if (p.driftedPeriods !== undefined && out.driftedSince !== undefined) {
    // Seen True at driftedSince, then at each period: the Nth sighting comes (N-1) periods later.
    const dueMs = Date.parse(out.driftedSince) + (p.driftedPeriods - 1) * periodSeconds * 1000;
    if (nowMs >= dueMs) {
      out.fired = {
        reason: LoopTrigger.Drifted,
        message: `Drifted for ${p.driftedPeriods} monitoring period(s) since ${out.driftedSince}: ${drifted?.message ?? ""}`,
      };
      return out;
    }
    out.wakeAtMs = dueMs;
  }
  if (p.everyHours !== undefined) {
    const origin = Date.parse(loop.startedAt ?? mdep.metadata?.creationTimestamp ?? now);
    const dueMs = origin + p.everyHours * HOUR_MS;
    if (nowMs >= dueMs) {
      out.fired = { reason: LoopTrigger.Schedule, message: `scheduled every ${p.everyHours} h` };
      return out;
    }
    out.wakeAtMs = earliest(out.wakeAtMs, dueMs);
  }
  return out;
}

/** Why the limits hold an automatic trigger back now, and until when; undefined when they do not. */
function limited(loop: LoopStatus, p: LoopPolicy, nowMs: number): { held: string; untilMs: number } | undefined {
  const day = new Date(nowMs).toISOString().slice(0, 10);
  if (loop.loopsToday?.day === day && loop.loopsToday.count >= p.maxPerDay) {
    return {
      held: `${loop.loopsToday.count} loop(s) today already (limits.maxPerDay ${p.maxPerDay})`,
      untilMs: Date.parse(`${day}T00:00:00Z`) + 24 * HOUR_MS,
    };
  }
  if (loop.startedAt !== undefined) {
    const untilMs = Date.parse(loop.startedAt) + p.minIntervalMinutes * 60_000;
    if (nowMs < untilMs) {
      // Times, not a running count: the message (and so the status) stays the same until the limit lifts.
      const until = new Date(untilMs).toISOString().replace(/\.\d+Z$/, "Z");
      return {
        held: `the last loop started at ${loop.startedAt}; the next may start at ${until} (limits.minIntervalMinutes ${p.minIntervalMinutes})`,
        untilMs,
      };
    }
  }
  return undefined;
}

/**
 * After a promotion the monitoring window still holds the replaced model's feedback and inputs (its pods report until
 * they are gone), so a Degraded or Drifted seen then may be the old model's: those wait one window and one period.
 */
function settling(
  mdep: ModelDeployment,
  loop: LoopStatus,
  reason: TriggerReason,
  nowMs: number,
  periodSeconds: number,
): { held: string; untilMs: number } | undefined {
  if (loop.stage !== "Promoted" || loop.finishedAt === undefined) return undefined;
  if (reason !== LoopTrigger.Degraded && reason !== LoopTrigger.Drifted) return undefined;
  const windowSeconds = mdep.spec.monitoring?.windowSeconds ?? SERVING_DEFAULTS.monitoringWindowSeconds;
  const untilMs = Date.parse(loop.finishedAt) + (windowSeconds + periodSeconds) * 1000;
  if (nowMs >= untilMs) return undefined;
  const until = new Date(untilMs).toISOString().replace(/\.\d+Z$/, "Z");
  return {
    held: `the model promoted at ${loop.finishedAt} is judged on its own figures from ${until} (one monitoring window of ${windowSeconds} s and one period)`,
    untilMs,
  };
}

/** What starts a loop now, for a ModelDeployment whose loop is idle. */
export function checkTriggers(
  mdep: ModelDeployment,
  loop: LoopStatus,
  p: LoopPolicy,
  nowMs: number,
  periodSeconds: number,
): TriggerCheck {
  const auto = automatic(mdep, loop, p, nowMs, periodSeconds);
  const token = mdep.metadata?.annotations?.[RETRAIN_ANNOTATION];
  if (token !== undefined && token !== "" && token !== loop.manualToken) {
    return {
      ...auto,
      fired: { reason: LoopTrigger.Manual, message: `by hand: annotation ${RETRAIN_ANNOTATION}=${token}` },
    };
  }
  if (!auto.fired) return auto;
  const limit = settling(mdep, loop, auto.fired.reason, nowMs, periodSeconds) ?? limited(loop, p, nowMs);
  if (!limit) return auto;
  const { fired, ...rest } = auto;
  return { ...rest, held: `${fired.reason}: ${fired.message}; held back: ${limit.held}`, wakeAtMs: limit.untilMs };
}
