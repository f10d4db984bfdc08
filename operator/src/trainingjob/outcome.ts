// What a training pod says about its run, from its termination message (runtime/src/train/command.ts writes one
// JSON object there) or from a report's data. Untrusted input: checked, and reduced to what status may carry.
import { type Static, Type } from "@sinclair/typebox";
import { Value } from "@sinclair/typebox/value";
import { MAX_HISTORY } from "../contract/history.js";
import type { Pod } from "../kube/models.js";

const Metrics = Type.Record(Type.String({ pattern: "^[A-Za-z_]{1,32}$" }), Type.Number(), { maxProperties: 32 });
const Digest = Type.String({ pattern: "^sha256:[0-9a-f]{64}$" });

export const TrainSucceeded = Type.Object({
  reason: Type.Literal("Succeeded"),
  model: Type.Object({
    /** The artifact folder's digest (sha256 of its manifest.json): its name under the output. */
    digest: Digest,
    /** pytorch: onnx, and model.onnx's own sha256 — what a ModelDeployment pins and the runtime checks. */
    format: Type.Optional(Type.Literal("onnx")),
    fileDigest: Type.Optional(Digest),
  }),
  dataSetDigest: Digest,
  finalMetrics: Metrics,
  epochs: Type.Integer({ minimum: 0 }),
});

export const TrainFailed = Type.Object({
  reason: Type.String({ pattern: "^[A-Z][A-Za-z0-9]{0,63}$" }),
  message: Type.String({ maxLength: 4096 }),
});

/** status.history: the run's bounded per-epoch history (runtime/src/train/history.ts builds it). */
const TrainHistory = Type.Object({
  stride: Type.Integer({ minimum: 1 }),
  epochs: Type.Array(
    Type.Object({
      epoch: Type.Integer({ minimum: 1 }),
      loss: Type.Optional(Type.Number()),
      metrics: Metrics,
    }),
    { maxItems: MAX_HISTORY },
  ),
});

export const TrainProgress = Type.Object({
  epoch: Type.Integer({ minimum: 0 }),
  epochs: Type.Integer({ minimum: 0 }),
  percentage: Type.Integer({ minimum: 0, maximum: 100 }),
  loss: Type.Optional(Type.Number()),
  metrics: Type.Optional(Metrics),
  samplesPerSecond: Type.Optional(Type.Number({ minimum: 0 })),
  estimatedRemainingSeconds: Type.Optional(Type.Integer({ minimum: 0 })),
  history: Type.Optional(TrainHistory),
  privacy: Type.Optional(
    Type.Object({
      epsilon: Type.Number({ minimum: 0 }),
      delta: Type.Number({ exclusiveMinimum: 0, maximum: 1 }),
      noiseMultiplier: Type.Number({ exclusiveMinimum: 0 }),
      steps: Type.Integer({ minimum: 0 }),
    }),
  ),
});

export type TrainSucceeded = Static<typeof TrainSucceeded>;
export type TrainFailed = Static<typeof TrainFailed>;
export type TrainProgress = Static<typeof TrainProgress>;

export type TrainOutcome = ({ phase: "succeeded" } & TrainSucceeded) | ({ phase: "failed" } & TrainFailed);

/** A checked copy of `data` when it fits `schema` (extra keys dropped), else undefined. */
export function checked<T extends typeof TrainSucceeded | typeof TrainFailed | typeof TrainProgress>(
  schema: T,
  data: unknown,
): Static<T> | undefined {
  if (data === null || typeof data !== "object") return undefined;
  const clean = Value.Clean(schema, structuredClone(data));
  // Non-finite metrics (a diverged validation loss) cannot be stored in JSON status: drop the run's claim instead.
  return Value.Check(schema, clean) ? (clean as Static<T>) : undefined;
}

/** The outcome a pod's termination message tells, newest pod first. */
export function outcomeOfPods(pods: readonly Pod[]): TrainOutcome | undefined {
  const newest = [...pods].sort((a, b) =>
    (b.metadata?.creationTimestamp ?? "").localeCompare(a.metadata?.creationTimestamp ?? ""),
  );
  for (const pod of newest) {
    for (const cs of pod.status?.containerStatuses ?? []) {
      const text = cs.state?.terminated?.message;
      if (!text) continue;
      let doc: unknown;
      try {
        doc = JSON.parse(text);
      } catch {
        continue; // the log tail (FallbackToLogsOnError), not our message
      }
      const ok = checked(TrainSucceeded, doc);
      if (ok && cs.state?.terminated?.exitCode === 0) return { phase: "succeeded", ...ok };
      const failed = checked(TrainFailed, doc);
      if (failed && failed.reason !== "Succeeded") return { phase: "failed", ...failed };
    }
  }
  return undefined;
}
