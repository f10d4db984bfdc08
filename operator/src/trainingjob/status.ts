// A TrainingJob's status from what the cluster shows (pure): its DataSet, its Job and the Job's pods, and what the
// pod said in its termination message. status.progress is not computed here: the report handler writes it
// (progress.ts), so the reconciler never owns it and never clears it.
import type { TrainingJob, TrainingJobStatus } from "../api/v1alpha1/index.js";
import { podFailure, podMessage, withoutReason } from "../children/pod-failure.js";
import { applyConditions, type Condition, type ConditionInput } from "../controller/conditions.js";
import type { Job, Pod } from "../kube/models.js";
import { ConditionType, Reason, type ReconcileFailure } from "../reasons.js";
import type { DataVersion } from "./desired.js";
import type { TrainOutcome } from "./outcome.js";

export interface TrainingObserved {
  /** Why no Job can run yet (DataSet missing or not Ready), or an apply the API server refused. */
  waiting?: { reason: string; message: string } | undefined;
  failure?: ReconcileFailure | undefined;
  job?: Job | undefined;
  pods: Pod[];
  outcome?: TrainOutcome | undefined;
  /** The DataSet version the Job was pinned to. */
  data?: DataVersion | undefined;
  /** pvc://claim/path where artifacts are published. */
  outputUri?: string | undefined;
}

type Phase = NonNullable<TrainingJobStatus["phase"]>;

const jobCondition = (job: Job | undefined, type: string) =>
  job?.status?.conditions?.find((c) => c.type === type && c.status === "True");

/** The container that ran out of memory, if one did (exit 137 or the kubelet's OOMKilled). */
function oomKilled(pods: readonly Pod[]): { pod: string; limit?: string } | undefined {
  for (const pod of pods) {
    for (const cs of pod.status?.containerStatuses ?? []) {
      const t = cs.state?.terminated ?? cs.lastState?.terminated;
      if (t && (t.reason === "OOMKilled" || t.exitCode === 137)) {
        const limit = pod.spec?.containers.find((c) => c.name === cs.name)?.resources?.limits?.memory;
        return { pod: pod.metadata?.name ?? "", ...(limit ? { limit: String(limit) } : {}) };
      }
    }
  }
  return undefined;
}

const hasTerminated = (pod: Pod) => (pod.status?.containerStatuses ?? []).some((cs) => cs.state?.terminated);

function lastPodMessage(pods: readonly Pod[]): string {
  for (const pod of pods) {
    for (const cs of pod.status?.containerStatuses ?? []) {
      const t = cs.state?.terminated;
      if (t && t.exitCode !== 0)
        return `pod ${pod.metadata?.name}: exit code ${t.exitCode}: ${podMessage(t.message ?? t.reason ?? "")}`;
    }
  }
  return "";
}

/** Reason and message of a failed Job: the pod's own words first, then OOM, then the Job controller's verdict. */
function failureOf(tj: TrainingJob, job: Job, pods: readonly Pod[], outcome?: TrainOutcome) {
  if (outcome?.phase === "failed")
    return { reason: outcome.reason, message: withoutReason(outcome.message, outcome.reason) };
  const oom = oomKilled(pods);
  if (oom) {
    return {
      reason: Reason.OutOfMemory,
      message: `pod ${oom.pod} was killed for memory (exit code 137${oom.limit ? `, limit ${oom.limit}` : ""}); raise resources.memory or lower hyperparameters.batchSize`,
    };
  }
  const failed = jobCondition(job, "Failed");
  if (failed?.reason === "DeadlineExceeded") {
    return {
      reason: Reason.DeadlineExceeded,
      message: `training ran longer than runPolicy.activeDeadlineSeconds (${tj.spec.runPolicy?.activeDeadlineSeconds} s); raise it or train fewer epochs`,
    };
  }
  const last = lastPodMessage(pods);
  return {
    reason: Reason.BackoffLimitExceeded,
    message: `the training pod failed ${job.status?.failed ?? 0} time(s), more than runPolicy.backoffLimit (${tj.spec.runPolicy?.backoffLimit ?? 3})${last ? `; last: ${last}` : ""}`,
  };
}

function conditionsFor(phase: Phase, reason: string, message: string): ConditionInput[] {
  const is = (p: Phase) => (phase === p ? "True" : "False");
  const list: ConditionInput[] = [
    { type: ConditionType.Ready, status: is("Succeeded"), reason, message },
    { type: ConditionType.Running, status: is("Running"), reason, message },
    { type: ConditionType.Succeeded, status: is("Succeeded"), reason, message },
    { type: ConditionType.Failed, status: is("Failed"), reason, message },
    { type: ConditionType.Suspended, status: is("Suspended"), reason, message },
  ];
  if (phase === "Failed") list.push({ type: ConditionType.Stalled, status: "True", reason, message });
  else if (phase !== "Succeeded" && phase !== "Suspended")
    list.push({ type: ConditionType.Reconciling, status: "True", reason, message });
  return list;
}

const metricsText = (m: Record<string, number>) =>
  Object.entries(m)
    .map(([k, v]) => `${k} ${Number.isInteger(v) ? v : v.toFixed(4)}`)
    .join(", ");

export function computeStatus(tj: TrainingJob, o: TrainingObserved, now: () => string): TrainingJobStatus {
  const generation = tj.metadata?.generation;
  const prev = tj.status ?? {};
  const keep: TrainingJobStatus = {
    ...(prev.startTime ? { startTime: prev.startTime } : {}),
    ...(prev.completionTime ? { completionTime: prev.completionTime } : {}),
    ...(prev.model ? { model: prev.model } : {}),
    ...(prev.finalMetrics ? { finalMetrics: prev.finalMetrics } : {}),
  };
  const done = (phase: Phase, reason: string, message: string, extra: TrainingJobStatus = {}): TrainingJobStatus => ({
    ...(generation !== undefined ? { observedGeneration: generation } : {}),
    phase,
    ...keep,
    ...extra,
    conditions: applyConditions(
      prev.conditions as Condition[] | undefined,
      conditionsFor(phase, reason, message),
      generation,
      now,
    ),
  });
  // A finished run is history: whatever the Job (gone after ttlSecondsAfterFinished), its pods or its DataSet show
  // now, its status stays as it was written (progress and history aside: the report handler owns them).
  if (prev.phase === "Succeeded" || prev.phase === "Failed") {
    const { progress: _p, history: _h, ...final } = prev;
    return structuredClone(final);
  }
  if (o.failure) return done("Failed", o.failure.reason, o.failure.message);
  const job = o.job;
  if (!job) {
    const w = o.waiting ?? { reason: Reason.PodsStarting, message: "creating the training Job" };
    return done("Pending", w.reason, w.message);
  }
  const times: TrainingJobStatus = {
    ...(job.status?.startTime ? { startTime: String(job.status.startTime) } : {}),
  };
  if (jobCondition(job, "Complete")) {
    const ok = o.outcome?.phase === "succeeded" ? o.outcome : undefined;
    // The pods' watch may lag the Job's: the verdict waits until the cache shows the pod that ended.
    if (!ok && !o.pods.some(hasTerminated)) {
      return done("Running", Reason.Training, "the training Job completed; reading its pod's result", times);
    }
    if (!ok || !o.outputUri) {
      return done(
        "Failed",
        Reason.TrainingError,
        ok
          ? "the training Job completed but names no output location; delete the TrainingJob and create it again"
          : "the training pod exited 0 without reporting a model; see its log",
        times,
      );
    }
    const hex = ok.model.digest.slice("sha256:".length);
    const model = {
      uri: `${o.outputUri}/${hex}`,
      // An ONNX artifact is pinned by model.onnx's own digest: the one the runtime checks on the bytes it loads.
      digest: ok.model.fileDigest ?? ok.model.digest,
      version: `${tj.metadata?.uid ?? ""}.${generation ?? 0}`,
      dataSetDigest: ok.dataSetDigest,
      ...(ok.model.format ? { format: ok.model.format } : {}),
    };
    const completionTime = job.status?.completionTime ? String(job.status.completionTime) : now();
    return done("Succeeded", Reason.Succeeded, `trained ${ok.epochs} epoch(s); test ${metricsText(ok.finalMetrics)}`, {
      ...times,
      completionTime,
      model,
      finalMetrics: ok.finalMetrics,
    });
  }
  if (jobCondition(job, "Failed")) {
    const f = failureOf(tj, job, o.pods, o.outcome);
    const failedAt = jobCondition(job, "Failed")?.lastTransitionTime;
    return done("Failed", f.reason, f.message, { ...times, completionTime: failedAt ? String(failedAt) : now() });
  }
  if (job.spec?.suspend) {
    return done(
      "Suspended",
      Reason.Suspended,
      "runPolicy.suspend is true: pods removed; it resumes from the last checkpoint",
      times,
    );
  }
  // The last attempt said why it failed (Vault down, say) and the Job retries it: show that, not "starting".
  if (o.outcome?.phase === "failed" && !o.pods.some((p) => p.status?.phase === "Running")) {
    const allowed = (tj.spec.runPolicy?.backoffLimit ?? 3) + 1;
    return done(
      "Pending",
      o.outcome.reason,
      `${withoutReason(o.outcome.message, o.outcome.reason)} (attempt ${job.status?.failed ?? 1} of ${allowed} failed; retrying)`,
      times,
    );
  }
  const problem = podFailure(o.pods);
  if (problem) {
    const reason =
      problem.reason === "ErrImagePull" || problem.reason === "ImagePullBackOff"
        ? Reason.ImagePullFailed
        : problem.reason === Reason.Unschedulable
          ? Reason.Unschedulable
          : Reason.ContainerFailed;
    return done(
      "Pending",
      reason,
      `pod ${problem.pod}: ${problem.reason}: ${podMessage(problem.message, reason)}`,
      times,
    );
  }
  if ((job.status?.active ?? 0) > 0 && o.pods.some((p) => p.status?.phase === "Running")) {
    // A fixed message: progress moves in status.progress, which the report handler writes (progress.ts).
    return done("Running", Reason.Training, "the training pod is running; see status.progress", times);
  }
  return done("Pending", Reason.PodsStarting, "waiting for the training pod to start", times);
}
